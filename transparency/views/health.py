"""``/healthz``: answers 200 when the database answers, 503 when it does not."""

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from transparency.access import public
from transparency.db import get_engine

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """Check the database with a trivial query."""
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="unavailable", database="down"), 503
    return jsonify(status="ok", database="up")
