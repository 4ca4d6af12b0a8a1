"""The one place where exact figures are read: every query is narrowed to a scope in SQL.

A scope that may not read exact figures gets nothing (``false()``), never "all".
An area outside the scope and an area that does not exist raise the same
``OutOfScope``, so a caller cannot tell them apart.
"""

from dataclasses import dataclass

from sqlalchemy import and_, false, func
from sqlmodel import Session, select

from transparency.access import Permission, Scope
from transparency.models import ActiveUpload, Area, Department, Figure, Indicator, Period, User
from transparency.queries import get_area, in_subtree


class OutOfScope(Exception):
    """The area does not exist or lies outside the scope (deliberately indistinguishable)."""


def scope_predicate(scope: Scope, area_path_column, department_column):
    """SQL that keeps only rows the scope may see exactly."""
    if scope.is_empty or not scope.can(Permission.FIGURES_READ_EXACT) or not scope.area_path:
        return false()
    condition = in_subtree(area_path_column, scope.area_path)
    if scope.department_id is not None:
        condition = and_(condition, department_column == scope.department_id)
    return condition


def get_scoped_area(session: Session, scope: Scope, code: str) -> Area:
    """The area with this code if the scope covers it; otherwise ``OutOfScope``."""
    area = get_area(session, code)
    if area is None or not scope.can(Permission.FIGURES_READ_EXACT) or not scope.covers(area.path):
        raise OutOfScope(code)
    return area


def list_scoped_children(session: Session, scope: Scope, area: Area) -> list[Area]:
    """The area's children that the scope covers (all of them, inside a scope)."""
    statement = select(Area).where(Area.parent_id == area.id).order_by(Area.code)
    return [child for child in session.exec(statement) if scope.covers(child.path)]


@dataclass(frozen=True)
class AreaFigure:
    """One indicator's exact value for an area (summed over its RTs) in its latest period."""

    indicator: Indicator
    department: str
    period: str
    value: int
    rts_with_data: int


def list_area_figures(session: Session, scope: Scope, area: Area) -> list[AreaFigure]:
    """Exact figures of the area's subtree, latest active period of each indicator."""
    latest = (
        select(ActiveUpload.indicator_id, func.max(Period.starts_on).label("starts_on"))
        .join(Period, Period.id == ActiveUpload.period_id)
        .group_by(ActiveUpload.indicator_id)
        .subquery()
    )
    statement = (
        select(
            Indicator, Department.name, Period.code, func.sum(Figure.value), func.count(Figure.id)
        )
        .join(
            ActiveUpload,
            and_(
                ActiveUpload.upload_id == Figure.upload_id,
                ActiveUpload.indicator_id == Figure.indicator_id,
                ActiveUpload.period_id == Figure.period_id,
            ),
        )
        .join(Indicator, Indicator.id == Figure.indicator_id)
        .join(Department, Department.id == Indicator.department_id)
        .join(Period, Period.id == Figure.period_id)
        .join(
            latest,
            and_(
                latest.c.indicator_id == Figure.indicator_id, latest.c.starts_on == Period.starts_on
            ),
        )
        .join(Area, Area.id == Figure.area_id)
        .where(
            in_subtree(Area.path, area.path),
            scope_predicate(scope, Area.path, Indicator.department_id),
        )
        .group_by(Indicator.id, Department.name, Period.code)
        .order_by(Indicator.position)
    )
    return [
        AreaFigure(ind, dept, period, int(total), count)
        for ind, dept, period, total, count in session.exec(statement)
    ]


def list_scoped_accounts(
    session: Session,
    scope: Scope,
    query: str = "",
    role: str = "",
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[tuple], int]:
    """Accounts the scope may see: all for the walidata, those in the subtree for officials.

    Returns ``(rows, total)``, each row ``(User, area code or None, department code or None)``.
    """
    if scope.is_empty or not scope.can(Permission.ACCOUNTS_VIEW):
        return [], 0
    statement = (
        select(User, Area.code, Department.code)
        .join(Area, Area.id == User.area_id, isouter=True)
        .join(Department, Department.id == User.department_id, isouter=True)
    )
    if not scope.can(Permission.ACCOUNTS_MANAGE):
        statement = statement.where(in_subtree(Area.path, scope.area_path))
    if query:
        like = f"%{query.strip().lower()}%"
        statement = statement.where(
            (func.lower(User.username).like(like))
            | (func.lower(User.display_name).like(like))
            | (Area.code.like(like))
        )
    if role:
        statement = statement.where(User.role == role)
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(User.username).limit(limit).offset(offset)).all()
    return list(rows), total


def list_rt_values(
    session: Session, scope: Scope, indicator_id: int, period_id: int, upload_id: int
) -> dict[int, int]:
    """Exact RT values (area id → value) one upload brought for an indicator and period,
    narrowed to the scope like every other exact read (publication reads the whole city)."""
    statement = (
        select(Figure.area_id, Figure.value)
        .join(Area, Area.id == Figure.area_id)
        .join(Indicator, Indicator.id == Figure.indicator_id)
        .where(
            Figure.upload_id == upload_id,
            Figure.indicator_id == indicator_id,
            Figure.period_id == period_id,
            scope_predicate(scope, Area.path, Indicator.department_id),
        )
    )
    return dict(session.exec(statement).all())
