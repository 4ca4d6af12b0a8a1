"""Publication by the walidata: what is ready to publish, publishing, corrections.

Publishing an indicator's period takes the upload in force, reads its exact RT figures
(through ``scoped``, with the walidata's scope), runs disclosure control over the whole
area tree (``disclosure.protect``) and stores the protected counts of every area in
``published_figure``. Public pages read only those. A later upload or a restore is not
public until the walidata publishes it again, as a correction with a reason.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, select

from transparency import catalogue, disclosure, scoped
from transparency.access import Scope, build_scope
from transparency.models import (
    ActiveUpload,
    Area,
    AreaLevel,
    Correction,
    Department,
    Indicator,
    Period,
    Publication,
    PublishedFigure,
    Role,
    Upload,
    User,
    Verification,
    VerificationStatus,
)
from transparency.services import Refused, audit

REASON_MAX = 2000


class PublishRefused(Refused):
    """Publishing was refused; ``code`` names why (translated by the view)."""


@dataclass(frozen=True)
class ReadyPeriod:
    """One indicator's period with an upload in force, as the walidata sees it."""

    indicator: Indicator
    period: Period
    department: str
    department_code: str
    upload_id: int
    received_at: datetime | None
    published_upload_id: int | None
    published_at: datetime | None
    confirmed: int
    disputed: int
    silent: int

    @property
    def state(self) -> str:
        """``unpublished``, ``published`` or ``changed`` (a correction waits)."""
        if self.published_upload_id is None:
            return "unpublished"
        return "published" if self.published_upload_id == self.upload_id else "changed"


def list_ready(session: Session, period_id: int | None = None) -> list[ReadyPeriod]:
    """Every indicator and period with an upload in force (of one period, if given):
    verification counts and whether (and which version) is published. Newest period
    first, then by indicator."""
    rts = session.exec(select(func.count(Area.id)).where(Area.level == AreaLevel.RT)).one()
    votes: dict[tuple[int, int, int], dict[str, int]] = defaultdict(dict)
    statement = select(
        Verification.indicator_id,
        Verification.period_id,
        Verification.upload_id,
        Verification.status,
        func.count(func.distinct(Verification.area_id)),
    ).group_by(
        Verification.indicator_id,
        Verification.period_id,
        Verification.upload_id,
        Verification.status,
    )
    if period_id is not None:
        statement = statement.where(Verification.period_id == period_id)
    for indicator_id, voted_period_id, upload_id, status, count in session.exec(statement):
        votes[(indicator_id, voted_period_id, upload_id)][str(status)] = count
    current = {
        (p.indicator_id, p.period_id): p
        for p in session.exec(select(Publication).where(Publication.is_current))
    }
    statement = (
        select(
            ActiveUpload.upload_id,
            Indicator,
            Period,
            Department.name,
            Department.code,
            Upload.committed_at,
        )
        .distinct()
        .join(Indicator, Indicator.id == ActiveUpload.indicator_id)
        .join(Period, Period.id == ActiveUpload.period_id)
        .join(Department, Department.id == Indicator.department_id)
        .join(Upload, Upload.id == ActiveUpload.upload_id)
        .order_by(
            Period.starts_on.desc(), Indicator.position, Indicator.code, ActiveUpload.upload_id
        )
    )
    if period_id is not None:
        statement = statement.where(ActiveUpload.period_id == period_id)
    rows = session.exec(statement).all()
    # An upload is in force per kelurahan: one line per indicator and period, its newest
    # upload in force standing for the version, the votes of every upload in force summed.
    cells: dict[tuple[int, int], list] = {}
    for upload_id, indicator, period, department, department_code, received in rows:
        cells.setdefault((indicator.id, period.id), []).append(
            (upload_id, indicator, period, department, department_code, received)
        )
    result = []
    for uploads in cells.values():
        upload_id, indicator, period, department, department_code, received = uploads[-1]
        said: dict[str, int] = defaultdict(int)
        for other, *_rest in uploads:
            for status, count in votes.get((indicator.id, period.id, other), {}).items():
                said[status] += count
        confirmed = said.get(VerificationStatus.CONFIRMED, 0)
        disputed = sum(
            said.get(s, 0)
            for s in (
                VerificationStatus.DISPUTED,
                VerificationStatus.ACCEPTED,
                VerificationStatus.REJECTED,
            )
        )
        publication = current.get((indicator.id, period.id))
        result.append(
            ReadyPeriod(
                indicator=indicator,
                period=period,
                department=department,
                department_code=department_code,
                upload_id=upload_id,
                received_at=received,
                published_upload_id=publication.upload_id if publication else None,
                published_at=publication.published_at if publication else None,
                confirmed=confirmed,
                disputed=disputed,
                silent=max(0, rts - confirmed - disputed),
            )
        )
    return result


class AreaTree:
    """The whole area tree as disclosure control needs it; built once per batch."""

    def __init__(self, session: Session):
        rows = session.exec(
            select(Area.id, Area.code, Area.parent_id, Area.level, Area.households)
        ).all()
        code_of = {row[0]: row[1] for row in rows}
        self.id_of = {row[1]: row[0] for row in rows}
        parent = {row[1]: code_of.get(row[2]) for row in rows}
        self.rts = {row[0]: row[1] for row in rows if row[3] == AreaLevel.RT}
        self.tree = disclosure.Tree(
            disclosure.AreaCount(row[1], parent[row[1]], row[4] or 0) for row in rows
        )
        self.ancestors = {}  # RT code → the codes of the RT and every area above it
        for code in self.rts.values():
            chain, node = [], code
            while node is not None:
                chain.append(node)
                node = parent[node]
            self.ancestors[code] = chain

    def protect(self, values: dict[int, int], k: int) -> list[tuple]:
        """Published rows (area id, value or None, households, RTs without data)."""
        return self.protect_group({"": values}, {"": k})[""]

    def protect_group(
        self,
        values: dict[str, dict[int, int]],
        ks: dict[str, int],
        links: list[disclosure.Link] | tuple = (),
        forced: dict[str, set[int]] | None = None,
    ) -> dict[str, list[tuple]]:
        """Published rows of linked members decided together (``disclosure.protect_group``):
        member → rows (area id, value or None, households, RTs without data)."""
        by_code = {
            member: {self.rts[area_id]: value for area_id, value in member_values.items()}
            for member, member_values in values.items()
        }
        code_of = {area_id: code for code, area_id in self.id_of.items()}
        forced_codes = {
            member: {code_of[area_id] for area_id in area_ids}
            for member, area_ids in (forced or {}).items()
        }
        shown = self.tree.protect_group(by_code, ks, links, forced=forced_codes)
        households = self.tree.households
        result = {}
        for member, member_shown in shown.items():
            missing: dict[str, int] = defaultdict(int)
            for code, chain in self.ancestors.items():
                if code not in by_code[member]:
                    for node in chain:
                        missing[node] += 1
            result[member] = [
                (self.id_of[code], value, households[code], missing[code])
                for code, value in member_shown.items()
            ]
        return result


def publish(
    session: Session,
    scope: Scope,
    actor: User,
    indicator_code: str,
    period_code: str,
    now: datetime,
    reason: str = "",
    tree: AreaTree | None = None,
    record: bool = True,
    confirmed_upload_id: int | None = None,
) -> Publication:
    """Publish the upload in force for an indicator's period (a correction needs a reason).
    ``confirmed_upload_id``: the version the walidata checked on the confirmation page; a
    different one in force (a newer upload, a restore) refuses as ``publish.stale``.
    ``record=False`` leaves it out of the audit trail (the demo's seed only)."""
    indicator = session.exec(select(Indicator).where(Indicator.code == indicator_code)).first()
    period = session.exec(select(Period).where(Period.code == period_code)).first()
    if indicator is None or period is None:
        raise PublishRefused("publish.unknown")
    sources = sources_in_force(session, indicator.id, period.id)
    if not sources:
        raise PublishRefused("publish.nothing")
    newest = max(sources.values())  # the version a publication names: its newest upload
    current = session.exec(
        select(Publication).where(
            Publication.indicator_id == indicator.id,
            Publication.period_id == period.id,
            Publication.is_current,
        )
    ).first()
    reason = reason.strip()
    if current is not None and version_of(current) == sources:
        raise PublishRefused("publish.already")
    if confirmed_upload_id is not None and confirmed_upload_id != newest:
        raise PublishRefused("publish.stale")
    if current is not None and not reason:
        raise PublishRefused("publish.reason_needed")
    if len(reason) > REASON_MAX:
        raise PublishRefused("publish.reason_too_long")
    group = derive_group(
        session, scope, tree or AreaTree(session), period, indicator.code, (indicator, sources)
    )
    rows = group.rows[NEW]
    publication = Publication(
        indicator_id=indicator.id,
        period_id=period.id,
        upload_id=newest,
        sources=sources,
        published_by_id=actor.id,
        published_at=now,
    )
    if current is not None:
        current.is_current = False
        session.add(current)
    session.add(publication)
    session.flush()
    _insert_published(session, publication.id, rows)
    apply_group(session, group, actor, now)
    if current is not None:
        session.add(
            Correction(
                publication_id=publication.id,
                from_upload_id=current.upload_id,
                to_upload_id=newest,
                reason=reason,
                corrected_by_id=actor.id,
                corrected_at=now,
            )
        )
    if record:
        _audit(session, actor, publication, indicator, period, current, rows)
    session.flush()
    return publication


def sources_in_force(session: Session, indicator_id: int, period_id: int) -> dict[str, int]:
    """The upload in force in each kelurahan for an indicator's period ({kelurahan id as
    text: upload id}, as a publication keeps it)."""
    rows = session.exec(
        select(ActiveUpload.kelurahan_id, ActiveUpload.upload_id).where(
            ActiveUpload.indicator_id == indicator_id, ActiveUpload.period_id == period_id
        )
    ).all()
    return {str(kelurahan_id): upload_id for kelurahan_id, upload_id in sorted(rows)}


def version_of(publication: Publication) -> dict[str, int] | int:
    """A publication's version: its kelurahan → upload pairs, or (made before coverage)
    its one upload."""
    return publication.sources if publication.sources is not None else publication.upload_id


def _values_of(session: Session, scope: Scope, indicator_id: int, period_id: int, version):
    """Exact RT values (area id → value) of a version: one upload, or kelurahan → upload."""
    if isinstance(version, int):
        return scoped.list_rt_values(session, scope, indicator_id, period_id, version)
    return scoped.list_rt_values_of_sources(session, scope, indicator_id, period_id, version)


NEW = "new"  # the member key of a publication being made
PRIVACY_REASON = "privacy protection updated"  # the note where a shown figure became hidden


@dataclass
class GroupRows:
    """Linked indicators of one period decided together: rows per member key (``NEW`` or
    a publication id) and the publications they belong to."""

    rows: dict
    publications: dict


def derive_group(
    session: Session,
    scope: Scope,
    tree: AreaTree,
    period: Period,
    code: str,
    new: tuple[Indicator, dict[str, int]] | None = None,
) -> GroupRows:
    """The published rows of every publication of ``period`` in ``code``'s linked group
    (``catalogue.LINKS``), current and earlier versions, and of ``new`` (the indicator and
    upload being published), decided together: a cell hidden in one version is hidden in
    every version, a cell hidden in one member is hidden where a linked member would bound
    it, and a cell an existing publication hides stays hidden."""
    codes = catalogue.linked_group(code)
    indicators = {
        i.code: i for i in session.exec(select(Indicator).where(Indicator.code.in_(codes)))
    }
    publications = session.exec(
        select(Publication)
        .where(
            Publication.indicator_id.in_([i.id for i in indicators.values()]),
            Publication.period_id == period.id,
        )
        .order_by(Publication.id)
    ).all()
    by_indicator_id = {i.id: i for i in indicators.values()}
    members: dict = {}  # key → (indicator, upload id)
    current: dict[str, object] = {}
    versions: dict[str, list] = defaultdict(list)
    for publication in publications:
        indicator = by_indicator_id[publication.indicator_id]
        key = str(publication.id)
        members[key] = (indicator, version_of(publication))
        versions[indicator.code].append(key)
        if publication.is_current and (new is None or new[0].code != indicator.code):
            current[indicator.code] = key
    if new is not None:
        members[NEW] = (new[0], new[1])
        versions[new[0].code].append(NEW)
        current[new[0].code] = NEW
    cache: dict[tuple[int, str], dict[int, int]] = {}
    values, ks, forced = {}, {}, {}
    for key, (indicator, version) in members.items():
        cached = (
            indicator.id,
            repr(sorted(version.items())) if isinstance(version, dict) else repr(version),
        )
        if cached not in cache:
            cache[cached] = _values_of(session, scope, indicator.id, period.id, version)
        values[key] = cache[cached]
        ks[key] = indicator.suppression_k
    hidden_rows = session.exec(
        select(PublishedFigure.publication_id, PublishedFigure.area_id).where(
            PublishedFigure.publication_id.in_([p.id for p in publications]),
            PublishedFigure.value.is_(None),
        )
    ).all()
    for publication_id, area_id in hidden_rows:
        forced.setdefault(str(publication_id), set()).add(area_id)
    links = []
    for link in catalogue.LINKS:
        parts = tuple(current[m] for m in link.parts if m in current)
        whole = tuple(m if m == link.base else current.get(m, m) for m in link.whole)
        if parts:
            links.append(disclosure.Link(link.kind, parts, whole, link.base))
    for keys in versions.values():
        if len(keys) > 1:
            links.append(disclosure.Link("versions", tuple(keys), ()))
    rows = tree.protect_group(values, ks, links, forced)
    return GroupRows(rows, {str(p.id): p for p in publications})


def apply_group(session: Session, group: GroupRows, actor: User, now: datetime) -> int:
    """Hide in the existing publications what ``group`` hides (they only ever gain hidden
    cells). A current publication that was public before ``now`` and has a figure newly
    hidden gets the note "privacy protection updated". Returns the cells newly hidden."""
    hidden = 0
    for key, rows in group.rows.items():
        if key == NEW:
            continue
        publication = group.publications[key]
        now_hidden = {row[0] for row in rows if row[1] is None}
        before = set(
            session.exec(
                select(PublishedFigure.area_id).where(
                    PublishedFigure.publication_id == publication.id,
                    PublishedFigure.value.is_(None),
                )
            ).all()
        )
        newly = sorted(now_hidden - before)
        if not newly:
            continue
        hidden += len(newly)
        for start in range(0, len(newly), 500):
            session.exec(
                update(PublishedFigure)
                .where(
                    PublishedFigure.publication_id == publication.id,
                    PublishedFigure.area_id.in_(newly[start : start + 500]),
                )
                .values(value=None)
            )
        published_at = publication.published_at
        if published_at.tzinfo is None:
            published_at = published_at.replace(tzinfo=now.tzinfo)
        if publication.is_current and published_at < now:
            session.add(
                Correction(
                    publication_id=publication.id,
                    from_upload_id=publication.upload_id,
                    to_upload_id=publication.upload_id,
                    reason=PRIVACY_REASON,
                    corrected_by_id=actor.id,
                    corrected_at=now,
                )
            )
    session.flush()
    return hidden


def rederive(session: Session, scope: Scope, actor: User, now: datetime) -> dict[str, int]:
    """Re-derive every publication with the rules in force (linked indicators, insiders,
    versions): cells hidden now are hidden in every version; returns the cells newly
    hidden per indicator code."""
    tree = AreaTree(session)
    indicators = {i.id: i for i in session.exec(select(Indicator))}
    seen: set[tuple[int, tuple[str, ...]]] = set()
    result: dict[str, int] = defaultdict(int)
    pairs = session.exec(select(Publication.period_id, Publication.indicator_id).distinct()).all()
    periods = {p.id: p for p in session.exec(select(Period))}
    for period_id, indicator_id in sorted(pairs):
        code = indicators[indicator_id].code
        group = tuple(catalogue.linked_group(code))
        if (period_id, group) in seen:
            continue
        seen.add((period_id, group))
        derived = derive_group(session, scope, tree, periods[period_id], code)
        before = _hidden_counts(session, derived)
        apply_group(session, derived, actor, now)
        after = _hidden_counts(session, derived)
        for key, count in after.items():
            result[indicators[derived.publications[key].indicator_id].code] += count - before[key]
    return dict(result)


def rederive_as(session: Session, username: str, now: datetime) -> dict[str, int]:
    """``rederive`` by a walidata account (the ``flask publications rederive`` command):
    refused with ``publish.not_walidata`` for any other account."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or user.role != Role.WALIDATA or not user.active or user.area_id is None:
        raise PublishRefused("publish.not_walidata")
    area = session.get(Area, user.area_id)
    city = session.exec(select(Area).where(Area.parent_id.is_(None))).first()
    scope = build_scope(
        user_id=user.id,
        role=user.role,
        active=user.active,
        area_path=area.path,
        area_level=area.level,
        department_id=user.department_id,
        city_path=city.path if city else None,
    )
    return rederive(session, scope, user, now)


def _hidden_counts(session: Session, group: GroupRows) -> dict[str, int]:
    ids = [int(key) for key in group.rows if key != NEW]
    counts = dict.fromkeys(map(str, ids), 0)
    for publication_id, count in session.exec(
        select(PublishedFigure.publication_id, func.count())
        .where(PublishedFigure.publication_id.in_(ids), PublishedFigure.value.is_(None))
        .group_by(PublishedFigure.publication_id)
    ).all():
        counts[str(publication_id)] = count
    return counts


def publish_period(
    session: Session,
    scope: Scope,
    actor: User,
    period_code: str,
    confirmed: dict[str, int],
    now: datetime,
) -> list[Publication]:
    """Publish every indicator of a period that is ready (uploaded, never published), as
    one action. ``confirmed`` maps indicator codes to the versions the walidata checked;
    it must be exactly the ready set, else nothing is published (``publish.stale``)."""
    period = session.exec(select(Period).where(Period.code == period_code)).first()
    if period is None:
        raise PublishRefused("publish.unknown")
    ready = {
        row.indicator.code: row.upload_id
        for row in list_ready(session, period.id)
        if row.state == "unpublished"
    }
    if not ready:
        raise PublishRefused("publish.none_ready")
    if ready != confirmed:
        raise PublishRefused("publish.stale")
    tree = AreaTree(session)
    return [
        publish(
            session, scope, actor, code, period_code, now, tree=tree, confirmed_upload_id=upload
        )
        for code, upload in ready.items()
    ]


def _audit(session, actor, publication, indicator, period, current, rows) -> None:
    """The publication or correction in the audit trail (counts only, no figures)."""
    audit.record(
        session,
        "publication.correct" if current else "publication.publish",
        actor=actor,
        object_type="publication",
        object_id=publication.id,
        indicator=indicator.code,
        period=period.code,
        upload=publication.upload_id,
        hidden=sum(1 for row in rows if row[1] is None),
    )


def _insert_published(session: Session, publication_id: int, rows: list[tuple]) -> None:
    """Many rows at once through the driver (ten thousand a publication at city scale)."""
    if not rows:
        return
    connection = session.connection()
    marks = ", ".join(["?" if connection.dialect.paramstyle == "qmark" else "%s"] * 5)
    table = PublishedFigure.__tablename__
    connection.exec_driver_sql(
        f"INSERT INTO {table} (publication_id, area_id, value, households, rts_missing) "
        f"VALUES ({marks})",
        [(publication_id, *row) for row in rows],
    )
