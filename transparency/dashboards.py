"""Reads for the dashboards: an RT's figures with their trend, provenance and state; an
area's children for one indicator; verification progress; a department's completeness.

Every read of exact figures is narrowed in SQL by ``scoped.scope_predicate`` (the area
subtree and, for operators, the department), after ``scoped.get_scoped_area`` has
checked the area itself. Published context (the RT, its RW and kelurahan) is read from
``published``: the protected rows the public portal shows. No Flask here; functions take
the session and the scope.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from transparency import published, scoped
from transparency.access import Scope
from transparency.areas import SEPARATOR
from transparency.charts import Point
from transparency.models import (
    ActiveUpload,
    Area,
    AreaLevel,
    Department,
    Figure,
    Indicator,
    Period,
    Publication,
    Upload,
    Verification,
    VerificationStatus,
)
from transparency.queries import figure_in_force, in_subtree

TREND_PERIODS = 12


def list_visible_indicators(session: Session, scope: Scope) -> list[Indicator]:
    """The indicators whose exact figures the scope may read (operators: their own)."""
    return [indicator for indicator, _ in _visible_indicators(session, scope)]


def _visible_indicators(session: Session, scope: Scope) -> list[tuple[Indicator, str]]:
    """The same, each with its department's name (one statement)."""
    statement = (
        select(Indicator, Department.name)
        .join(Department, Department.id == Indicator.department_id)
        .order_by(Indicator.position, Indicator.id)
    )
    if scope.department_id is not None:
        statement = statement.where(Indicator.department_id == scope.department_id)
    return list(session.exec(statement))


def list_periods(session: Session) -> dict[int, Period]:
    """Every period by id (a few dozen rows)."""
    return {p.id: p for p in session.exec(select(Period))}


def active_cells(session: Session, periods: dict[int, Period]) -> dict[int, list[tuple]]:
    """Per indicator, its (period, uploads in force) pairs, oldest period first (an upload
    is in force in the kelurahan it covers, so a period may have several)."""
    uploads: dict[tuple[int, int], set[int]] = defaultdict(set)
    for indicator_id, period_id, upload_id in scoped.in_force_uploads(session):
        uploads[(indicator_id, period_id)].add(upload_id)
    cells = defaultdict(list)
    for (indicator_id, period_id), ids in uploads.items():
        cells[indicator_id].append((periods[period_id], tuple(sorted(ids))))
    for pairs in cells.values():
        pairs.sort(key=lambda pair: pair[0].starts_on)
    return cells


@dataclass(frozen=True)
class Published:
    """The current publication of an indicator's period: its id and which upload."""

    id: int
    upload_id: int


def current_publications(
    session: Session, indicator_ids: list[int], period_ids: set[int]
) -> dict[tuple[int, int], Published]:
    """The publication in force per (indicator, period) for the given indicators: in the
    given periods, and the latest published period of each (ids only: a page needs a few
    publication dates at most, and reads those by id)."""
    latest = (
        select(Publication.indicator_id, func.max(Period.starts_on).label("starts_on"))
        .join(Period, Period.id == Publication.period_id)
        .where(Publication.is_current, Publication.indicator_id.in_(indicator_ids))
        .group_by(Publication.indicator_id)
        .subquery()
    )
    rows = session.exec(
        select(
            Publication.indicator_id,
            Publication.period_id,
            Publication.id,
            Publication.upload_id,
        )
        .join(Period, Period.id == Publication.period_id)
        .join(latest, latest.c.indicator_id == Publication.indicator_id)
        .where(
            Publication.is_current,
            or_(Publication.period_id.in_(period_ids), Period.starts_on == latest.c.starts_on),
        )
    )
    return {(i, p): Published(pid, u) for i, p, pid, u in rows}


# --- the ketua RT's home ------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """The upload a figure came from, as its page shows it."""

    id: int
    committed_at: datetime | None
    file_name: str = ""
    department: str = ""


@dataclass
class RtFigure:
    """One indicator of one RT in its latest period, with everything the RT head checks."""

    indicator: Indicator
    department: str
    period: Period
    value: int
    previous: int | None
    previous_period: Period | None
    upload: Delivery
    households: int | None
    series: list[Point]
    verification: Verification | None = None
    publication: Published | None = None
    # Published, protected figures of the latest published period by level ("rt", "rw",
    # "kelurahan"): the count, None where it is hidden; a level without data is absent.
    context: dict[str, int | None] = field(default_factory=dict)
    context_period: Period | None = None
    context_publication: Published | None = None

    @property
    def change(self) -> int | None:
        """The change from the previous period, or None without one."""
        return None if self.previous is None else self.value - self.previous

    @property
    def share(self) -> float | None:
        """The share of households, where that means something."""
        if not self.indicator.per_household or not self.households:
            return None
        return self.value / self.households

    @property
    def state(self) -> str:
        """awaiting, confirmed, disputed, accepted or rejected."""
        return str(self.verification.status) if self.verification else "awaiting"


def list_rt_figures(session: Session, scope: Scope, rt: Area) -> list[RtFigure]:
    """The RT's figures (an RT ``get_scoped_area`` returned) for the latest period of each
    indicator the scope may read, with trend, provenance, state and published context.

    One read of the RT's figures in force gives every period of every indicator (the
    trend), then one read each for the latest uploads and their verifications."""
    periods = list_periods(session)
    visible = _visible_indicators(session, scope)
    indicators = {indicator.id: indicator for indicator, _ in visible}
    departments = {indicator.id: name for indicator, name in visible}
    statement = (
        select(Figure.indicator_id, Figure.period_id, Figure.upload_id, Figure.value)
        .join(ActiveUpload, figure_in_force())
        .join(Area, Area.id == Figure.area_id)
        .join(Indicator, Indicator.id == Figure.indicator_id)
        .where(
            Figure.area_id == rt.id,
            scoped.scope_predicate(scope, Area.path, Indicator.department_id),
        )
    )
    own: dict[int, list[tuple[Period, int, int]]] = defaultdict(list)
    for indicator_id, period_id, upload_id, value in session.exec(statement):
        own[indicator_id].append((periods[period_id], upload_id, value))
    for cells in own.values():
        cells.sort(key=lambda cell: cell[0].starts_on)
    latest = {cells[-1][1] for indicator_id, cells in own.items() if indicator_id in indicators}
    deliveries = {
        upload_id: Delivery(upload_id, committed_at, file_name)
        for upload_id, committed_at, file_name in session.exec(
            select(Upload.id, Upload.committed_at, Upload.file_name).where(Upload.id.in_(latest))
        )
    }
    verifications = {
        (v.indicator_id, v.period_id, v.upload_id): v
        for v in session.exec(
            select(Verification).where(
                Verification.area_id == rt.id, Verification.upload_id.in_(latest)
            )
        )
    }
    latest_periods = {cells[-1][0].id for cells in own.values()}
    publications = current_publications(session, list(indicators), latest_periods)
    figures = []
    for indicator_id, indicator in indicators.items():
        cells = own.get(indicator_id)
        if not cells:
            continue
        period, upload_id, value = cells[-1]
        before = cells[-2] if len(cells) > 1 else None
        figures.append(
            RtFigure(
                indicator=indicator,
                department=departments[indicator_id],
                period=period,
                value=value,
                previous=before[2] if before else None,
                previous_period=before[0] if before else None,
                upload=deliveries[upload_id],
                households=rt.households,
                series=[Point(p.code, v) for p, _, v in cells[-TREND_PERIODS:]],
                verification=verifications.get((indicator_id, period.id, upload_id)),
                publication=_if_of(publications.get((indicator_id, period.id)), upload_id),
            )
        )
    _add_context(session, rt, figures, periods, publications)
    return figures


def _if_of(publication: Published | None, upload_id: int) -> Published | None:
    """The publication, if it published this upload (not an older one a correction
    replaced and that waits to be published again)."""
    return publication if publication and publication.upload_id == upload_id else None


def _add_context(session, rt: Area, figures: list[RtFigure], periods, publications) -> None:
    """The published figures of the RT, its RW and kelurahan in the latest published period
    of each indicator: the protected ``published_figure`` rows the public portal shows."""
    shown = {figure.indicator.id for figure in figures}
    latest: dict[int, Period] = {}
    for indicator_id, period_id in publications:
        period = periods[period_id]
        if indicator_id in shown and (
            indicator_id not in latest or period.starts_on > latest[indicator_id].starts_on
        ):
            latest[indicator_id] = period
    if not latest:
        return
    rw_path, kelurahan_path = (rt.path.rsplit(SEPARATOR, n)[0] for n in (1, 2))
    levels = {"rt": rt.path, "rw": rw_path, "kelurahan": kelurahan_path}
    ids = [publications[(indicator_id, p.id)].id for indicator_id, p in latest.items()]
    values = published.list_area_values(session, ids, list(levels.values()))
    for figure in figures:
        period = latest.get(figure.indicator.id)
        if period is None:
            continue
        publication = publications[(figure.indicator.id, period.id)]
        figure.context_period = period
        figure.context_publication = publication
        figure.context = {
            level: values[(publication.id, path)]
            for level, path in levels.items()
            if (publication.id, path) in values
        }


# --- officials: an area, its children, one indicator ------------------------------------


@dataclass
class ChildRow:
    """One child area for one indicator: figures, households, change and verification."""

    area: Area
    rts: int
    households: int
    value: int | None
    previous: int | None
    rts_with_data: int
    confirmed: int
    disputed: int
    per_household: bool

    @property
    def change(self) -> int | None:
        """The change from the previous period."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def share(self) -> float | None:
        """The share of households, where that means something."""
        if not self.per_household or not self.households or self.value is None:
            return None
        return self.value / self.households


@dataclass
class AreaIndicator:
    """An area's total of one indicator: latest and previous period, trend, verification."""

    indicator: Indicator
    period: Period | None
    previous_period: Period | None
    value: int | None
    previous: int | None
    rts_with_data: int
    confirmed: int
    disputed: int
    series: list[Point]
    children: list[ChildRow]
    # The uploads the latest period's figures of this area came from (one per kelurahan
    # at most, when a department sent a kelurahan at a time).
    sources: list[Delivery] = field(default_factory=list)

    @property
    def change(self) -> int | None:
        """The change from the previous period."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


def _child_path(path: str, depth: int) -> str:
    return ".".join(path.split(".")[: depth + 1])


def area_indicator(
    session: Session, scope: Scope, area: Area, indicator: Indicator, children
) -> AreaIndicator:
    """The area's figures of one indicator by child (``children``: ``ChildSummary`` rows of
    ``queries.list_children``), with trend and verification progress of the latest period."""
    periods = list_periods(session)
    pairs = active_cells(session, periods).get(indicator.id, [])
    recent = pairs[-TREND_PERIODS:]
    scoped_rt = and_(
        in_subtree(Area.path, area.path),
        scoped.scope_predicate(scope, Area.path, Indicator.department_id),
    )
    keys = [(indicator.id, upload) for _, uploads in recent for upload in uploads]
    rows = figure_rows = scoped.list_figure_rows(session, scope, area, keys)
    by_upload: dict[int, int] = defaultdict(int)
    for _, upload, _, value in rows:
        by_upload[upload] += value
    totals = {
        p.id: sum(by_upload[u] for u in us if u in by_upload)
        for p, us in recent
        if any(u in by_upload for u in us)
    }
    series = [Point(p.code, totals.get(p.id)) for p, _ in recent]
    with_data = [(p, u) for p, u in recent if p.id in totals]
    latest = with_data[-1] if with_data else None
    before = with_data[-2] if len(with_data) > 1 else None
    depth = len(area.path.split("."))
    table = {c.area.path: [c, None, None, 0, 0, 0] for c in children}
    for slot, pair in ((1, latest), (2, before)):
        if pair is None:
            continue
        for _, upload, path, value in rows:
            row = table.get(_child_path(path, depth)) if upload in pair[1] else None
            if row is not None:
                row[slot] = (row[slot] or 0) + value
                if slot == 1:
                    row[3] += 1
    rows = table
    confirmed = disputed = 0
    if latest is not None:
        statement = (
            select(Area.path, Verification.status)
            .join(Area, Area.id == Verification.area_id)
            .join(Indicator, Indicator.id == Verification.indicator_id)
            .join(
                Figure,  # the version the RT head saw must be the one in force there
                and_(
                    Figure.upload_id == Verification.upload_id,
                    Figure.indicator_id == Verification.indicator_id,
                    Figure.area_id == Verification.area_id,
                ),
            )
            .join(ActiveUpload, figure_in_force())
            .where(
                scoped_rt,
                Verification.indicator_id == indicator.id,
                Verification.period_id == latest[0].id,
                Verification.upload_id.in_(latest[1]),
            )
        )
        for path, status in session.exec(statement):
            row = rows.get(_child_path(path, depth))
            is_confirmed = status == VerificationStatus.CONFIRMED
            is_disputed = status == VerificationStatus.DISPUTED
            confirmed += is_confirmed
            disputed += is_disputed
            if row is not None:
                row[4] += is_confirmed
                row[5] += is_disputed
    child_rows = [
        ChildRow(c.area, c.rts, c.households, v, p, n, ok, dis, indicator.per_household)
        for c, v, p, n, ok, dis in rows.values()
    ]
    used = sorted({upload for _, upload, _, _ in figure_rows if latest and upload in latest[1]})
    sources = [
        Delivery(upload_id, committed_at, file_name, department)
        for upload_id, committed_at, file_name, department in session.exec(
            select(Upload.id, Upload.committed_at, Upload.file_name, Department.name)
            .join(Department, Department.id == Upload.department_id)
            .where(Upload.id.in_(used))
            .order_by(Upload.id)
        )
    ]
    return AreaIndicator(
        indicator=indicator,
        period=latest[0] if latest else None,
        previous_period=before[0] if before else None,
        value=totals.get(latest[0].id) if latest else None,
        previous=totals.get(before[0].id) if before else None,
        rts_with_data=sum(r.rts_with_data for r in child_rows) if children else 0,
        confirmed=confirmed,
        disputed=disputed,
        series=series,
        children=child_rows,
        sources=sources,
    )


def sort_children(rows: list[ChildRow], key: str, descending: bool) -> list[ChildRow]:
    """Children sorted by name, households, figure, share or change; no data sorts last."""
    getters = {
        "name": lambda r: r.area.code,
        "households": lambda r: r.households,
        "value": lambda r: r.value,
        "share": lambda r: r.share,
        "change": lambda r: r.change,
        "confirmed": lambda r: r.confirmed,
    }
    getter = getters.get(key, getters["name"])
    known = [r for r in rows if getter(r) is not None]
    unknown = [r for r in rows if getter(r) is None]
    return sorted(known, key=getter, reverse=descending) + unknown


# --- disputes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeRow:
    """A dispute (open or answered) as officials and the RT head see it."""

    verification: Verification
    area: Area
    indicator: Indicator
    period: Period
    value: int | None


def list_disputes(
    session: Session, scope: Scope, area: Area | None = None, open_only: bool = False, limit=200
) -> list[DisputeRow]:
    """Disputes the scope may see (its subtree, its department), in ``area`` if given,
    newest first; with the disputed figure's value."""
    statuses = [VerificationStatus.DISPUTED]
    if not open_only:
        statuses += [VerificationStatus.ACCEPTED, VerificationStatus.REJECTED]
    statement = (
        select(Verification, Area, Indicator, Period, Figure.value)
        .join(Area, Area.id == Verification.area_id)
        .join(Indicator, Indicator.id == Verification.indicator_id)
        .join(Period, Period.id == Verification.period_id)
        .join(
            Figure,
            and_(
                Figure.upload_id == Verification.upload_id,
                Figure.indicator_id == Verification.indicator_id,
                Figure.area_id == Verification.area_id,
            ),
            isouter=True,
        )
        .where(
            Verification.status.in_(statuses),
            scoped.scope_predicate(scope, Area.path, Indicator.department_id),
        )
        .order_by(Verification.status != VerificationStatus.DISPUTED, Verification.id.desc())
        .limit(limit)
    )
    if area is not None:
        statement = statement.where(in_subtree(Area.path, area.path))
    return [DisputeRow(*row) for row in session.exec(statement)]


# --- departments: completeness ------------------------------------------------------------


def count_coverage(session: Session, upload_id: int) -> dict[str, dict[str, int]]:
    """An upload's RTs with a figure: ``{indicator id: {kelurahan id: count}}`` (keys as
    text, for JSON). Kept on the upload at commit (``services.coverage``)."""
    rt, rw = aliased(Area), aliased(Area)
    rows = session.exec(
        select(Figure.indicator_id, rw.parent_id, func.count(Figure.id))
        .join(rt, rt.id == Figure.area_id)
        .join(rw, rw.id == rt.parent_id)
        .where(Figure.upload_id == upload_id)
        .group_by(Figure.indicator_id, rw.parent_id)
    )
    coverage: dict[str, dict[str, int]] = {}
    for indicator_id, kelurahan_id, count in rows:
        coverage.setdefault(str(indicator_id), {})[str(kelurahan_id)] = count
    return coverage


@dataclass(frozen=True)
class Completeness:
    """For one area (kecamatan or kelurahan): RTs registered, and RTs with data per indicator."""

    area: Area
    rts: int
    with_data: dict[int, int]


@dataclass(frozen=True)
class DepartmentIndicator:
    """An indicator of the department with its latest period and upload in force."""

    indicator: Indicator
    period: Period | None
    upload: Upload | None  # the latest delivered of the uploads in force
    committed_at: datetime | None
    uploads: tuple[Upload, ...] = ()  # every upload in force (each in its kelurahan)


def department_indicators(session: Session, department: Department) -> list[DepartmentIndicator]:
    """The department's indicators, each with its latest period in force."""
    periods = list_periods(session)
    cells = active_cells(session, periods)
    result = []
    statement = (
        select(Indicator)
        .where(Indicator.department_id == department.id)
        .order_by(Indicator.position, Indicator.id)
    )
    for indicator in session.exec(statement):
        pairs = cells.get(indicator.id)
        uploads = tuple(session.get(Upload, u) for u in pairs[-1][1]) if pairs else ()
        upload = max(uploads, key=lambda u: u.id, default=None)
        result.append(
            DepartmentIndicator(
                indicator,
                pairs[-1][0] if pairs else None,
                upload,
                upload.committed_at if upload else None,
                uploads,
            )
        )
    return result


def completeness(
    session: Session,
    scope: Scope,
    department: Department,
    items: list[DepartmentIndicator],
    parent: Area,
) -> list[Completeness]:
    """RTs with data in the latest period, per indicator, for each child of ``parent``
    (the city: by kecamatan; a kecamatan: by kelurahan). Counted per kelurahan from the
    coverage kept on each upload (``services.coverage``); an upload without it is counted
    from its figures."""
    if not scope.may_upload_for(department.id):
        return []
    children = session.exec(
        select(Area).where(Area.parent_id == parent.id).order_by(Area.code)
    ).all()
    kelurahan = dict(
        session.exec(
            select(Area.id, Area.parent_id).where(
                Area.level == AreaLevel.KELURAHAN, in_subtree(Area.path, parent.path)
            )
        ).all()
    )
    by_child = {child.id: child.id for child in children}  # parent is a kecamatan
    if parent.level == AreaLevel.KOTA:
        by_child = kelurahan
    rt, rw = aliased(Area), aliased(Area)
    rts: dict[int, int] = defaultdict(int)
    for kelurahan_id, count in session.exec(
        select(rw.parent_id, func.count(rt.id))
        .join(rw, rw.id == rt.parent_id)
        .where(rt.level == AreaLevel.RT, rw.parent_id.in_(list(kelurahan)))
        .group_by(rw.parent_id)
    ):
        rts[by_child.get(kelurahan_id)] += count
    counts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for item in items:
        if item.upload is None:
            continue
        in_force = dict(  # kelurahan id → the upload in force there
            session.exec(
                select(ActiveUpload.kelurahan_id, ActiveUpload.upload_id).where(
                    ActiveUpload.indicator_id == item.indicator.id,
                    ActiveUpload.period_id == item.period.id,
                )
            ).all()
        )
        for upload in item.uploads or (item.upload,):
            kept = (upload.summary or {}).get("coverage")
            if kept is None:
                kept = count_coverage(session, upload.id)
            for kelurahan_id, count in kept.get(str(item.indicator.id), {}).items():
                child = by_child.get(int(kelurahan_id))
                if child is not None and in_force.get(int(kelurahan_id)) == upload.id:
                    counts[child][item.indicator.id] += count
    return [Completeness(c, rts.get(c.id, 0), dict(counts.get(c.id, {}))) for c in children]


@dataclass(frozen=True)
class Source:
    """Where published figures came from: the department, its delivery and publication."""

    department: str
    delivered: datetime | None
    published: datetime | None
    periods: tuple[str, ...]


def board_sources(session: Session, figures: list[RtFigure]) -> list[Source]:
    """One line per department for the figures on a notice board."""
    grouped: dict[str, dict] = {}
    for figure in figures:
        publication = session.get(Publication, figure.context_publication.id)
        upload = session.get(Upload, publication.upload_id)
        entry = grouped.setdefault(
            figure.department, {"delivered": None, "published": None, "periods": set()}
        )
        entry["periods"].add(figure.context_period.code)
        for key, when in (
            ("delivered", upload.committed_at),
            ("published", publication.published_at),
        ):
            if when is not None and (entry[key] is None or when > entry[key]):
                entry[key] = when
    return [
        Source(name, e["delivered"], e["published"], tuple(sorted(e["periods"])))
        for name, e in sorted(grouped.items())
    ]
