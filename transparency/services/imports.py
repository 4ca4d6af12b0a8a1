"""Importing a department file: the dry run (read, map, check, plan) and the commit.

The dry run writes nothing; the commit writes one upload, all its figures and points
the indicators' active version at it, in the caller's one transaction. The file's bytes
are kept only while its import is under way: they are deleted at commit, cancel or
failure, and by ``purge_expired`` a day after receipt whatever became of the upload.
Only its name, size and sha256 stay.
"""

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, text, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from transparency import importing
from transparency.containers import clean_filename
from transparency.indicator_sets import IndicatorSet
from transparency.models import (
    ActiveUpload,
    Area,
    AreaLevel,
    Department,
    Figure,
    Indicator,
    KelurahanAlias,
    Period,
    StagedFigure,
    Upload,
    UploadFile,
    UploadIndicator,
    UploadStatus,
    User,
)
from transparency.problems import Problem, UnreadableFile, grouped
from transparency.queries import figure_in_force
from transparency.services import Refused, audit, coverage, verification
from transparency.services.catalog import month_period
from transparency.spreadsheets import read_sheets, special_cells


@dataclass
class ImportReport:
    """Everything a dry run found, as the operator sees it."""

    indicator_set: IndicatorSet
    period: str
    filename: str
    sha256: str
    size: int
    mapping: importing.Mapping | None = None
    outcome: importing.Outcome | None = None
    plan: importing.Plan | None = None
    problems: list[Problem] = field(default_factory=list)  # file-level
    rt_codes: dict[int, str] = field(default_factory=dict)
    register: str = ""  # fingerprint of the area register the rows were checked against
    rows: list[list] | None = None  # the sheet read, in memory only (for the report workbook)

    @property
    def all_problems(self) -> list[Problem]:
        """File-level problems, then every row's, in reading order."""
        rows = self.outcome.problems if self.outcome else []
        return self.problems + sorted(rows, key=Problem.sort_key)

    @property
    def listed_problems(self) -> list[Problem]:
        """The problems as the report lists them: one entry for the same problem in the
        same column on many rows (``problems.grouped``); the workbook marks every cell."""
        return grouped(self.all_problems)

    @property
    def refused(self) -> bool:
        """True when a file-level problem is an error (warnings are only reported)."""
        return any(problem.severity == "error" for problem in self.problems)

    @property
    def blocked(self) -> str | None:
        """Why rows that were checked may still not be committed (``importing.commit_blocker``:
        no row accepted, or more rejected than accepted), or None."""
        if self.outcome is None:
            return None
        return importing.commit_blocker(self.outcome.rows_accepted, self.outcome.rows_rejected)

    @property
    def can_commit(self) -> bool:
        """A file with a plan, no file-level error and mostly accepted rows can be
        committed; rejected rows are left out of it."""
        return not self.refused and self.plan is not None and self.blocked is None


def kelurahan_names(session: Session, codes) -> dict[str, tuple[str, str, str]]:
    """Kelurahan code → (kelurahan name, kecamatan code, kecamatan name), for reports."""
    kecamatan = aliased(Area)
    rows = session.exec(
        select(Area.code, Area.name, kecamatan.code, kecamatan.name)
        .join(kecamatan, kecamatan.id == Area.parent_id)
        .where(Area.level == AreaLevel.KELURAHAN, Area.code.in_(sorted(codes)))
    )
    return {code: (name, kec_code, kec_name) for code, name, kec_code, kec_name in rows}


def by_kecamatan(session: Session, codes) -> list[tuple[str, list[str]]]:
    """Kelurahan codes grouped by kecamatan, as names: [(kecamatan, [kelurahan, ...])]."""
    names = kelurahan_names(session, codes)
    groups: dict[tuple[str, str], list[str]] = {}
    for code in sorted(codes, key=lambda c: (names.get(c, ("", c, c))[1], c)):
        name, kec_code, kec_name = names.get(code, (code, "", ""))
        groups.setdefault((kec_code, kec_name), []).append(name)
    return [(kec_name, kelurahan) for (_code, kec_name), kelurahan in groups.items()]


def list_kecamatan(session: Session) -> list[tuple[str, str]]:
    """Every kecamatan as (code, name), by code: the coverage an operator may choose."""
    rows = session.exec(
        select(Area.code, Area.name).where(Area.level == AreaLevel.KECAMATAN).order_by(Area.code)
    )
    return [tuple(row) for row in rows]


def area_index(session: Session) -> importing.AreaIndex:
    """The area tree as the pipeline needs it: kelurahan by code and name, RTs by code."""
    kecamatan = aliased(Area)
    rows = session.exec(
        select(Area.code, Area.name, kecamatan.name)
        .join(kecamatan, kecamatan.id == Area.parent_id)
        .where(Area.level == AreaLevel.KELURAHAN)
    ).all()
    kelurahan = {code: importing.compact(kec) for code, _name, kec in rows}
    by_name: dict[str, tuple[str, ...]] = {}
    for code, name, _kec in rows:
        by_name[importing.compact(name)] = (*by_name.get(importing.compact(name), ()), code)
    for alias, code in session.exec(
        select(KelurahanAlias.alias, Area.code).join(Area, Area.id == KelurahanAlias.area_id)
    ):
        by_name.setdefault(importing.compact(alias), (code,))
    rt_ids = {
        code: rt_id
        for code, rt_id in session.exec(
            select(Area.code, Area.id).where(Area.level == AreaLevel.RT)
        )
    }
    by_kelurahan: dict[str, list[int]] = {}
    for code, rt_id in rt_ids.items():
        by_kelurahan.setdefault(code.rsplit(".", 2)[0], []).append(rt_id)
    return importing.AreaIndex(
        kelurahan=kelurahan,
        kelurahan_by_name=by_name,
        rt_ids=rt_ids,
        rts_by_kelurahan={k: tuple(v) for k, v in by_kelurahan.items()},
    )


def register_fingerprint(index: importing.AreaIndex) -> str:
    """A digest of everything the pipeline resolves rows against (kelurahan codes, names,
    aliases and kecamatan, RT codes and ids): it changes when a register import adds an
    RT or an alias is added, not when households are updated."""
    content = repr(
        (
            sorted(index.kelurahan.items()),
            sorted(index.kelurahan_by_name.items()),
            sorted(index.rt_ids.items()),
        )
    )
    return hashlib.sha256(content.encode()).hexdigest()


def current_values(session: Session, iset: IndicatorSet, period: str) -> dict[tuple[int, str], int]:
    """The figures in force for the set's indicators and the period."""
    statement = (
        select(Figure.area_id, Indicator.code, Figure.value)
        .join(Indicator, Indicator.id == Figure.indicator_id)
        .join(Period, Period.id == Figure.period_id)
        .join(ActiveUpload, figure_in_force())
        .where(Indicator.code.in_(iset.indicators), Period.code == period)
    )
    return {(area_id, code): value for area_id, code, value in session.exec(statement)}


def preview_import(
    session: Session,
    data: bytes,
    filename: str,
    iset: IndicatorSet,
    period: str,
    mapping: importing.Mapping | None = None,
    progress=None,
    widen: str | None = None,
) -> ImportReport:
    """The dry run: everything parsed and checked, the plan made, nothing written.

    ``widen`` (``"city"`` or ``"kecamatan:35.78.03"``) is the operator's explicit choice to
    cover more than the kelurahan the file has rows for: a household list then gives 0 to
    every RT there, and figures in force there that the file does not give are removed."""
    report = ImportReport(iset, period, filename, hashlib.sha256(data).hexdigest(), len(data))
    if _period_problem(period):
        report.problems.append(Problem("import.bad_period", value=period))
        return report
    try:
        sheets = read_sheets(data, filename)
    except UnreadableFile as exc:
        report.problems.append(exc.problem)
        return report
    report.problems.extend(importing.hidden_sheets(sheets))
    if mapping is None:
        mapping, problems = importing.suggest_mapping(sheets, iset)
        report.problems.extend(problems)
    sheet = next((s for s in sheets if s.name == getattr(mapping, "sheet", None)), None)
    if mapping is None or sheet is None:
        if not report.refused:
            report.problems.append(Problem("import.mapping_sheet_missing"))
        return report
    report.mapping = mapping
    report.rows = sheet.rows
    report.problems.extend(importing.foreign_columns(sheet, mapping, iset))
    index = area_index(session)
    report.register = register_fingerprint(index)
    special = None
    if data[:2] == b"PK":  # an .xlsx: formulas without a result and errors read as ""
        special = functools.partial(special_cells, data, sheet.name)
    report.outcome = importing.run(sheet, mapping, iset, index, progress, special, period=period)
    report.rt_codes = {rt_id: code for code, rt_id in index.rt_ids.items()}
    if widen:
        wider = widened(index, widen)
        if not wider:
            report.problems.append(Problem("import.bad_coverage", value=widen))
        _widen(report.outcome, iset, index, wider)
    # The upload replaces figures only in the kelurahan it covers: elsewhere they stay.
    covered = set(report.outcome.covered)
    current = {
        key: value
        for key, value in current_values(session, iset, period).items()
        if report.rt_codes.get(key[0], "").rsplit(".", 2)[0] in covered
    }
    report.plan = importing.plan(report.outcome.values, current)
    return report


def widened(index: importing.AreaIndex, choice: str) -> set[str]:
    """The kelurahan codes of ``"city"`` or ``"kecamatan:<code>"``; empty if unknown."""
    if choice == "city":
        return set(index.kelurahan)
    kind, _, code = choice.partition(":")
    if kind != "kecamatan" or not code:
        return set()
    return {kelurahan for kelurahan in index.kelurahan if kelurahan.startswith(code + ".")}


def _widen(outcome, iset: IndicatorSet, index: importing.AreaIndex, wider: set[str]) -> None:
    """Cover ``wider`` too: a household or person list gives 0 to every RT without rows there."""
    if iset.shape in ("household", "person"):
        for code in wider - set(outcome.covered):
            for rt_id in index.rts_by_kelurahan.get(code, ()):
                for indicator in iset.indicators:
                    outcome.values.setdefault((rt_id, indicator), 0)
    outcome.covered = sorted(set(outcome.covered) | wider)


def _period_problem(period: str) -> bool:
    """True unless the period is a month like ``2026-10``."""
    try:
        year, month = (int(part) for part in period.split("-"))
        month_period(year, month)
    except ValueError:
        return True
    return not (2000 <= year <= 2100 and len(period) == 7)


def _period(session: Session, code: str) -> Period:
    period = session.exec(select(Period).where(Period.code == code)).first()
    if period is None:
        year, month = (int(part) for part in code.split("-"))
        period = month_period(year, month)
        session.add(period)
        session.flush()
    return period


class ImportRefused(Refused):
    """A commit, cancel or restore that cannot be done; ``code`` is translated at the edge."""


def _problem_json(problem: Problem) -> dict:
    return {
        "code": problem.code,
        "row": problem.row,
        "column": problem.column,
        "value": problem.value,
        "sheet": problem.sheet,
        "params": problem.params,
        "severity": problem.severity,
        **(
            {"count": problem.count, "ranges": [list(r) for r in problem.ranges]}
            if problem.count > 1
            else {}
        ),
    }


def problem_from_json(data: dict) -> Problem:
    """A stored problem back as a ``Problem``."""
    return Problem(
        data["code"],
        row=data.get("row"),
        column=data.get("column"),
        value=data.get("value"),
        sheet=data.get("sheet"),
        params=data.get("params") or {},
        severity=data.get("severity", "error"),
        count=data.get("count", 1),
        ranges=tuple(tuple(r) for r in data.get("ranges", ())),
    )


MAX_STORED_PROBLEMS = 5000
MAX_STORED_CHANGES = 200


def _summary(report: ImportReport, rt_names: dict[int, str], active: dict[str, int]) -> dict:
    """The dry run's numbers and the largest changes, as stored on the upload."""
    outcome, plan = report.outcome, report.plan
    return {
        "rows_read": outcome.rows_read if outcome else 0,
        "rows_accepted": outcome.rows_accepted if outcome else 0,
        "rows_rejected": outcome.rows_rejected if outcome else 0,
        "rows_warned": outcome.rows_warned if outcome else 0,
        "new": len(plan.new) if plan else 0,
        "changed": len(plan.changed) if plan else 0,
        "unchanged": plan.unchanged if plan else 0,
        "removed": len(plan.removed) if plan else 0,
        "problem_count": len(report.all_problems),
        "largest_changes": [
            {
                "rt": rt_names.get(c.rt_id, str(c.rt_id)),
                "indicator": c.indicator,
                "old": c.old,
                "new": c.new,
            }
            for c in (plan.changed[:MAX_STORED_CHANGES] if plan else [])
        ],
        "based_on": active,  # "indicator:kelurahan id" → upload in force at the dry run
        "register": report.register,  # the area register the rows were checked against
        "period": report.period,
        "blocked": report.blocked,  # why it may not be committed, or None
        "covers": outcome.covered if outcome else [],  # kelurahan codes with accepted rows
        # Figures in force the commit would remove, per kelurahan: a warning, and the
        # commit needs an explicit confirmation (``confirm_removals``).
        "removed_by_kelurahan": importing.removed_by_kelurahan(plan.removed, rt_names)
        if plan
        else {},
    }


def stage_import(
    session: Session,
    report: ImportReport,
    actor: User | None,
    now: datetime,
    ttl: timedelta,
    content: bytes | None = None,
    upload: Upload | None = None,
) -> Upload:
    """Keep the dry run in the database: the upload, its summary and its staged figures.

    Nothing is written to the figures. A file that cannot be read, or that would change
    nothing, ends here (status failed or noop). ``upload`` is an upload started earlier
    (``start_upload``) whose dry run this is; otherwise a new one is created.
    """
    iset = report.indicator_set
    department = session.exec(select(Department).where(Department.code == iset.department)).one()
    period = _period(session, report.period) if not _period_problem(report.period) else None
    indicators = _indicators(session, iset)
    covers = _kelurahan_ids(session, report.outcome.covered if report.outcome else [])
    active = (
        {} if period is None else _based_on(_active(session, indicators, period, covers.values()))
    )
    # A dry run whose rows are mostly rejected stays ready (its report workbook is kept for
    # the operator to fix the rows) but is never committed (``commit_upload`` refuses it).
    status = (
        UploadStatus.FAILED
        if report.refused or report.plan is None
        else UploadStatus.READY
        if report.blocked
        else UploadStatus.NOOP
        if report.plan.is_noop
        else UploadStatus.READY
    )
    summary = _summary(report, report.rt_codes, active)
    upload = upload or Upload(status=status)
    fields = dict(
        department_id=department.id,
        period_id=period.id if period else _any_period(session),
        file_name=clean_filename(report.filename),
        sha256=report.sha256,
        size_bytes=report.size,
        shape=iset.shape,
        status=status,
        rows_read=summary["rows_read"],
        rows_accepted=summary["rows_accepted"],
        rows_rejected=summary["rows_rejected"],
        rows_warned=summary["rows_warned"],
        uploaded_by_id=actor.id if actor else None,
        indicator_set=iset.code,
        mapping_applied=report.mapping.to_json() if report.mapping else {},
        summary=summary,
        problems=[_problem_json(p) for p in report.listed_problems[:MAX_STORED_PROBLEMS]],
        expires_at=now + ttl,
    )
    for name, value in fields.items():
        setattr(upload, name, value)
    session.add(upload)
    session.flush()
    session.execute(delete(UploadIndicator).where(UploadIndicator.upload_id == upload.id))
    session.execute(delete(StagedFigure).where(StagedFigure.upload_id == upload.id))
    session.add_all(
        UploadIndicator(upload_id=upload.id, indicator_id=i.id) for i in indicators.values()
    )
    if status != UploadStatus.READY:
        session.execute(delete(UploadFile).where(UploadFile.upload_id == upload.id))
    elif report.outcome.values:
        session.connection().execute(
            insert(StagedFigure),
            [
                {
                    "upload_id": upload.id,
                    "indicator_id": indicators[code].id,
                    "area_id": rt_id,
                    "value": value,
                }
                for (rt_id, code), value in report.outcome.values.items()
            ],
        )
    if status == UploadStatus.READY and content is not None and not file_exists(session, upload):
        session.add(UploadFile(upload_id=upload.id, content=content, expires_at=now + ttl))
    audit.record(
        session,
        "upload.dry_run",
        actor=actor,
        object_type="upload",
        object_id=upload.id,
        outcome=status.value,
        indicator_set=iset.code,
        period=report.period,
        sha256=report.sha256,
        rows_read=summary["rows_read"],
        rows_rejected=summary["rows_rejected"],
    )
    session.flush()
    return upload


def start_upload(
    session: Session,
    actor: User | None,
    iset: IndicatorSet,
    period: str,
    filename: str,
    content: bytes,
    now: datetime,
    ttl: timedelta,
) -> Upload:
    """Keep a received file until its dry run (the mapping may still need confirming)."""
    department = session.exec(select(Department).where(Department.code == iset.department)).one()
    period_row = _period(session, period) if not _period_problem(period) else None
    upload = Upload(
        department_id=department.id,
        period_id=period_row.id if period_row else _any_period(session),
        file_name=clean_filename(filename),
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        shape=iset.shape,
        status=UploadStatus.QUEUED,
        uploaded_by_id=actor.id if actor else None,
        indicator_set=iset.code,
        summary={"period": period},
        expires_at=now + ttl,
        created_at=now,
    )
    session.add(upload)
    session.flush()
    session.add(UploadFile(upload_id=upload.id, content=content, expires_at=now + ttl))
    session.flush()
    return upload


def file_exists(session: Session, upload: Upload) -> bool:
    """True while the upload's bytes are still kept."""
    return session.get(UploadFile, upload.id) is not None


def file_of(session: Session, upload: Upload) -> bytes | None:
    """The bytes of a file still under import, or None once they are gone."""
    stored = session.get(UploadFile, upload.id)
    return stored.content if stored else None


def report_of(session: Session, upload: Upload) -> bytes | None:
    """The dry run's report workbook while the file is kept, else None."""
    stored = session.get(UploadFile, upload.id)
    return stored.report if stored else None


def keep_report(session: Session, upload_id: int, body: bytes) -> None:
    """Keep the report workbook beside the file (deleted with it: commit, cancel, failure)."""
    stored = session.get(UploadFile, upload_id)
    if stored is not None:
        stored.report = body
        session.add(stored)


def _any_period(session: Session) -> int:
    """A failed upload with an unusable period still needs a period row to point at."""
    return session.exec(select(Period.id).order_by(Period.starts_on.desc())).first()


def _indicators(session: Session, iset: IndicatorSet) -> dict[str, Indicator]:
    statement = select(Indicator).where(Indicator.code.in_(iset.indicators))
    return {i.code: i for i in session.exec(statement)}


def _kelurahan_ids(session: Session, codes) -> dict[str, int]:
    """Kelurahan code → area id, for the codes given."""
    return dict(
        session.exec(
            select(Area.code, Area.id).where(
                Area.level == AreaLevel.KELURAHAN, Area.code.in_(sorted(codes))
            )
        ).all()
    )


def covered_kelurahan(session: Session, upload: Upload) -> dict[str, int]:
    """The kelurahan an upload covers (code → id): those it had accepted rows for, kept
    at its dry run; for an upload from before coverage was kept, those it has figures in."""
    if "covers" in (upload.summary or {}):
        return _kelurahan_ids(session, upload.summary["covers"])
    ids = session.exec(
        select(Figure.kelurahan_id).where(Figure.upload_id == upload.id).distinct()
    ).all()
    return dict(session.exec(select(Area.code, Area.id).where(Area.id.in_(ids))).all())


def _based_on(active: dict[tuple[str, int], ActiveUpload]) -> dict[str, int]:
    """The versions in force as stored on the dry run: ``"code:kelurahan id"`` → upload."""
    return {f"{code}:{kelurahan}": a.upload_id for (code, kelurahan), a in active.items()}


def _active(
    session,
    indicators: dict[str, Indicator],
    period: Period,
    kelurahan_ids,
    lock: bool = False,
) -> dict[tuple[str, int], ActiveUpload]:
    """The version in force per (indicator code, kelurahan id) in the given kelurahan
    (locked for update during a commit).

    With ``lock`` the period's row is locked first: the first commit of a period has no
    ``active_upload`` row to lock, and two such commits would both pass the stale check
    and the loser would fail on the primary key (battery IM-04). ``FOR NO KEY UPDATE``
    still lets figures reference the period. SQLite ignores both; it has one writer."""
    by_id = {i.id: code for code, i in indicators.items()}
    statement = select(ActiveUpload).where(
        ActiveUpload.period_id == period.id,
        ActiveUpload.indicator_id.in_(list(by_id)),
        ActiveUpload.kelurahan_id.in_(sorted(kelurahan_ids)),
    )
    if lock:
        session.exec(
            select(Period.id).where(Period.id == period.id).with_for_update(key_share=True)
        ).one()
        statement = statement.with_for_update()
    return {(by_id[a.indicator_id], a.kelurahan_id): a for a in session.exec(statement)}


def commit_upload(
    session: Session,
    upload_id: int,
    actor: User | None,
    sha256: str,
    now: datetime,
    remote_addr: str = "",
    confirm_removals: bool = False,
) -> Upload:
    """Write exactly what the dry run staged: bound to its file, its operator and its deadline.

    A dry run that would remove figures in force (RTs in force that the file gives no
    figure) is committed only with ``confirm_removals``, else ``import.removals_unconfirmed``.

    All or nothing in the caller's transaction. If another commit changed the version in
    force since this dry run, nothing is written and ``ImportRefused("import.stale")``; if
    the area register its rows were checked against changed (an RT or a kelurahan alias
    added), ``ImportRefused("import.register_changed")``: the rows must be checked again.
    """
    upload = session.get(Upload, upload_id)
    if upload is None:
        raise ImportRefused("import.unknown_upload")
    _check_ready(upload, actor, sha256, now)
    if upload.summary.get("removed", 0) and not confirm_removals:
        raise ImportRefused("import.removals_unconfirmed", count=upload.summary["removed"])
    iset_indicators = _upload_indicators(session, upload)
    period = session.get(Period, upload.period_id)
    covers = covered_kelurahan(session, upload)
    active = _active(session, iset_indicators, period, covers.values(), lock=True)
    if _based_on(active) != upload.summary.get("based_on", {}):
        raise ImportRefused("import.stale")
    checked_against = upload.summary.get("register")
    if checked_against and checked_against != register_fingerprint(area_index(session)):
        raise ImportRefused("import.register_changed")
    claimed = session.execute(
        update(Upload)
        .where(Upload.id == upload.id, Upload.status == UploadStatus.READY)
        .values(
            status=UploadStatus.COMMITTED,
            committed_at=now,
            supersedes_id=next(iter(active.values())).upload_id if active else None,
        )
    ).rowcount
    if claimed != 1:
        raise ImportRefused("import.already_done")
    session.execute(
        text(
            "INSERT INTO figure (area_id, indicator_id, period_id, upload_id, value, "
            "kelurahan_id) SELECT s.area_id, s.indicator_id, :period, s.upload_id, s.value, "
            "rw.parent_id FROM staged_figure s JOIN area rt ON rt.id = s.area_id "
            "JOIN area rw ON rw.id = rt.parent_id WHERE s.upload_id = :upload"
        ),
        {"period": period.id, "upload": upload.id},
    )
    replaced = _replaced(active)
    _point_at(session, upload, period, iset_indicators.values(), covers, active, actor, now)
    _carry_forward(session, upload.id, replaced, actor)
    coverage.record_coverage(session, upload)
    _discard(session, upload.id)
    audit.record(
        session,
        "upload.commit",
        actor=actor,
        object_type="upload",
        object_id=upload.id,
        remote_addr=remote_addr,
        sha256=upload.sha256,
        indicator_set=upload.indicator_set,
        figures=upload.summary.get("new", 0)
        + upload.summary.get("changed", 0)
        + upload.summary.get("unchanged", 0),
    )
    session.flush()
    session.refresh(upload)
    return upload


def _check_ready(upload: Upload, actor: User | None, sha256: str, now: datetime) -> None:
    """The dry run may be committed only as it was shown, by whoever ran it, in time."""
    if upload.status != UploadStatus.READY:
        raise ImportRefused("import.already_done")
    blocked = importing.commit_blocker(upload.rows_accepted, upload.rows_rejected)
    if blocked:
        raise ImportRefused(blocked, accepted=upload.rows_accepted, rejected=upload.rows_rejected)
    if actor is not None and upload.uploaded_by_id not in (None, actor.id):
        raise ImportRefused("import.not_yours")
    if sha256 != upload.sha256:
        raise ImportRefused("import.not_this_file")
    expires = upload.expires_at
    if expires is not None and (expires if expires.tzinfo else expires.replace(tzinfo=UTC)) < now:
        raise ImportRefused("import.expired")


def _point_at(session, upload, period, indicators, covers, active, actor, now) -> None:
    """Make the upload the version in force for each of its indicators and the period in
    each kelurahan it covers (``covers``: code → id); elsewhere nothing changes."""
    for indicator in indicators:
        for kelurahan_id in covers.values():
            pointer = active.get((indicator.code, kelurahan_id)) or ActiveUpload(
                indicator_id=indicator.id,
                period_id=period.id,
                kelurahan_id=kelurahan_id,
                upload_id=upload.id,
            )
            pointer.upload_id = upload.id
            pointer.activated_at = now
            pointer.activated_by_id = actor.id if actor else None
            session.add(pointer)


def _replaced(active) -> list[tuple[int, int]]:
    """(indicator id, upload id) of the versions in force about to be replaced."""
    return sorted({(a.indicator_id, a.upload_id) for a in active.values()})


def _carry_forward(session, upload_id: int, replaced, actor) -> None:
    """What RT heads said of figures the upload left unchanged still holds, from each
    version it replaced (``_replaced``; one per kelurahan at most). Usually one version
    per indicator, so one call (and one audit event)."""
    rounds: list[dict[int, int]] = []
    for indicator_id, old in replaced:
        free = next((r for r in rounds if indicator_id not in r), None)
        if free is None:
            rounds.append(free := {})
        free[indicator_id] = old
    for previous in rounds:
        verification.carry_forward(session, upload_id, previous, actor)


def _discard(session: Session, upload_id: int) -> None:
    """Drop what only the dry run needed: the staged figures and the file's bytes."""
    session.execute(delete(StagedFigure).where(StagedFigure.upload_id == upload_id))
    _discard_file(session, upload_id)


def _discard_file(session: Session, upload_id: int) -> None:
    """Delete the file's bytes and the report workbook kept beside them, and the sample
    values the mapping page showed (they are the file's cells: same retention)."""
    session.execute(delete(UploadFile).where(UploadFile.upload_id == upload_id))
    upload = session.get(Upload, upload_id)
    suggestion = (upload.summary or {}).get("suggestion") if upload is not None else None
    if suggestion and suggestion.get("samples"):
        upload.summary = {**upload.summary, "suggestion": {**suggestion, "samples": []}}
        session.add(upload)


def mark_failed(session: Session, upload: Upload, code: str) -> Upload:
    """End an import with a reason the operator can read. Nothing was written to the
    figures, and nothing of the file is kept: its bytes (and any report workbook) and
    staged figures are deleted at once, whichever way the job ended."""
    upload.status = UploadStatus.FAILED
    upload.error = code
    upload.problems = [
        {
            "code": code,
            "row": None,
            "column": None,
            "value": "",
            "sheet": None,
            "params": {},
            "severity": "error",
        }
    ]
    session.add(upload)
    _discard(session, upload.id)
    audit.record(
        session,
        "upload.failed",
        object_type="upload",
        object_id=upload.id,
        outcome="failed",
        reason=code,
    )
    return upload


def cancel_upload(session: Session, upload_id: int, actor: User | None) -> Upload:
    """Drop a dry run: nothing was written to the figures, and nothing of it is kept."""
    upload = session.get(Upload, upload_id)
    if upload is None or upload.status != UploadStatus.READY:
        raise ImportRefused("import.already_done")
    upload.status = UploadStatus.CANCELLED
    session.add(upload)
    _discard(session, upload.id)
    audit.record(session, "upload.cancel", actor=actor, object_type="upload", object_id=upload.id)
    return upload


def _upload_indicators(session: Session, upload: Upload) -> dict[str, Indicator]:
    """The indicators an upload carries, by code."""
    statement = (
        select(Indicator)
        .join(UploadIndicator, UploadIndicator.indicator_id == Indicator.id)
        .where(UploadIndicator.upload_id == upload.id)
    )
    return {indicator.code: indicator for indicator in session.exec(statement)}


def restore_upload(session: Session, upload_id: int, actor: User, now: datetime) -> Upload:
    """Make an earlier committed upload the version in force again (the walidata's undo)."""
    upload = session.get(Upload, upload_id)
    if upload is None or upload.status != UploadStatus.COMMITTED:
        raise ImportRefused("import.not_restorable")
    indicators = _upload_indicators(session, upload)
    period = session.get(Period, upload.period_id)
    covers = covered_kelurahan(session, upload)  # only these are repointed
    active = _active(session, indicators, period, covers.values(), lock=True)
    replaced = _replaced(active)
    _point_at(session, upload, period, indicators.values(), covers, active, actor, now)
    _carry_forward(session, upload.id, replaced, actor)
    audit.record(
        session,
        "upload.restore",
        actor=actor,
        object_type="upload",
        object_id=upload.id,
        period=period.code,
    )
    session.flush()
    return upload


def purge_expired(session: Session, now: datetime) -> int:
    """Delete every kept file past its own deadline, whatever became of its upload, and
    expire the dry runs past theirs; return how many uploads were purged.

    A dry run past its deadline is cancelled (its staged figures go too); a job that
    never ran or never ended (queued, parsing) is failed as ``import.expired``; any other
    upload (a dry run still in time, failed, noop, cancelled) only loses its bytes.
    Committed figures, the versions in force and the uploads' history are not touched.
    """
    files = set(session.exec(select(UploadFile.upload_id).where(UploadFile.expires_at < now)))
    runs = set(
        session.exec(
            select(Upload.id).where(Upload.status == UploadStatus.READY, Upload.expires_at < now)
        )
    )
    for upload_id in sorted(files | runs):
        upload = session.get(Upload, upload_id)
        if upload_id in runs:
            upload.status = UploadStatus.CANCELLED
            session.add(upload)
            _discard(session, upload_id)
        elif UploadStatus(upload.status).running:
            mark_failed(session, upload, "import.expired")
        else:
            _discard_file(session, upload_id)
    return len(files | runs)


def active_upload_ids(session: Session) -> set[int]:
    """The uploads in force for at least one indicator and period."""
    return set(session.exec(select(ActiveUpload.upload_id).distinct()).all())
