"""Verification on the web: the ketua RT confirms or disputes a figure of their RT; the
department operator, the lurah and the walidata see disputes and answer them."""

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, url_for

from transparency import dashboards, messages, scoped
from transparency.access import Permission, requires
from transparency.db import get_session
from transparency.forms import AnswerForm, VerifyForm
from transparency.security import current_account, current_scope, deny, remote_addr
from transparency.services import verification

bp = Blueprint("verification", __name__, url_prefix="/dasbor")


@bp.post("/wilayah/<code>/verifikasi")
@requires(Permission.FIGURES_VERIFY)
def verify(code: str):
    """Confirm or dispute one figure; back to the RT's page with what happened."""
    db, scope = get_session(), current_scope()
    try:
        rt = scoped.get_scoped_area(db, scope, code)
    except scoped.OutOfScope:
        deny("area out of scope or unknown", status=404, area=code)
    form = VerifyForm()
    back = redirect(url_for("dashboard.area", code=rt.code) + "#" + (form.indicator.data or ""))
    if not form.validate_on_submit():
        flash(messages.verification_refusal("verification.bad_form"), "error")
        return back
    try:
        verification.verify(
            db,
            scope,
            current_account(),
            rt,
            indicator_code=form.indicator.data,
            period_code=form.period.data,
            upload_id=form.upload.data,
            dispute=form.action.data == "dispute",
            note=form.note.data or "",
            claimed_value=form.claimed_value.data,
            now=datetime.now(UTC),
            remote_addr=remote_addr(),
        )
    except verification.VerificationRefused as refused:
        db.rollback()
        flash(messages.verification_refusal(refused.code), "error")
        return back
    db.commit()
    flash(messages.VERIFIED_DISPUTE if form.action.data == "dispute" else messages.VERIFIED_CONFIRM)
    return back


@bp.get("/sanggahan")
@requires(Permission.FIGURES_READ_EXACT)
def disputes():
    """Disputes in the scope, open ones first, with an answer form where one may answer."""
    db, scope = get_session(), current_scope()
    return render_template(
        "dashboard/disputes.html",
        disputes=dashboards.list_disputes(db, scope),
        scope=scope,
        answer_form=AnswerForm(),
    )


@bp.post("/sanggahan/<int:verification_id>/jawab")
@requires(Permission.DISPUTES_ANSWER)
def answer(verification_id: int):
    """Accept or reject a dispute; back to the list."""
    db, scope = get_session(), current_scope()
    try:
        verification.get_dispute(db, scope, verification_id)
    except verification.DisputeNotFound:
        deny("dispute out of scope or unknown", status=404, verification=verification_id)
    form = AnswerForm()
    back = redirect(url_for("verification.disputes") + f"#sanggahan-{verification_id}")
    if not form.validate_on_submit():
        flash(messages.verification_refusal("verification.bad_form"), "error")
        return back
    try:
        verification.answer(
            db,
            scope,
            current_account(),
            verification_id,
            accepted=form.decision.data == "accepted",
            reason=form.reason.data or "",
            now=datetime.now(UTC),
            remote_addr=remote_addr(),
        )
    except verification.VerificationRefused as refused:
        db.rollback()
        flash(messages.verification_refusal(refused.code), "error")
        return back
    db.commit()
    flash(messages.ANSWERED)
    return back
