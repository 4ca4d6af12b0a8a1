"""Who can see an area's exact figures, and why: for the walidata's area page."""

from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, select

from transparency.access import ROLE_LEVEL, build_scope
from transparency.models import Area, Department, Role, User
from transparency.queries import get_root, list_ancestors


@dataclass(frozen=True)
class Viewer:
    """An account that sees the area exactly, with the reason."""

    user: User
    reason: str  # "city", "department", or "area"
    via: str  # the area or department that grants it


def list_viewers(session: Session, area: Area) -> list[Viewer]:
    """Active accounts whose scope covers the area, walidata first, then by role and name."""
    chain = {a.id: a for a in [*list_ancestors(session, area), area]}
    departments = {d.id: d for d in session.exec(select(Department))}
    city = get_root(session)
    viewers = []
    candidates = session.exec(
        select(User)
        .where(
            User.active.is_(True), or_(User.area_id.in_(list(chain)), User.role == Role.OPERATOR)
        )
        .order_by(User.role, User.username)
    )
    for user in candidates:
        own = chain.get(user.area_id)
        if user.role == Role.OPERATOR and user.department_id in departments:
            viewers.append(Viewer(user, "department", departments[user.department_id].name))
        elif own is not None and own.level == ROLE_LEVEL.get(user.role):
            scope = build_scope(
                user_id=user.id,
                role=user.role,
                active=True,
                area_path=own.path,
                area_level=own.level,
                department_id=user.department_id,
                city_path=city.path if city else None,
            )
            if scope.covers(area.path):
                viewers.append(
                    Viewer(
                        user,
                        "city" if own.parent_id is None else "area",
                        f"{own.name} ({own.code})",
                    )
                )
    order = {reason: index for index, reason in enumerate(("city", "department", "area"))}
    return sorted(viewers, key=lambda v: (order[v.reason], v.user.username))
