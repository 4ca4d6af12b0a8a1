"""The walidata's audit trail page and an area's "who can see its exact figures"."""

from datetime import UTC, datetime, time

from flask import Blueprint, abort, render_template, request
from sqlmodel import func, select

from transparency.access import Permission, requires
from transparency.db import get_session
from transparency.i18n import AUDIT_ACTIONS, JAKARTA
from transparency.models import AuditEvent
from transparency.queries import get_area, list_ancestors
from transparency.services.area_access import list_viewers
from transparency.views import params

bp = Blueprint("audit_admin", __name__, url_prefix="/admin")
PAGE_SIZE = 100


def _date(value: str | None, end: bool = False) -> datetime | None:
    """The start (or end) of a day in Jakarta, as the UTC time events are stored in."""
    try:
        day = datetime.strptime(value or "", "%Y-%m-%d")
    except ValueError:
        return None
    return datetime.combine(day.date(), time.max if end else time.min, tzinfo=JAKARTA).astimezone(
        UTC
    )


@bp.get("/audit")
@requires(Permission.AUDIT_READ)
def events():
    """Audit events, newest first, filtered by action, actor, outcome and dates (days in
    Jakarta, as the times are shown)."""
    filters = {
        key: request.args.get(key, "")[:80] for key in ("aksi", "pelaku", "hasil", "dari", "sampai")
    }
    statement = select(AuditEvent)
    if filters["aksi"]:
        statement = statement.where(AuditEvent.action.like(filters["aksi"] + "%"))
    if filters["pelaku"]:
        statement = statement.where(AuditEvent.actor_name == filters["pelaku"].lower())
    if filters["hasil"]:
        statement = statement.where(AuditEvent.outcome == filters["hasil"])
    if start := _date(filters["dari"]):
        statement = statement.where(AuditEvent.at >= start)
    if end := _date(filters["sampai"], end=True):
        statement = statement.where(AuditEvent.at <= end)
    db = get_session()
    total = db.exec(select(func.count()).select_from(statement.subquery())).one()
    page = params.page_arg("hal", PAGE_SIZE)
    rows = db.exec(
        statement.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "admin/audit.html",
        rows=rows,
        filters=filters,
        actions=list(AUDIT_ACTIONS),
        total=total,
        page=page,
        pages=max((total - 1) // PAGE_SIZE + 1, 1),
    )


@bp.get("/wilayah/<code>")
@requires(Permission.AREAS_ADMIN)
def area(code: str):
    """An area's admin page: who can see its exact figures, and why."""
    db = get_session()
    found = get_area(db, code)
    if found is None:
        abort(404)
    return render_template(
        "admin/area.html",
        area=found,
        viewers=list_viewers(db, found),
        ancestors=list_ancestors(db, found),
    )
