"""Verification: the RT head confirms or disputes a figure; the department operator or the
lurah answers a dispute; a new version of the figures re-opens it where they changed.

A verification belongs to one RT, indicator, period and upload (the version the RT head
saw). Every step is audited. The caller commits.
"""

from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, select

from transparency.access import Scope
from transparency.models import (
    ActiveUpload,
    Area,
    Indicator,
    Period,
    User,
    Verification,
    VerificationStatus,
)
from transparency.services import Refused, audit

NOTE_MAX = 2000


class VerificationRefused(Refused):
    """A verification step that may not happen; ``code`` names the reason."""


class DisputeNotFound(Exception):
    """No such dispute in the scope (missing and out of scope alike)."""


def verify(
    session: Session,
    scope: Scope,
    actor: User,
    rt: Area,
    *,
    indicator_code: str,
    period_code: str,
    upload_id: int | None,
    dispute: bool,
    note: str = "",
    claimed_value: int | None = None,
    now: datetime,
    remote_addr: str = "",
) -> Verification:
    """The RT head's confirmation or dispute of one figure of their own RT."""
    if not scope.may_verify(rt.path):
        raise VerificationRefused("verification.not_yours")
    indicator = session.exec(select(Indicator).where(Indicator.code == indicator_code)).first()
    period = session.exec(select(Period).where(Period.code == period_code)).first()
    if indicator is None or period is None:
        raise VerificationRefused("verification.unknown_figure")
    rw = session.get(Area, rt.parent_id)
    active = session.get(ActiveUpload, (indicator.id, period.id, rw.parent_id if rw else 0))
    if active is None:
        raise VerificationRefused("verification.unknown_figure")
    if active.upload_id != upload_id:
        raise VerificationRefused("verification.stale")
    note = (note or "").strip()
    if dispute and not note:
        raise VerificationRefused("verification.note_required")
    if len(note) > NOTE_MAX:
        raise VerificationRefused("verification.note_too_long")
    if claimed_value is not None and claimed_value < 0:
        raise VerificationRefused("verification.bad_value")
    existing = session.exec(
        select(Verification).where(
            Verification.area_id == rt.id,
            Verification.indicator_id == indicator.id,
            Verification.period_id == period.id,
            Verification.upload_id == upload_id,
        )
    ).first()
    if existing is not None and existing.answered_at is not None:
        raise VerificationRefused("verification.answered")
    row = existing or Verification(
        area_id=rt.id,
        indicator_id=indicator.id,
        period_id=period.id,
        upload_id=upload_id,
        created_by_id=actor.id,
    )
    row.status = VerificationStatus.DISPUTED if dispute else VerificationStatus.CONFIRMED
    row.note = note if dispute else ""
    row.claimed_value = claimed_value if dispute else None
    row.created_by_id = actor.id
    row.created_at = now
    session.add(row)
    session.flush()
    audit.record(
        session,
        "verification.dispute" if dispute else "verification.confirm",
        actor=actor,
        object_type="verification",
        object_id=row.id,
        remote_addr=remote_addr,
        area=rt.code,
        indicator=indicator.code,
        period=period.code,
        upload=upload_id,
    )
    return row


def get_dispute(session: Session, scope: Scope, verification_id: int) -> Verification:
    """A dispute the scope may answer; ``DisputeNotFound`` otherwise (missing alike)."""
    row = session.get(Verification, verification_id)
    if row is None or row.status == VerificationStatus.CONFIRMED:
        raise DisputeNotFound(verification_id)
    area = session.get(Area, row.area_id)
    indicator = session.get(Indicator, row.indicator_id)
    if not scope.may_answer(indicator.department_id, area.path):
        raise DisputeNotFound(verification_id)
    return row


def answer(
    session: Session,
    scope: Scope,
    actor: User,
    verification_id: int,
    *,
    accepted: bool,
    reason: str,
    now: datetime,
    remote_addr: str = "",
) -> Verification:
    """Accept a dispute (to be corrected in the next upload) or reject it with a reason."""
    row = get_dispute(session, scope, verification_id)
    if row.status != VerificationStatus.DISPUTED:
        raise VerificationRefused("verification.already_answered")
    reason = (reason or "").strip()
    if not accepted and not reason:
        raise VerificationRefused("verification.reason_required")
    if len(reason) > NOTE_MAX:
        raise VerificationRefused("verification.note_too_long")
    row.status = VerificationStatus.ACCEPTED if accepted else VerificationStatus.REJECTED
    row.answer = reason
    row.answered_by_id = actor.id
    row.answered_at = now
    session.add(row)
    session.flush()
    audit.record(
        session,
        "verification.answer",
        actor=actor,
        object_type="verification",
        object_id=row.id,
        remote_addr=remote_addr,
        outcome=str(row.status),
    )
    return row


CARRY_FORWARD = text(
    "INSERT INTO verification (area_id, indicator_id, period_id, upload_id, status, note, "
    "claimed_value, created_by_id, created_at, answer, answered_by_id, answered_at) "
    "SELECT v.area_id, v.indicator_id, v.period_id, :new, v.status, v.note, v.claimed_value, "
    "v.created_by_id, v.created_at, v.answer, v.answered_by_id, v.answered_at "
    "FROM verification v "
    "JOIN figure old ON old.upload_id = v.upload_id AND old.indicator_id = v.indicator_id "
    "AND old.area_id = v.area_id "
    "JOIN figure new ON new.upload_id = :new AND new.indicator_id = v.indicator_id "
    "AND new.area_id = v.area_id "
    "WHERE v.upload_id = :old AND v.indicator_id = :indicator AND old.value = new.value "
    "AND NOT EXISTS (SELECT 1 FROM verification w WHERE w.area_id = v.area_id "
    "AND w.indicator_id = v.indicator_id AND w.period_id = v.period_id AND w.upload_id = :new)"
)


def carry_forward(
    session: Session, upload_id: int, previous: dict[int, int], actor: User | None
) -> tuple[int, int]:
    """After ``upload_id`` became the version in force (``previous``: indicator id → the
    upload it replaced): what RT heads said of unchanged figures still holds; figures that
    changed are open for verification again. Returns (carried, re-opened)."""
    carried = reopened = 0
    for indicator_id, old in previous.items():
        if old == upload_id:
            continue
        before = session.exec(
            select(Verification.id).where(
                Verification.upload_id == old, Verification.indicator_id == indicator_id
            )
        ).all()
        if not before:
            continue
        params = {"new": upload_id, "old": old, "indicator": indicator_id}
        moved = session.execute(CARRY_FORWARD, params).rowcount
        carried += moved
        reopened += len(before) - moved
    if carried or reopened:
        audit.record(
            session,
            "verification.reopen",
            actor=actor,
            object_type="upload",
            object_id=upload_id,
            carried=carried,
            reopened=reopened,
        )
    return carried, reopened
