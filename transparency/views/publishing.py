"""The walidata's publication page: what each period would publish, how the RTs answered,
a confirmation naming the figures, publishing one indicator or a whole period, corrections."""

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from transparency.access import Permission, requires
from transparency.db import get_session
from transparency.integers import parse_int
from transparency.models import Period
from transparency.security import current_account, current_scope
from transparency.services import publication_preview, publishing
from transparency.views.public import (
    INDICATOR_CODE,
    PERIOD_CODE,
    name_of,
    period_label,
    well_formed,
)

bp = Blueprint("publishing", __name__, url_prefix="/admin/publikasi")

REFUSALS = {
    "publish.unknown": _l("There is no such indicator or period."),
    "publish.nothing": _l("Nothing has been uploaded for this indicator and period."),
    "publish.already": _l("This version is already published."),
    "publish.reason_needed": _l(
        "A correction after publication needs a reason; it is shown to the public."
    ),
    "publish.reason_too_long": _l("The reason may be at most 2,000 characters."),
    "publish.stale": _l(
        "The figures changed since this page was shown (a new upload or a restore). "
        "Nothing was published: check the figures below again."
    ),
    "publish.none_ready": _l("No indicator of this period is waiting to be published."),
    "publish.unacknowledged": _l(
        "Tick the box to say you have checked the warnings, then publish again."
    ),
}

WARNINGS = {
    "coverage_drop": _l(
        "RTs with data fell from %(before)s to %(now)s: more than half are missing."
    ),
    "coverage_low": _l("Only %(now)s of %(before)s RTs have data."),
    "total_drop": _l("The total fell from %(before)s to %(now)s: by more than half."),
    "total_rise": _l("The total rose from %(before)s to %(now)s: more than double."),
}


def _period_or_404(session, code: str | None) -> Period | None:
    """The period chosen with ``?periode=``: the first with something waiting, else the
    newest; an unknown code is a 404."""
    periods = publication_preview.list_periods(session)
    if code:
        well_formed(PERIOD_CODE, code)
        found = next((p for p, _, _ in periods if p.code == code), None)
        return found or abort(404)
    waiting = next((p for p, _, unpublished in periods if unpublished), None)
    return waiting or (periods[0][0] if periods else None)


@bp.get("/")
@requires(Permission.PUBLICATIONS_MANAGE)
def overview():
    """One period's indicators: coverage, totals, changes, verification, publication."""
    session = get_session()
    period = _period_or_404(session, request.args.get("periode"))
    rows = publishing.list_ready(session, period.id) if period else []
    return render_template(
        "admin/publishing.html",
        period=period,
        periods=publication_preview.list_periods(session),
        previews=publication_preview.preview(session, current_scope(), rows),
        warning_text=WARNINGS,
    )


def _one(session, indicator: str, period: str):
    """The preview of one indicator's period, or 404."""
    well_formed(INDICATOR_CODE, indicator)
    found = publication_preview.get_period(session, well_formed(PERIOD_CODE, period))
    if found is None:
        abort(404)
    row = next(
        (r for r in publishing.list_ready(session, found.id) if r.indicator.code == indicator), None
    )
    if row is None:
        abort(404)
    return publication_preview.preview(session, current_scope(), [row])[0]


def _confirm_page(session, indicator: str, period: str, status: int = 200):
    preview = _one(session, indicator, period)
    return render_template(
        "admin/publish_confirm.html", preview=preview, warning_text=WARNINGS
    ), status


@bp.get("/<indicator>/<period>")
@requires(Permission.PUBLICATIONS_MANAGE)
def confirm(indicator: str, period: str):
    """What publishing this indicator's period would publish, and the button to do it."""
    return _confirm_page(get_session(), indicator, period)


@bp.post("/<indicator>/<period>")
@requires(Permission.PUBLICATIONS_MANAGE)
def publish(indicator: str, period: str):
    """Publish (or correct, with a reason) the version checked on the confirmation page."""
    session = get_session()
    try:
        preview = _one(session, indicator, period)
        checked = parse_int(request.form.get("upload")) or 0
        if checked == preview.ready.upload_id:  # else the service refuses it as stale
            _acknowledged([preview])
        publishing.publish(
            session,
            current_scope(),
            current_account(),
            indicator,
            period,
            datetime.now(UTC),
            reason=request.form.get("reason", ""),
            confirmed_upload_id=checked,
        )
    except publishing.PublishRefused as refused:
        session.rollback()
        flash(str(REFUSALS[refused.code]), "error")
        return _confirm_page(session, indicator, period, 400)
    session.commit()
    names = {
        "indicator": name_of(preview.ready.indicator),
        "period": period_label(preview.ready.period),
    }
    flash(str(_l("Published: %(indicator)s, %(period)s.", **names)))
    return redirect(url_for("publishing.overview", periode=period))


def _acknowledged(previews) -> None:
    """Warnings shown on the confirmation must have been ticked as checked."""
    if any(p.warnings for p in previews) and request.form.get("acknowledge") != "1":
        raise publishing.PublishRefused("publish.unacknowledged")


def _ready_previews(session, code: str):
    """The period and the previews of its indicators waiting to be published (404 for an
    unknown period)."""
    period = publication_preview.get_period(session, well_formed(PERIOD_CODE, code))
    if period is None:
        abort(404)
    rows = [r for r in publishing.list_ready(session, period.id) if r.state == "unpublished"]
    return period, publication_preview.preview(session, current_scope(), rows)


def _period_page(session, code: str, status: int = 200):
    period, previews = _ready_previews(session, code)
    return render_template(
        "admin/publish_period.html",
        period=period,
        previews=previews,
        names=", ".join(name_of(p.ready.indicator) for p in previews),
        warning_text=WARNINGS,
    ), status


@bp.get("/bulan/<period>")
@requires(Permission.PUBLICATIONS_MANAGE)
def confirm_period(period: str):
    """Every indicator of the period waiting to be published, with its figures."""
    return _period_page(get_session(), period)


@bp.post("/bulan/<period>")
@requires(Permission.PUBLICATIONS_MANAGE)
def publish_period(period: str):
    """Publish every indicator of the period that is waiting, as confirmed, in one go."""
    session = get_session()
    found, previews = _ready_previews(session, period)
    confirmed = {}
    for item in request.form.getlist("item"):
        code, _, upload = item.partition(":")
        confirmed[code] = parse_int(upload) or 0
    try:
        if confirmed == {p.ready.indicator.code: p.ready.upload_id for p in previews}:
            _acknowledged(previews)  # else the service refuses them as stale
        published = publishing.publish_period(
            session, current_scope(), current_account(), period, confirmed, datetime.now(UTC)
        )
    except publishing.PublishRefused as refused:
        session.rollback()
        flash(str(REFUSALS[refused.code]), "error")
        return _period_page(session, period, 400)
    session.commit()
    names = ", ".join(name_of(p.ready.indicator) for p in previews)
    flash(
        str(
            _l(
                "Published %(count)s indicators for %(period)s: %(names)s.",
                count=len(published),
                period=period_label(found),
                names=names,
            )
        )
    )
    return redirect(url_for("publishing.overview", periode=period))
