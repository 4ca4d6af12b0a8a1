"""The one place where exact figures are read: every query is narrowed to a scope in SQL.

A scope that may not read exact figures gets nothing (``false()``), never "all".
An area outside the scope and an area that does not exist raise the same
``OutOfScope``, so a caller cannot tell them apart.
"""

from dataclasses import dataclass

from sqlalchemy import and_, false, func, or_
from sqlmodel import Session, select

from transparency.access import Permission, Scope
from transparency.models import (
    ActiveUpload,
    Area,
    AreaLevel,
    Department,
    Figure,
    Indicator,
    Period,
    User,
)
from transparency.queries import figure_in_force, get_area, in_subtree


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


def in_force_uploads(session: Session):
    """``(indicator id, period id, upload id)`` of every upload in force somewhere, each
    once (an upload is in force per kelurahan it covers)."""
    return session.exec(
        select(ActiveUpload.indicator_id, ActiveUpload.period_id, ActiveUpload.upload_id).distinct()
    ).all()


def latest_cells(session: Session) -> dict[int, tuple[Period, tuple[int, ...]]]:
    """Per indicator, its latest period in force and the uploads in force for it (plain
    rows of the small ``active_upload`` and ``period`` tables)."""
    periods = {p.id: p for p in session.exec(select(Period))}
    latest: dict[int, tuple[Period, tuple[int, ...]]] = {}
    for indicator_id, period_id, upload_id in in_force_uploads(session):
        period = periods[period_id]
        known = latest.get(indicator_id)
        if known is None or period.starts_on > known[0].starts_on:
            latest[indicator_id] = (period, (upload_id,))
        elif period.id == known[0].id:
            latest[indicator_id] = (period, tuple(sorted({*known[1], upload_id})))
    return latest


# Up to this many RTs, figures are looked up RT by RT through the unique (upload,
# indicator, area) index; above it (a kecamatan, the city) they are read key by key.
RT_LOOKUP_LIMIT = 2000


def list_figure_rows(
    session: Session, scope: Scope, area: Area, keys: list[tuple[int, int]]
) -> list[tuple[int, int, str, int]]:
    """``(indicator id, upload id, RT path, value)`` of the RTs in the area's subtree for
    the (indicator, upload) keys asked for (an upload is one period), narrowed to the scope,
    where the upload is the one in force for the RT's kelurahan."""
    condition = scope_predicate(scope, Area.path, Indicator.department_id)
    return _figure_rows(session, area, keys, condition)


def _figure_rows(session: Session, area: Area, keys, condition) -> list[tuple[int, int, str, int]]:
    if not keys:
        return []
    columns = (Figure.indicator_id, Figure.upload_id, Area.path, Figure.value)
    statement = _figure_statement(session, area, keys, condition, columns)
    wanted = set(keys)
    return [tuple(row) for row in session.exec(statement) if (row[0], row[1]) in wanted]


def _figure_statement(session: Session, area: Area, keys, condition, columns):
    """Figures of (indicator, upload) keys in the area's subtree. A small subtree is looked
    up RT by RT through the unique (upload, indicator, area) index; a large one is read
    key by key, its path test written so that no index on the path is used for it."""
    statement = (
        select(*columns)
        .join(ActiveUpload, figure_in_force())
        .join(Area, Area.id == Figure.area_id)
        .join(Indicator, Indicator.id == Figure.indicator_id)
        .where(
            Figure.upload_id.in_(sorted({upload for _, upload in keys})),
            Figure.indicator_id.in_(sorted({indicator for indicator, _ in keys})),
            condition,
        )
    )
    rts = session.exec(
        select(Area.id)
        .where(Area.level == AreaLevel.RT, in_subtree(Area.path, area.path))
        .limit(RT_LOOKUP_LIMIT + 1)
    ).all()
    if len(rts) <= RT_LOOKUP_LIMIT:
        return statement.where(Figure.area_id.in_(rts))
    if area.parent_id is None:
        return statement  # the whole city
    low = area.path + "."
    return statement.where(func.substr(Area.path, 1, len(low)) == low)


def list_area_figures(session: Session, scope: Scope, area: Area) -> list[AreaFigure]:
    """Exact figures of the area's subtree, latest active period of each indicator.

    The figures are fetched by their (indicator, upload) keys, so that the ``figure``
    indexes find them without reading older periods or versions.
    """
    latest = latest_cells(session)
    keys = [(i, upload) for i, (_, uploads) in latest.items() for upload in uploads]
    sums: dict[int, list[int]] = {}
    for indicator_id, _upload, _path, value in list_figure_rows(session, scope, area, keys):
        total = sums.setdefault(indicator_id, [0, 0])
        total[0] += value
        total[1] += 1
    if not sums:
        return []
    indicators = session.exec(
        select(Indicator, Department.name)
        .join(Department, Department.id == Indicator.department_id)
        .where(Indicator.id.in_(list(sums)))
        .order_by(Indicator.position)
    )
    return [
        AreaFigure(ind, dept, latest[ind.id][0].code, sums[ind.id][0], sums[ind.id][1])
        for ind, dept in indicators
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


def list_rt_values_of_sources(
    session: Session, scope: Scope, indicator_id: int, period_id: int, sources: dict[str, int]
) -> dict[int, int]:
    """Exact RT values (area id → value) of a published version: in each kelurahan, the
    figure of the upload that was in force there ({kelurahan id: upload id}), narrowed to
    the scope."""
    by_upload: dict[int, list[int]] = {}
    for kelurahan_id, upload_id in sources.items():
        by_upload.setdefault(upload_id, []).append(int(kelurahan_id))
    values: dict[int, int] = {}
    for upload_id, kelurahan_ids in sorted(by_upload.items()):
        statement = (
            select(Figure.area_id, Figure.value)
            .join(Area, Area.id == Figure.area_id)
            .join(Indicator, Indicator.id == Figure.indicator_id)
            .where(
                Figure.indicator_id == indicator_id,
                Figure.period_id == period_id,
                Figure.upload_id == upload_id,
                Figure.kelurahan_id.in_(kelurahan_ids),
                scope_predicate(scope, Area.path, Indicator.department_id),
            )
        )
        values.update(session.exec(statement).all())
    return values


def sum_version_by_kelurahan(
    session: Session, scope: Scope, indicator_id: int, period_id: int, version
) -> dict[int, tuple[int, int]]:
    """Per kelurahan id: the sum of its RTs' exact values in one version of an indicator's
    period and how many RTs have one, narrowed to the scope (one grouped statement). The
    version is ``None`` (what is in force now), an upload id (a publication made before
    coverage) or a publication's {kelurahan id: upload id}."""
    statement = (
        select(Figure.kelurahan_id, func.sum(Figure.value), func.count(Figure.id))
        .join(Area, Area.id == Figure.area_id)
        .join(Indicator, Indicator.id == Figure.indicator_id)
        .where(
            Figure.indicator_id == indicator_id,
            Figure.period_id == period_id,
            scope_predicate(scope, Area.path, Indicator.department_id),
        )
        .group_by(Figure.kelurahan_id)
    )
    if version is None:
        statement = statement.join(ActiveUpload, figure_in_force())
    elif isinstance(version, int):
        statement = statement.where(Figure.upload_id == version)
    else:
        by_upload: dict[int, list[int]] = {}
        for kelurahan_id, upload_id in version.items():
            by_upload.setdefault(upload_id, []).append(int(kelurahan_id))
        statement = statement.where(
            or_(
                *(
                    and_(Figure.upload_id == upload, Figure.kelurahan_id.in_(sorted(ids)))
                    for upload, ids in sorted(by_upload.items())
                )
            )
        )
    return {kel: (int(total or 0), count) for kel, total, count in session.exec(statement)}
