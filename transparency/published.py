"""Reads of published, protected figures: everything the public sees comes from here.

Only ``published_figure`` rows of current publications are read (never ``figure``), so a
count hidden by disclosure control is NULL before it leaves the database and an
unpublished period does not exist for these queries. No Flask here.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from transparency import disclosure
from transparency.models import (
    Area,
    AreaLevel,
    Correction,
    Department,
    Indicator,
    Period,
    Publication,
    PublishedFigure,
    Upload,
)


class AreaRef(NamedTuple):
    """An area as a table row needs it (lighter than the ORM row, for 9,126 RTs)."""

    code: str
    name: str
    level: str


@dataclass(frozen=True)
class Release:
    """One current publication with what the public is told about it."""

    publication: Publication
    indicator: Indicator
    period: Period
    department: str
    received_at: datetime | None
    correction: Correction | None


@dataclass(frozen=True)
class Cell:
    """One area's published count of one release."""

    area: Area
    release: Release
    value: int | None
    households: int
    rts_missing: int

    @property
    def hidden(self) -> bool:
        """True when disclosure control hides the count."""
        return self.value is None

    @property
    def display(self) -> str:
        """The count as text, or the marker."""
        return disclosure.display(self.value)

    @property
    def share(self) -> float | None:
        """Percentage of households, only for indicators where it makes sense and is shown."""
        if not self.release.indicator.per_household:
            return None
        return disclosure.share(self.value, self.households)


def _releases(session: Session, *conditions) -> list[Release]:
    # A publication's latest correction (a later "privacy protection updated" note, made
    # when the disclosure rules hide more of it, follows the correction that made it).
    latest = (
        select(Correction.publication_id, func.max(Correction.id).label("correction_id"))
        .group_by(Correction.publication_id)
        .subquery()
    )
    statement = (
        select(Publication, Indicator, Period, Department.name, Upload.committed_at, Correction)
        .join(Indicator, Indicator.id == Publication.indicator_id)
        .join(Period, Period.id == Publication.period_id)
        .join(Department, Department.id == Indicator.department_id)
        .join(Upload, Upload.id == Publication.upload_id)
        .join(latest, latest.c.publication_id == Publication.id, isouter=True)
        .join(Correction, Correction.id == latest.c.correction_id, isouter=True)
        .where(*conditions)
        .order_by(Indicator.position, Indicator.code, Period.starts_on, Publication.id)
    )
    return [Release(*row) for row in session.exec(statement)]


def get_version(session: Session) -> int:
    """Changes whenever anything is published or corrected (the newest publication's id)."""
    return session.exec(select(func.max(Publication.id))).one() or 0


def list_latest_releases(session: Session) -> list[Release]:
    """For every indicator with a publication, the current one of its latest period."""
    latest = (
        select(Publication.indicator_id, func.max(Period.starts_on).label("starts_on"))
        .join(Period, Period.id == Publication.period_id)
        .where(Publication.is_current)
        .group_by(Publication.indicator_id)
        .subquery()
    )
    statement = (
        select(Publication.id)
        .join(Period, Period.id == Publication.period_id)
        .join(
            latest,
            and_(
                latest.c.indicator_id == Publication.indicator_id,
                latest.c.starts_on == Period.starts_on,
            ),
        )
    )
    ids = list(session.exec(statement.where(Publication.is_current)).all())
    return _releases(session, Publication.id.in_(ids)) if ids else []


def list_indicator_releases(session: Session, indicator: Indicator) -> list[Release]:
    """Every publication of an indicator, current and earlier versions, oldest first."""
    return _releases(session, Publication.indicator_id == indicator.id)


def get_release(session: Session, indicator: Indicator, period_code: str, version: int | None):
    """The current release of an indicator's period, or a given earlier version of it."""
    conditions = [Publication.indicator_id == indicator.id, Period.code == period_code]
    if version is None:
        conditions.append(Publication.is_current)
    else:
        conditions.append(Publication.id == version)
    found = _releases(session, *conditions)
    return found[0] if found else None


def list_area_cells(session: Session, area: Area, releases: list[Release]) -> list[Cell]:
    """The area's published count in each release (releases without the area are skipped)."""
    by_id = {release.publication.id: release for release in releases}
    if not by_id:
        return []
    rows = session.exec(
        select(PublishedFigure).where(
            PublishedFigure.area_id == area.id, PublishedFigure.publication_id.in_(list(by_id))
        )
    ).all()
    found = {row.publication_id: row for row in rows}
    return [
        Cell(area, release, row.value, row.households, row.rts_missing)
        for publication_id, release in by_id.items()
        if (row := found.get(publication_id)) is not None
    ]


def list_area_values(
    session: Session, publication_ids: list[int], area_paths: list[str]
) -> dict[tuple[int, str], int | None]:
    """Published counts of a few areas (by path) in given publications: (publication, area
    path) → the count, or None where it is hidden; an area without data is absent."""
    if not publication_ids or not area_paths:
        return {}
    statement = (
        select(PublishedFigure.publication_id, Area.path, PublishedFigure.value)
        .join(Area, Area.id == PublishedFigure.area_id)
        .where(
            PublishedFigure.publication_id.in_(publication_ids),
            Area.path.in_(area_paths),
        )
    )
    return {(pub, path): value for pub, path, value in session.exec(statement)}


def list_cells(
    session: Session, release: Release, *, parent: Area | None = None, level: str | None = None
) -> list[Cell]:
    """A release's published counts of an area's children, or of every area of a level."""
    condition = Area.parent_id == parent.id if parent is not None else Area.level == level
    statement = (
        select(
            Area.code,
            Area.name,
            Area.level,
            PublishedFigure.value,
            PublishedFigure.households,
            PublishedFigure.rts_missing,
        )
        .join(PublishedFigure, PublishedFigure.area_id == Area.id)
        .where(PublishedFigure.publication_id == release.publication.id, condition)
        .order_by(Area.code)
    )
    rows = session.connection().execute(statement).all()  # Core: no ORM work per row
    return [
        Cell(AreaRef(code, name, level), release, value, households, missing)
        for code, name, level, value, households, missing in rows
    ]


def list_trend(
    session: Session, area: Area, indicator: Indicator
) -> list[tuple[Period, int | None]]:
    """The area's published count over every published period of an indicator."""
    statement = (
        select(Period, PublishedFigure.value)
        .join(Publication, Publication.period_id == Period.id)
        .join(PublishedFigure, PublishedFigure.publication_id == Publication.id)
        .where(
            Publication.indicator_id == indicator.id,
            Publication.is_current,
            PublishedFigure.area_id == area.id,
        )
        .order_by(Period.starts_on)
    )
    return list(session.exec(statement).all())


def list_indicators(session: Session) -> list[Indicator]:
    """The catalogue, in its order."""
    return list(session.exec(select(Indicator).order_by(Indicator.position, Indicator.code)))


def get_indicator(session: Session, code: str) -> Indicator | None:
    """One indicator by code."""
    return session.exec(select(Indicator).where(Indicator.code == code)).first()


def get_department(session: Session, indicator: Indicator) -> Department:
    """The indicator's producing department."""
    return session.get(Department, indicator.department_id)


SEARCH_LEVELS = (AreaLevel.KECAMATAN, AreaLevel.KELURAHAN)


def search_areas(session: Session, query: str, limit: int = 30) -> list[Area]:
    """Kecamatan and kelurahan whose name contains the words, or areas whose code starts
    with the query; "RT 3 RW 2 Wonorejo" finds that RT in each Wonorejo."""
    words = query.strip()
    if not words:
        return []
    numbers = _rt_rw(words)
    if numbers:
        rw, rt, rest = numbers
        kelurahan = search_areas(session, rest, limit) if rest else []
        codes = [
            f"{k.code}.{rw:03d}" + (f".{rt:03d}" if rt else "")
            for k in kelurahan
            if k.level == AreaLevel.KELURAHAN
        ]
        return list(session.exec(select(Area).where(Area.code.in_(codes)).order_by(Area.code)))
    like = f"%{words.lower()}%"
    statement = (
        select(Area)
        .where(
            or_(
                and_(Area.level.in_(SEARCH_LEVELS), func.lower(Area.name).like(like)),
                Area.code.startswith(words),
            )
        )
        .order_by(Area.level, Area.name, Area.code)
        .limit(limit)
    )
    return list(session.exec(statement))


def _rt_rw(words: str) -> tuple[int, int | None, str] | None:
    """``RT 3 RW 2 name`` or ``RW 2 name`` → (rw, rt or None, name); else None."""
    import re

    rw = re.search(r"\brw\.?\s*0*(\d{1,3})\b", words, re.IGNORECASE)
    if not rw:
        return None
    rt = re.search(r"\brt\.?\s*0*(\d{1,3})\b", words, re.IGNORECASE)
    rest = re.sub(r"\b(rt|rw)\.?\s*\d{1,3}\b", " ", words, flags=re.IGNORECASE)
    return int(rw.group(1)), int(rt.group(1)) if rt else None, " ".join(rest.split())
