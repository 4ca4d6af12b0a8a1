"""The walidata's publication page: what is ready, how the RTs answered, publish, correct."""

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from transparency.access import Permission, requires
from transparency.db import get_session
from transparency.security import current_account, current_scope
from transparency.services import publishing

bp = Blueprint("publishing", __name__, url_prefix="/admin/publikasi")

REFUSALS = {
    "publish.unknown": _l("There is no such indicator or period."),
    "publish.nothing": _l("Nothing has been uploaded for this indicator and period."),
    "publish.already": _l("This version is already published."),
    "publish.reason_needed": _l(
        "A correction after publication needs a reason; it is shown to the public."
    ),
    "publish.reason_too_long": _l("The reason may be at most 2,000 characters."),
}


@bp.get("/")
@requires(Permission.PUBLICATIONS_MANAGE)
def overview():
    """Every indicator's periods with an upload in force: verification and publication."""
    return render_template("admin/publishing.html", rows=publishing.list_ready(get_session()))


@bp.post("/<indicator>/<period>")
@requires(Permission.PUBLICATIONS_MANAGE)
def publish(indicator: str, period: str):
    """Publish (or correct, with a reason) the version in force."""
    session = get_session()
    try:
        publishing.publish(
            session,
            current_scope(),
            current_account(),
            indicator,
            period,
            datetime.now(UTC),
            reason=request.form.get("reason", ""),
        )
    except publishing.PublishRefused as refused:
        session.rollback()
        flash(str(REFUSALS[refused.code]))
        status = 404 if refused.code == "publish.unknown" else 400
        return render_template("admin/publishing.html", rows=publishing.list_ready(session)), status
    session.commit()
    flash(str(_l("Published: %(indicator)s, %(period)s.", indicator=indicator, period=period)))
    return redirect(url_for("publishing.overview"))
