"""Errors as pages: one handler per HTTP error, never a traceback."""

from html import escape

from flask import Flask, current_app, g, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from transparency.security import incident_id

PLAIN = "<!doctype html><title>{code}</title><h1>{code} {name}</h1>{extra}"


def init_app(app: Flask) -> None:
    """Render every HTTP error, a database that cannot answer now as a 503, and any
    unexpected exception as a plain 500 page."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_busy)
    app.register_error_handler(Exception, _unexpected)


def _page(code: int, name: str, **context) -> str:
    """The error template, or a bare page when even that cannot render (e.g. a foreign
    ``Host`` leaves no URL adapter to build links with)."""
    try:
        return render_template("error.html", code=code, **context)
    except Exception:  # noqa: BLE001 - an error page must always answer
        incident = context.get("incident")
        extra = f"<p>Incident {escape(incident)}</p>" if incident else ""
        return PLAIN.format(code=code, name=escape(name), extra=extra)


def _http_error(error: HTTPException):
    """The error page. Headers the error carries (Retry-After, Allow) are kept."""
    if error.code == 500:
        return _unexpected(getattr(error, "original_exception", None) or error)
    # A message of our own (``abort(400, _("…"))``) is shown; Werkzeug's defaults are not.
    detail = error.description if error.description != type(error).description else ""
    return _answer(error.get_response(), error.name, detail=detail)


def _unexpected(error: BaseException):
    """A generic 500 page with an incident id; the details go to the log only."""
    incident = incident_id()
    current_app.logger.error("incident %s: unhandled error", incident, exc_info=error)
    response = current_app.response_class(status=500)
    return _answer(response, "Internal Server Error", incident=incident)


def _database_busy(error: OperationalError):
    """The database could not finish (locked past the busy timeout, a lock or statement
    timeout, a lost connection): nothing was written, so a 503 that says "try again",
    with Retry-After. The request's transaction is rolled back before the page renders."""
    session = g.get("db_session")
    if session is not None:
        session.rollback()
    incident = incident_id()
    current_app.logger.warning("incident %s: database unavailable", incident, exc_info=error)
    response = current_app.response_class(status=503, headers={"Retry-After": "5"})
    return _answer(response, "Service Unavailable", incident=incident)


def _answer(response, name: str, detail: str = "", incident: str | None = None):
    """Fill an error response: under ``/api/`` the JSON object of the OpenAPI document's
    ``Error`` schema (the incident number with 500 and 503), elsewhere the error page."""
    code = response.status_code
    if request.path.startswith("/api/"):
        error = {"status": code, "message": detail or name}
        if incident:
            error["incident"] = incident
        response.data = jsonify(error=error).get_data()
        response.content_type = "application/json"
    else:
        response.data = _page(code, name, detail=detail, incident=incident)
        response.content_type = "text/html; charset=utf-8"
    return response
