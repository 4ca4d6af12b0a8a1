"""What a publication would publish, as the walidata checks it before confirming.

For each indicator's period with an upload in force: the RTs with data out of all RTs, the
city total, the change against the version compared with (the version published now for a
correction, else the latest earlier published period), the kelurahan whose totals moved
most, and warnings where the coverage or the total moved sharply. Exact figures, read
through ``scoped`` with the walidata's scope. No Flask here.
"""

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from transparency import scoped
from transparency.access import Scope
from transparency.models import ActiveUpload, Area, AreaLevel, Period, Publication
from transparency.services.publishing import ReadyPeriod, version_of

SHARP_DROP = 0.5  # a total or a coverage falling below half of what it was is flagged
SHARP_RISE = 2.0  # a total more than doubling is flagged
LARGEST_CHANGES = 3  # kelurahan listed with the largest changes


@dataclass(frozen=True)
class KelurahanChange:
    """One kelurahan's total now and in the version compared with (None: no data)."""

    name: str
    kecamatan: str
    value: int | None
    previous: int | None

    @property
    def change(self) -> int:
        """Now minus before, no data counting as zero."""
        return (self.value or 0) - (self.previous or 0)


@dataclass(frozen=True)
class Alert:
    """A sharp movement: ``code`` (coverage_drop, coverage_low, total_drop, total_rise)
    with the figures before and now."""

    code: str
    before: int
    now: int


@dataclass(frozen=True)
class Preview:
    """The figures a publication of one indicator's period would show, and their change."""

    ready: ReadyPeriod
    rts: int
    rts_with_data: int
    total: int
    baseline_period: Period | None = None
    baseline_is_published_version: bool = False  # compared with this period's public version
    baseline_total: int | None = None
    baseline_rts_with_data: int | None = None
    changes: list[KelurahanChange] = field(default_factory=list)
    warnings: list[Alert] = field(default_factory=list)

    @property
    def change(self) -> int | None:
        """The city total's change against the version compared with."""
        return None if self.baseline_total is None else self.total - self.baseline_total

    @property
    def relative_change(self) -> float | None:
        """The same as a fraction of the total compared with (None when that was zero)."""
        if not self.baseline_total:
            return None
        return self.change / self.baseline_total


def get_period(session: Session, code: str) -> Period | None:
    """The period with this code, or None."""
    return session.exec(select(Period).where(Period.code == code)).first()


def list_periods(session: Session) -> list[tuple[Period, int, int]]:
    """Periods with an upload in force, newest first: each with how many indicators have
    one and how many of those were never published."""
    published = (
        select(Publication.indicator_id, Publication.period_id)
        .where(Publication.is_current)
        .subquery()
    )
    rows = session.exec(
        select(
            Period,
            func.count(func.distinct(ActiveUpload.indicator_id)),  # in force per kelurahan
            func.count(func.distinct(ActiveUpload.indicator_id))
            - func.count(func.distinct(published.c.indicator_id)),
        )
        .join(ActiveUpload, ActiveUpload.period_id == Period.id)
        .join(
            published,
            (published.c.indicator_id == ActiveUpload.indicator_id)
            & (published.c.period_id == ActiveUpload.period_id),
            isouter=True,
        )
        .group_by(Period.id)
        .order_by(Period.starts_on.desc())
    ).all()
    return [(period, total, unpublished) for period, total, unpublished in rows]


def preview(session: Session, scope: Scope, rows: list[ReadyPeriod]) -> list[Preview]:
    """The preview of each row (rows of ``publishing.list_ready``), in the same order."""
    if not rows:
        return []
    baselines = _baselines(session, rows)
    rts = session.exec(select(func.count(Area.id)).where(Area.level == AreaLevel.RT)).one()
    names = _kelurahan_names(session)
    result = []
    for row, (period, version, same) in zip(rows, baselines, strict=True):
        indicator_id = row.indicator.id
        now = scoped.sum_version_by_kelurahan(session, scope, indicator_id, row.period.id, None)
        before = None
        if version is not None:
            before = scoped.sum_version_by_kelurahan(
                session, scope, indicator_id, period.id, version
            )
        result.append(_preview(row, rts, now, before, period, same, names))
    return result


def _preview(row, rts, now, before, period, same, names) -> Preview:
    """One row's figures, changes and warnings."""
    total, with_data = _totals(now)
    if before is None:
        warnings = [Alert("coverage_low", rts, with_data)] if with_data * 2 < rts else []
        return Preview(row, rts, with_data, total, warnings=warnings)
    baseline_total, baseline_with_data = _totals(before)
    changes = [
        KelurahanChange(
            *names.get(kelurahan, ("?", "?")),
            now[kelurahan][0] if kelurahan in now else None,
            before[kelurahan][0] if kelurahan in before else None,
        )
        for kelurahan in set(now) | set(before)
    ]
    changes = [c for c in changes if c.change]
    changes.sort(key=lambda c: (-abs(c.change), c.name, c.kecamatan))
    return Preview(
        row,
        rts,
        with_data,
        total,
        baseline_period=period,
        baseline_is_published_version=same,
        baseline_total=baseline_total,
        baseline_rts_with_data=baseline_with_data,
        changes=changes[:LARGEST_CHANGES],
        warnings=sharp_movements(baseline_total, total, baseline_with_data, with_data),
    )


def sharp_movements(total_before: int, total: int, rts_before: int, rts: int) -> list[Alert]:
    """Warnings for a coverage or a total that fell below half, or a total that more than
    doubled (nothing to say when there was nothing before)."""
    warnings = []
    if rts_before and rts < rts_before * SHARP_DROP:
        warnings.append(Alert("coverage_drop", rts_before, rts))
    if total_before and total < total_before * SHARP_DROP:
        warnings.append(Alert("total_drop", total_before, total))
    if total_before and total > total_before * SHARP_RISE:
        warnings.append(Alert("total_rise", total_before, total))
    return warnings


def _totals(by_kelurahan: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """The city total and the RTs with data, from the per-kelurahan sums."""
    return (
        sum(value for value, _ in by_kelurahan.values()),
        sum(count for _, count in by_kelurahan.values()),
    )


def _baselines(session: Session, rows: list[ReadyPeriod]) -> list[tuple]:
    """Per row, what it is compared with: ``(period, version, is this period's
    published version)`` (a version: a publication's kelurahan → upload pairs, or its one
    upload); a correction compares with the version published now, anything else with the
    latest earlier published period; ``(None, None, False)`` without one."""
    indicator_ids = sorted({row.indicator.id for row in rows})
    published: dict[int, list[tuple[Period, object]]] = {}
    for publication, period in session.exec(
        select(Publication, Period)
        .join(Period, Period.id == Publication.period_id)
        .where(Publication.is_current, Publication.indicator_id.in_(indicator_ids))
        .order_by(Period.starts_on.desc())
    ):
        published.setdefault(publication.indicator_id, []).append((period, version_of(publication)))
    result = []
    for row in rows:
        if row.state == "changed":
            this = [v for p, v in published.get(row.indicator.id, []) if p.id == row.period.id]
            result.append((row.period, this[0] if this else row.published_upload_id, True))
            continue
        earlier = [
            (period, upload)
            for period, upload in published.get(row.indicator.id, [])
            if period.starts_on < row.period.starts_on
        ]
        result.append((*earlier[0], False) if earlier else (None, None, False))
    return result


def _kelurahan_names(session: Session) -> dict[int, tuple[str, str]]:
    """Every kelurahan's name and its kecamatan's (two Wonorejo need both)."""
    kecamatan = aliased(Area)
    rows = session.exec(
        select(Area.id, Area.name, kecamatan.name)
        .join(kecamatan, kecamatan.id == Area.parent_id)
        .where(Area.level == AreaLevel.KELURAHAN)
    )
    return {area_id: (name, parent) for area_id, name, parent in rows}
