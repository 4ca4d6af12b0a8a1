"""Errors as pages: one handler per HTTP error, never a traceback."""

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, InternalServerError


def init_app(app: Flask) -> None:
    """Render every HTTP error, and any unexpected exception as a plain 500 page."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _http_error(error: HTTPException):
    return render_template("error.html", code=error.code, name=error.name), error.code


def _unexpected(error: Exception):
    from flask import current_app

    current_app.logger.exception("unhandled error", exc_info=error)
    server_error = InternalServerError()
    return render_template("error.html", code=500, name=server_error.name), 500
