"""Public pages: the city home and one page per area, walking the tree down to an RT."""

from flask import Blueprint, abort, render_template

from transparency import queries
from transparency.access import public
from transparency.db import get_session
from transparency.models import AreaLevel

bp = Blueprint("public", __name__)


@bp.get("/")
@public
def home():
    """The city with its kecamatan."""
    session = get_session()
    city = queries.get_root(session)
    if city is None:
        return render_template("public/empty.html")
    return render_template(
        "public/home.html",
        city=city,
        children=queries.list_children(session, city),
        totals=queries.get_totals(session, city),
    )


@bp.get("/wilayah/<code>")
@public
def area(code: str):
    """One area: its place in the tree, its children, its households."""
    session = get_session()
    found = queries.get_area(session, code)
    if found is None:
        abort(404)
    children = [] if found.level == AreaLevel.RT else queries.list_children(session, found)
    return render_template(
        "public/area.html",
        area=found,
        children=children,
        ancestors=queries.list_ancestors(session, found),
        totals=queries.get_totals(session, found),
    )
