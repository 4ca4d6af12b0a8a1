"""The officials' overview of verification: for one period, the state of every indicator in
every RT of an area (confirmed, disputed, waiting, no data), or summed by child area above
the kelurahan, with counts per RW (or per child).

The states come from two grouped statements (figures of the uploads in force, and the RT
heads' verifications of exactly those uploads), narrowed by ``scoped.scope_predicate``
after ``scoped.get_scoped_area`` has checked the area. No figure values are read. No Flask.
"""

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_
from sqlmodel import Session, select

from transparency import scoped
from transparency.access import Scope
from transparency.models import (
    ActiveUpload,
    Area,
    AreaLevel,
    Figure,
    Indicator,
    Period,
    Verification,
    VerificationStatus,
)
from transparency.queries import figure_in_force, in_subtree

CONFIRMED, DISPUTED, WAITING, NO_DATA = "confirmed", "disputed", "waiting", "no_data"
STATES = (CONFIRMED, DISPUTED, WAITING, NO_DATA)
# The state an area above the RT shows for an indicator: the first of these that occurs.
ATTENTION = (DISPUTED, NO_DATA, WAITING, CONFIRMED)
RT_ROWS = (AreaLevel.KELURAHAN, AreaLevel.RW)  # below these, the rows are the RTs


@dataclass
class Row:
    """One RT (or one child area, summed over its RTs) across the indicators."""

    area: Area
    rts: int
    cells: dict[int, Counter] = field(default_factory=dict)  # indicator id → state counts

    def state(self, indicator_id: int) -> str:
        """The RT's state, or for a child area the state that most needs attention."""
        counts = self.cells.get(indicator_id, Counter())
        return next((s for s in ATTENTION if counts[s]), NO_DATA)

    def counts(self, indicator_id: int) -> dict[str, int]:
        """How many RTs are in each state for the indicator."""
        return _every_state(self.cells.get(indicator_id, Counter()))

    def totals(self) -> dict[str, int]:
        """State counts over every indicator (RT × indicator cells)."""
        return _every_state(sum(self.cells.values(), Counter()))


@dataclass
class Group:
    """A heading over RT rows (an RW) with its counts, or a child area's counts."""

    area: Area
    rows: list[Row]

    def totals(self) -> dict[str, int]:
        """State counts over the group's RTs and every indicator."""
        return _every_state(sum((Counter(row.totals()) for row in self.rows), Counter()))


@dataclass
class Overview:
    """The grid for one area and period."""

    area: Area
    period: Period
    indicators: list[Indicator]
    rows_are_rts: bool
    groups: list[Group]

    def totals(self) -> dict[str, int]:
        """State counts over the whole area."""
        return _every_state(sum((Counter(g.totals()) for g in self.groups), Counter()))


def _every_state(counts: Counter) -> dict[str, int]:
    """The counts of all four states, zeros included, in their order."""
    return {state: counts[state] for state in STATES}


def list_periods(session: Session) -> list[Period]:
    """Periods with an upload in force, newest first."""
    statement = (
        select(Period)
        .where(Period.id.in_(select(ActiveUpload.period_id).distinct()))
        .order_by(Period.starts_on.desc())
    )
    return list(session.exec(statement))


def has_rows(area: Area) -> bool:
    """An RT has no overview; every area above it has one."""
    return area.level != AreaLevel.RT


def build_overview(
    session: Session, scope: Scope, area: Area, period: Period, indicators: list[Indicator]
) -> Overview:
    """The states of ``indicators`` (those the scope may read) in ``period`` for the
    area (one ``get_scoped_area`` returned) by RT or by child area."""
    rts_are_rows = area.level in RT_ROWS
    rts = session.exec(
        select(Area).where(Area.level == AreaLevel.RT, in_subtree(Area.path, area.path))
    ).all()
    parents = _row_areas(session, area, rts_are_rows)  # RW (or child) of each RT row
    rows = {a.id: Row(a, 0) for a in (rts if rts_are_rows else parents.values())}
    depth = len(area.path.split("."))
    row_of = {rt.id: rt.id if rts_are_rows else _child_of(rt, parents, depth) for rt in rts}
    for rt in rts:
        if row_of[rt.id] in rows:
            rows[row_of[rt.id]].rts += 1
    uploads = {i.id for i in indicators}
    for rt_id, indicator_id, status in _states(session, scope, area, period, uploads):
        row = rows.get(row_of.get(rt_id))
        if row is not None:
            row.cells.setdefault(indicator_id, Counter())[_state(status)] += 1
    for row in rows.values():
        for indicator in indicators:
            counts = row.cells.setdefault(indicator.id, Counter())
            counts[NO_DATA] = row.rts - sum(counts.values())
    return Overview(
        area, period, indicators, rts_are_rows, _groups(area, rows, parents, rts_are_rows)
    )


def _state(status) -> str:
    """A verification status as one of the four states (answered disputes stay disputed)."""
    if status is None:
        return WAITING
    return CONFIRMED if status == VerificationStatus.CONFIRMED else DISPUTED


def _states(session, scope, area, period, indicator_ids: set[int]):
    """``(RT id, indicator id, verification status or None)`` for every figure in force in
    the area's subtree (each from the upload in force in its kelurahan), narrowed to the
    scope; one statement."""
    if not indicator_ids:
        return []
    statement = (
        select(Figure.area_id, Figure.indicator_id, Verification.status)
        .join(ActiveUpload, figure_in_force())
        .join(Area, Area.id == Figure.area_id)
        .join(Indicator, Indicator.id == Figure.indicator_id)
        .join(
            Verification,
            and_(
                Verification.area_id == Figure.area_id,
                Verification.indicator_id == Figure.indicator_id,
                Verification.period_id == period.id,
                Verification.upload_id == Figure.upload_id,
            ),
            isouter=True,
        )
        .where(
            Figure.period_id == period.id,
            Figure.indicator_id.in_(sorted(indicator_ids)),
            in_subtree(Area.path, area.path),
            scoped.scope_predicate(scope, Area.path, Indicator.department_id),
        )
    )
    return list(session.exec(statement))


def _row_areas(session, area: Area, rts_are_rows: bool) -> dict[str, Area]:
    """By path: the RWs that head RT rows, or the child areas that are the rows."""
    if rts_are_rows and area.level == AreaLevel.RW:
        return {area.path: area}
    statement = select(Area).where(Area.parent_id == area.id).order_by(Area.code)
    return {child.path: child for child in session.exec(statement)}


def _child_of(rt: Area, children: dict[str, Area], depth: int) -> int | None:
    """The id of the child area an RT lies under (the first ``depth + 1`` path segments)."""
    child = children.get(".".join(rt.path.split(".")[: depth + 1]))
    return child.id if child else None


def _groups(area, rows: dict[int, Row], parents: dict[str, Area], rts_are_rows) -> list[Group]:
    """RT rows under their RW, in code order; child rows each their own group."""
    if not rts_are_rows:
        return [Group(row.area, [row]) for row in sorted(rows.values(), key=_code)]
    groups = {path: Group(rw, []) for path, rw in parents.items()}
    for row in sorted(rows.values(), key=_code):
        rw_path = row.area.path.rsplit(".", 1)[0]
        if rw_path in groups:
            groups[rw_path].rows.append(row)
    return [group for group in groups.values() if group.rows]


def _code(row: Row) -> str:
    return row.area.code
