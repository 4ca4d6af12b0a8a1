"""Reads of the area tree. Subtree filtering is done in SQL by path range.

No Flask here. Functions take the session; ``list_*`` return lists, ``get_*`` one row.
"""

from dataclasses import dataclass

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from transparency.areas import SEPARATOR, descendant_range
from transparency.models import ActiveUpload, Area, AreaLevel, Figure, KelurahanAlias


def in_subtree(path_column, root_path: str):
    """SQL predicate: the row's path is ``root_path`` or one of its descendants."""
    low, high = descendant_range(root_path)
    return or_(path_column == root_path, and_(path_column >= low, path_column < high))


def figure_in_force():
    """SQL join condition for ``ActiveUpload``: the figure is of the upload in force for
    its indicator, period and kelurahan (every other version stays in the history)."""
    return and_(
        ActiveUpload.upload_id == Figure.upload_id,
        ActiveUpload.indicator_id == Figure.indicator_id,
        ActiveUpload.period_id == Figure.period_id,
        ActiveUpload.kelurahan_id == Figure.kelurahan_id,
    )


def below(path_column, root_path: str):
    """SQL predicate: strictly below ``root_path``."""
    low, high = descendant_range(root_path)
    return and_(path_column >= low, path_column < high)


def get_area(session: Session, code: str) -> Area | None:
    """The area with this code, or None."""
    return session.exec(select(Area).where(Area.code == code)).first()


def get_root(session: Session) -> Area | None:
    """The city, the root of the tree."""
    return session.exec(select(Area).where(Area.parent_id.is_(None))).first()


def list_ancestors(session: Session, area: Area) -> list[Area]:
    """The chain from the city down to the area's parent, in that order (one query: an
    ancestor's path is a prefix of the area's, segment by segment)."""
    segments = area.path.split(SEPARATOR)
    paths = [SEPARATOR.join(segments[:n]) for n in range(1, len(segments))]
    ancestors = session.exec(select(Area).where(Area.path.in_(paths))).all()
    return sorted(ancestors, key=lambda ancestor: len(ancestor.path))


def list_areas_by_path(session: Session, paths) -> list[Area]:
    """The areas with the given paths (one query)."""
    return list(session.exec(select(Area).where(Area.path.in_(list(paths)))))


@dataclass(frozen=True)
class ChildSummary:
    """A child area with the sizes of its subtree."""

    area: Area
    rts: int
    households: int
    residents: int


def list_children(session: Session, area: Area) -> list[ChildSummary]:
    """The area's children, by code, with RT, household and resident totals of each subtree."""
    child = aliased(Area)
    rt = aliased(Area)
    statement = (
        select(child, func.count(rt.id), func.sum(rt.households), func.sum(rt.residents))
        .join(
            rt,
            and_(
                rt.level == AreaLevel.RT,
                or_(
                    rt.id == child.id, and_(rt.path >= child.path + ".", rt.path < child.path + "/")
                ),
            ),
            isouter=True,
        )
        .where(child.parent_id == area.id)
        .group_by(child.id)
        .order_by(child.code)
    )
    return [ChildSummary(c, n, hh or 0, res or 0) for c, n, hh, res in session.exec(statement)]


def get_totals(session: Session, area: Area) -> tuple[int, int, int]:
    """RTs, households and residents in the area's subtree (an RT: its own)."""
    if area.level == AreaLevel.RT:
        return 1, area.households or 0, area.residents or 0
    statement = select(
        func.count(Area.id), func.sum(Area.households), func.sum(Area.residents)
    ).where(Area.level == AreaLevel.RT, in_subtree(Area.path, area.path))
    rts, households, residents = session.exec(statement).one()
    return rts, households or 0, residents or 0


def list_kelurahan_codes(session: Session) -> dict[str, Area]:
    """Every kelurahan by code."""
    rows = session.exec(select(Area).where(Area.level == AreaLevel.KELURAHAN))
    return {area.code: area for area in rows}


def list_aliases(session: Session) -> dict[str, int]:
    """Kelurahan name aliases (normalised) to area id."""
    return {alias.alias: alias.area_id for alias in session.exec(select(KelurahanAlias))}
