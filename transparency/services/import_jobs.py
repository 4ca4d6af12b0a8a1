"""Running a dry run as a job: in this process (tests, CLI) or in a child process with
memory and time limits (the upload pages), with progress and outcome in the database.

A job whose process died (killed for memory, a crash, a restart) stops sending its
heartbeat; ``sweep_stalled`` marks it failed so the operator sees a clear message and the
figures in force stay as they were.
"""

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from transparency.importing import (
    Mapping,
    category_values,
    header_texts,
    samples,
    saved_changes,
    suggest_mapping,
)
from transparency.indicator_sets import IndicatorSet
from transparency.models import Upload, UploadStatus, User
from transparency.models.figures import RUNNING_STATUSES
from transparency.problems import Problem, UnreadableFile
from transparency.services.imports import (
    file_of,
    keep_report,
    mark_failed,
    preview_import,
    stage_import,
)
from transparency.spreadsheets import column_letter, header_key, read_sheets

# Fields whose values are personal (a family's number, a birth date): no samples.
PRIVATE_FIELDS = ("household_id", "birth_date")
# Words of a header that names a person's data (NIK, names, addresses, birth, phone).
PERSONAL_WORDS = {"NIK", "NAMA", "NAME", "ALAMAT", "LAHIR", "LHR", "TELEPON", "TELP", "HP", "EMAIL"}
PERSONAL_PHRASES = ("NO KK", "NOMOR KK", "NO_KK", "KARTU KELUARGA", "TGL LHR", "TGL_LHR")


def is_personal_header(text: str, iset: IndicatorSet) -> bool:
    """True for a column whose header names a person's data: its values are never shown."""
    key = header_key(text)
    words = set(key.replace("_", " ").split())
    personal = {header_key(name) for name in iset.personal}
    return (
        key in personal
        or bool(words & PERSONAL_WORDS)
        or any(phrase in key.replace("_", " ") or phrase in key for phrase in PERSONAL_PHRASES)
    )


# Rows, the Excel number of the header row, the problems → the report workbook's bytes.
ReportBuilder = Callable[[list[list], int, list[Problem]], bytes]


def heartbeat(target: Engine | Session, upload_id: int, phase: str, rows: int = 0) -> None:
    """Record progress. With an engine, in its own short transaction, visible at once to
    every app server (the child process); with a session, inside its transaction. An
    upload no longer running (failed as stalled or expired meanwhile) stays as it ended."""
    table = Upload.__table__

    def write(connection) -> None:
        current = connection.execute(
            table.select().with_only_columns(table.c.summary).where(table.c.id == upload_id)
        ).scalar_one()
        summary = {
            **(current or {}),
            "phase": phase,
            "rows_checked": rows,
            "heartbeat": datetime.now(UTC).isoformat(),
        }
        connection.execute(
            update(Upload)
            .where(
                Upload.id == upload_id,
                Upload.status.in_(RUNNING_STATUSES),
            )
            .values(summary=summary, status=UploadStatus.PARSING)
        )

    if isinstance(target, Engine):
        with target.begin() as connection:
            write(connection)
    else:
        write(target.connection())


HEADER_CELLS = 200  # columns of the header row kept for the mapping page
HEADER_CELL_CHARS = 200


def suggest_upload(
    session: Session,
    progress_to: Engine | Session,
    upload_id: int,
    iset: IndicatorSet,
    now: datetime,
    ttl: timedelta,
    before_writing: Callable[[], None] = lambda: None,
    build_report: ReportBuilder | None = None,
) -> Upload:
    """Read a received upload and suggest how to read it (sheet, header, columns,
    category values), for the operator to confirm; the web process never parses a file.

    The suggestion is kept in the upload's summary and the upload waits (``queued``). A
    file that cannot be read, or has no usable header, goes straight on to the dry run,
    which ends it as ``failed`` with the reasons.
    """
    upload = session.get(Upload, upload_id)
    if not UploadStatus(upload.status).running:
        return upload  # ended before the job started (stalled, expired, cancelled)
    content = file_of(session, upload)
    if content is None:
        return mark_failed(session, upload, "import.file_gone")
    heartbeat(progress_to, upload_id, "reading")
    try:
        sheets = read_sheets(content, upload.file_name)
    except UnreadableFile:
        sheets = []
    saved = Mapping.from_json(upload.mapping_applied) if upload.mapping_applied else None
    changes = saved_changes(sheets, saved) if saved is not None and sheets else []
    mapping, problems = suggest_mapping(sheets, iset, partial=True) if sheets else (None, [])
    sheet = next((s for s in sheets if mapping and s.name == mapping.sheet), None)
    if (saved is not None and not changes) or mapping is None or sheet is None:
        if changes:  # a saved mapping that does not fit a file without a header: never blind
            upload.mapping_applied = {}
            session.add(upload)
        del sheets  # a saved mapping that still fits, or nothing to map: the dry run says
        return dry_run_upload(
            session, progress_to, upload_id, iset, now, ttl, before_writing, build_report
        )
    suggestion = _suggestion(sheet, mapping, problems, iset)
    suggestion["changes"] = [
        {**change, "suggested": _letter(mapping.columns.get(change["field"]))} for change in changes
    ]
    before_writing()
    upload = session.get(Upload, upload_id)
    session.refresh(upload)
    if not UploadStatus(upload.status).running:
        return upload  # ended meanwhile (expired, stalled): it stays as it was ended
    upload.status = UploadStatus.QUEUED
    upload.mapping_applied = {}
    upload.summary = {
        **(upload.summary or {}),
        "sheet_rows": {s.name: len(s.rows) for s in sheets},  # for the progress bar
        "phase": "mapping",
        "suggestion": suggestion,
    }
    session.add(upload)
    return upload


def _suggestion(sheet, mapping: Mapping, problems: list[Problem], iset: IndicatorSet) -> dict:
    """What the mapping page shows: the suggestion, every column's header and three
    sample values (none of a personal column not read), the category values, what is
    missing and the problems found (a field headed twice)."""
    header = [text[:HEADER_CELL_CHARS] for text in header_texts(sheet, mapping)[:HEADER_CELLS]]
    shown = samples(sheet, mapping, len(header))
    private = {mapping.columns.get(name) for name in PRIVATE_FIELDS}
    hidden = [c for c, t in enumerate(header) if c in private or is_personal_header(t, iset)]
    for column in hidden:
        shown[column] = []  # never shown nor kept: the page says "personal data"
    return {
        "mapping": mapping.to_json(),
        "header": header,
        "samples": shown,
        "private": hidden,
        "values": category_values(sheet, mapping) if iset.shape == "household" else [],
        "missing": mapping.missing,
        "problems": [asdict(p) for p in problems],
    }


def _letter(column: int | None) -> str | None:
    return None if column is None else column_letter(column)


def dry_run_upload(
    session: Session,
    progress_to: Engine | Session,
    upload_id: int,
    iset: IndicatorSet,
    now: datetime,
    ttl: timedelta,
    before_writing: Callable[[], None] = lambda: None,
    build_report: ReportBuilder | None = None,
) -> Upload:
    """Read, check and plan a received upload; leave it ready, noop or failed.

    ``progress_to`` is where the heartbeat goes: the engine in a child process, the
    session itself when the job runs in the caller's transaction. ``before_writing`` lets
    a child process end its long read transaction before it writes (SQLite refuses a
    write from a snapshot older than the heartbeats). ``build_report`` makes the report
    workbook from the rows read (here, in the job, so the web process never reads the
    file); it is kept beside the file and deleted with it (commit, cancel, failure).
    """
    engine = progress_to
    upload = session.get(Upload, upload_id)
    if not UploadStatus(upload.status).running:
        return upload  # ended before the job started (stalled, expired, cancelled)
    content = file_of(session, upload)
    if content is None:
        return mark_failed(session, upload, "import.file_gone")
    heartbeat(engine, upload_id, "reading")
    mapping = Mapping.from_json(upload.mapping_applied) if upload.mapping_applied else None
    period = (upload.summary or {}).get("period", "")
    widen = (upload.summary or {}).get("widen")  # the operator's wider coverage, if chosen
    report = preview_import(
        session,
        content,
        upload.file_name,
        iset,
        period,
        mapping,
        progress=lambda rows: heartbeat(engine, upload_id, "checking", rows),
        widen=widen,
    )
    before_writing()
    upload = session.get(Upload, upload_id)
    session.refresh(upload)
    if not UploadStatus(upload.status).running:
        return upload  # ended meanwhile (expired, stalled): no dry run revives it
    actor = session.get(User, upload.uploaded_by_id) if upload.uploaded_by_id else None
    staged = stage_import(session, report, actor, now, ttl, upload=upload)
    staged.summary = {**staged.summary, "period": period, "widen": widen}
    session.add(staged)
    if build_report is not None and report.rows is not None and report.all_problems:
        keep_report(
            session,
            upload_id,
            build_report(report.rows, report.mapping.header_row, report.all_problems),
        )
    return staged


JOBS = {"suggest": suggest_upload, "dry_run": dry_run_upload}  # by the upload's summary "job"


def sweep_stalled(session: Session, now: datetime, stall: timedelta) -> int:
    """Mark failed every job whose heartbeat stopped longer than ``stall`` ago."""
    count = 0
    running = select(Upload).where(Upload.status == UploadStatus.PARSING)
    for upload in session.exec(running).all():
        beat = (upload.summary or {}).get("heartbeat")
        started = datetime.fromisoformat(beat) if beat else _aware(upload.created_at)
        if now - started > stall:
            mark_failed(session, upload, "import.stalled")
            count += 1
    return count


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
