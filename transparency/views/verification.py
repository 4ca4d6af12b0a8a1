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
from transparency.views.dashboard import rt_home

# Refusals that belong to one field: the page comes back with that field's form open, the
# message next to it and the entry kept (422). Other refusals go back with a message on top.
FIELD_OF = {
    "verification.note_required": "note",
    "verification.note_too_long": "note",
    "verification.bad_value": "claimed_value",
    "verification.reason_required": "reason",
    "verification.decision_required": "decision",
}
DECISIONS = ("accepted", "rejected")
FORM_FIELD_CODES = {
    "note": "verification.note_too_long",
    "claimed_value": "verification.bad_value",
    "reason": "verification.note_too_long",
    "decision": "verification.decision_required",
}


def _form_refusal(form) -> str:
    """The refusal code of a form that did not validate: its first field with a message."""
    return next((FORM_FIELD_CODES[f] for f in form.errors if f in FORM_FIELD_CODES), None) or (
        "verification.bad_form"
    )


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
    refused = None if form.validate_on_submit() else _form_refusal(form)
    if refused is None:
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
        except verification.VerificationRefused as error:
            db.rollback()
            refused = error.code
    if refused in FIELD_OF:
        kept = {
            "indicator": form.indicator.data,
            "field": FIELD_OF[refused],
            "message": messages.verification_refusal(refused),
            "note": form.note.data or "",
            "claimed_value": form.claimed_value.raw_data[0] if form.claimed_value.raw_data else "",
        }
        return rt_home(db, scope, rt, refused=kept), 422
    if refused:
        flash(messages.verification_refusal(refused), "error")
        return back
    db.commit()
    flash(messages.VERIFIED_DISPUTE if form.action.data == "dispute" else messages.VERIFIED_CONFIRM)
    return back


@bp.get("/sanggahan")
@requires(Permission.FIGURES_READ_EXACT)
def disputes():
    """Disputes in the scope, open ones first, with an answer form where one may answer."""
    return _disputes_page(get_session(), current_scope())


def _disputes_page(db, scope, refused: dict | None = None) -> str:
    """The disputes list; ``refused`` (id, field, message, entry) keeps a refused answer."""
    return render_template(
        "dashboard/disputes.html",
        disputes=dashboards.list_disputes(db, scope),
        scope=scope,
        answer_form=AnswerForm(formdata=None),
        refused=refused,
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
    refused = None if form.validate_on_submit() else _form_refusal(form)
    if refused is None:
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
        except verification.VerificationRefused as error:
            db.rollback()
            refused = error.code
    if refused in FIELD_OF:
        kept = {
            "id": verification_id,
            "field": FIELD_OF[refused],
            "message": messages.verification_refusal(refused),
            "decision": form.decision.data if form.decision.data in DECISIONS else "",
            "reason": form.reason.data or "",
        }
        return _disputes_page(db, scope, refused=kept), 422
    if refused:
        flash(messages.verification_refusal(refused), "error")
        return back
    db.commit()
    flash(messages.ANSWERED)
    return back
