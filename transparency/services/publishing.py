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

from sqlalchemy import func
from sqlmodel import Session, select

from transparency import disclosure, scoped
from transparency.access import Scope
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
    for indicator_id, period_id, upload_id, status, count in session.exec(statement):
        votes[(indicator_id, period_id, upload_id)][str(status)] = count
    current = {
        (p.indicator_id, p.period_id): p
        for p in session.exec(select(Publication).where(Publication.is_current))
    }
    statement = (
        select(
            ActiveUpload, Indicator, Period, Department.name, Department.code, Upload.committed_at
        )
        .join(Indicator, Indicator.id == ActiveUpload.indicator_id)
        .join(Period, Period.id == ActiveUpload.period_id)
        .join(Department, Department.id == Indicator.department_id)
        .join(Upload, Upload.id == ActiveUpload.upload_id)
        .order_by(Period.starts_on.desc(), Indicator.position, Indicator.code)
    )
    if period_id is not None:
        statement = statement.where(ActiveUpload.period_id == period_id)
    rows = session.exec(statement).all()
    result = []
    for active, indicator, period, department, department_code, received in rows:
        said = votes.get((indicator.id, period.id, active.upload_id), {})
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
                upload_id=active.upload_id,
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
        by_code = {self.rts[area_id]: value for area_id, value in values.items()}
        missing: dict[str, int] = defaultdict(int)
        for code, chain in self.ancestors.items():
            if code not in by_code:
                for node in chain:
                    missing[node] += 1
        shown = self.tree.protect(by_code, k)
        households = self.tree.households
        return [
            (self.id_of[code], value, households[code], missing[code])
            for code, value in shown.items()
        ]


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
    active = session.get(ActiveUpload, (indicator.id, period.id))
    if active is None:
        raise PublishRefused("publish.nothing")
    current = session.exec(
        select(Publication).where(
            Publication.indicator_id == indicator.id,
            Publication.period_id == period.id,
            Publication.is_current,
        )
    ).first()
    reason = reason.strip()
    if current is not None and current.upload_id == active.upload_id:
        raise PublishRefused("publish.already")
    if confirmed_upload_id is not None and confirmed_upload_id != active.upload_id:
        raise PublishRefused("publish.stale")
    if current is not None and not reason:
        raise PublishRefused("publish.reason_needed")
    if len(reason) > REASON_MAX:
        raise PublishRefused("publish.reason_too_long")
    values = scoped.list_rt_values(session, scope, indicator.id, period.id, active.upload_id)
    rows = (tree or AreaTree(session)).protect(values, indicator.suppression_k)
    publication = Publication(
        indicator_id=indicator.id,
        period_id=period.id,
        upload_id=active.upload_id,
        published_by_id=actor.id,
        published_at=now,
    )
    if current is not None:
        current.is_current = False
        session.add(current)
    session.add(publication)
    session.flush()
    _insert_published(session, publication.id, rows)
    if current is not None:
        session.add(
            Correction(
                publication_id=publication.id,
                from_upload_id=current.upload_id,
                to_upload_id=active.upload_id,
                reason=reason,
                corrected_by_id=actor.id,
                corrected_at=now,
            )
        )
    if record:
        _audit(session, actor, publication, indicator, period, current, rows)
    session.flush()
    return publication


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
