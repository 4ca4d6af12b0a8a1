"""Security battery, imports: IM-02 (faults mid-commit), IM-03 (a crash mid-commit) and
IM-04 (concurrent commits and lock timeouts).

IM-02 runs on the test database of the run (SQLite, or PostgreSQL with TEST_DATABASE_URL),
in a savepoint of the module's seeded demo. IM-03 and IM-04 need real concurrent
transactions, so they work on a database of their own: a file SQLite database (WAL), and
for IM-04 also a schema of its own in the PostgreSQL database of TEST_DATABASE_URL.
"""

import io
import multiprocessing
import os
import signal
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import event, func, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from tests.conftest import SAMPLE_KELURAHAN, SEED, login, register_subset
from tests.test_import_service import (
    DISPENDIK_FILE,
    TTL,
    edited_dispendik,
    expected,
    in_force,
    sample_bytes,
    staged,
    user,
)
from transparency import create_app
from transparency.config import database_url
from transparency.db import make_engine, upgrade
from transparency.indicator_sets import load_indicator_sets
from transparency.models import (
    ActiveUpload,
    Area,
    AreaLevel,
    AuditEvent,
    Figure,
    Period,
    StagedFigure,
    Upload,
    UploadFile,
    UploadStatus,
)
from transparency.queries import figure_in_force
from transparency.services import demo, import_jobs, imports
from transparency.services.imports import ImportRefused, commit_upload, preview_import

DEMO_KELURAHAN = SAMPLE_KELURAHAN  # conftest's seeded_connection registers these
SETS = load_indicator_sets(SEED / "indicator_sets.json")
STUNTING = SETS["dinkes_stunting"]
WONOREJO = "35.78.03.1005"  # Wonorejo (Rungkut): 40 RTs in the register
TRY_AGAIN = "Tidak ada data Anda yang hilang. Silakan coba lagi sebentar lagi."  # the 5xx page


# --- snapshots ----------------------------------------------------------------------------


def snapshot(session, upload_id: int | None = None) -> dict:
    """Every figure, every version pointer, the staged rows, and the upload's own state."""
    state = {
        "figures": sorted(
            session.exec(
                select(
                    Figure.area_id,
                    Figure.indicator_id,
                    Figure.period_id,
                    Figure.upload_id,
                    Figure.value,
                )
            ).all()
        ),
        "active": sorted(
            session.exec(
                select(ActiveUpload.indicator_id, ActiveUpload.period_id, ActiveUpload.upload_id)
            ).all()
        ),
        "staged": sorted(
            session.exec(
                select(
                    StagedFigure.upload_id,
                    StagedFigure.indicator_id,
                    StagedFigure.area_id,
                    StagedFigure.value,
                )
            ).all()
        ),
        "uploads": sorted(session.exec(select(Upload.id, Upload.status)).all()),
        "files": sorted(session.exec(select(UploadFile.upload_id)).all()),
        "audit": session.exec(select(func.count()).select_from(AuditEvent)).one(),
    }
    return state


class Fault:
    """Counts the SQL statements a connection runs and makes one of them fail."""

    def __init__(self, connection, fail_at: int | None = None, error=None, rewrite=None):
        self.count = 0
        self.fail_at = fail_at
        self.error = error
        self.rewrite = rewrite
        self.connection = connection
        event.listen(connection, "before_cursor_execute", self.hook, retval=True)

    def hook(self, _conn, _cursor, statement, parameters, _context, _many):
        self.count += 1
        if self.count == self.fail_at:
            raise self.error(statement)
        if self.rewrite:
            statement = self.rewrite(statement)
        return statement, parameters

    def remove(self):
        event.remove(self.connection, "before_cursor_execute", self.hook)


def disk_error(statement: str) -> OperationalError:
    return OperationalError(statement, {}, sqlite3.OperationalError("disk I/O error"))


def statements_of_a_commit(session, upload: Upload, operator) -> int:
    """How many statements a commit of this upload runs (counted in a savepoint undone)."""
    savepoint = session.begin_nested()
    counter = Fault(session.connection())
    try:
        commit_upload(session, upload.id, operator, upload.sha256, datetime.now(UTC))
        session.flush()
    finally:
        counter.remove()
        savepoint.rollback()
    session.expire_all()
    return counter.count


# --- IM-02: faults mid-commit -------------------------------------------------------------


@pytest.fixture
def ready(session):
    """A committed Dispendik version in force, and a changed file's dry run ready over it."""
    session.expire_on_commit = False
    operator = user(session, "dispendik")
    first = staged(session, DISPENDIK_FILE, operator)
    commit_upload(session, first.id, operator, first.sha256, datetime.now(UTC))
    session.commit()
    changed = edited_dispendik("E4", 35)  # RT 001/001 of Wonorejo (Rungkut): 31 → 35 SD
    second = staged(session, DISPENDIK_FILE, operator, data=changed)
    session.commit()
    assert second.status == UploadStatus.READY
    return operator, first, second


def _changed_in_force() -> dict:
    figures = expected(DISPENDIK_FILE)
    figures["35.78.03.1005.001.001"]["anak_sd"] = 35
    return figures


@pytest.mark.demo_once
@pytest.mark.parametrize("where", ["first", "mid", "last"])
def test_im02_a_database_error_at_any_statement_of_a_commit_rolls_everything_back(
    session, ready, where
):
    """IM-02: a DB error at statement 1, mid and last of the commit: nothing changes, the
    upload stays ready (committable), and committing again puts the new file in force."""
    operator, first, second = ready
    total = statements_of_a_commit(session, second, operator)
    assert total >= 8  # get, indicators, lock, update, insert…select, pointers, discard, audit
    fail_at = {"first": 1, "mid": total // 2, "last": total}[where]
    before = snapshot(session)

    fault = Fault(session.connection(), fail_at, disk_error)
    with pytest.raises(OperationalError, match="disk I/O error"):
        commit_upload(session, second.id, operator, second.sha256, datetime.now(UTC))
        session.flush()
    fault.remove()
    assert fault.count >= fail_at  # the fault fired (a statement may follow it on the way out)
    session.rollback()

    assert snapshot(session) == before
    assert session.get(Upload, second.id).status == UploadStatus.READY
    assert in_force(session, DISPENDIK_FILE) == expected(DISPENDIK_FILE)

    done = commit_upload(session, second.id, operator, second.sha256, datetime.now(UTC))
    session.commit()
    assert done.status == UploadStatus.COMMITTED
    assert in_force(session, DISPENDIK_FILE) == _changed_in_force()


@pytest.mark.demo_once
def test_im02_a_check_constraint_violated_mid_commit_rolls_everything_back(session, ready):
    """IM-02: the figure insert is rewritten to write -1: the database's CHECK refuses it
    after the upload was already claimed; the rollback leaves every row as it was."""
    operator, _first, second = ready
    before = snapshot(session)

    def negative(statement: str) -> str:
        if statement.startswith("INSERT INTO figure"):
            assert "s.value, rw.parent_id FROM staged_figure" in statement
            return statement.replace("s.value, rw.parent_id FROM", "-1, rw.parent_id FROM")
        return statement

    fault = Fault(session.connection(), rewrite=negative)
    with pytest.raises(IntegrityError) as raised:
        commit_upload(session, second.id, operator, second.sha256, datetime.now(UTC))
    fault.remove()
    assert "ck_figure_value" in str(raised.value.orig) or "CHECK" in str(raised.value.orig)
    session.rollback()

    assert snapshot(session) == before
    assert session.get(Upload, second.id).status == UploadStatus.READY
    assert in_force(session, DISPENDIK_FILE) == expected(DISPENDIK_FILE)


@pytest.mark.demo_once
def test_im02_an_exception_after_the_figures_were_written_rolls_them_back(
    session, ready, monkeypatch
):
    """IM-02: figures inserted, pointers moved, staged rows deleted, then a crash."""
    operator, first, second = ready
    before = snapshot(session)
    original = imports._discard
    seen = {}

    def discard_then_fail(db, upload_id):
        original(db, upload_id)
        db.flush()
        seen["figures"] = db.exec(
            select(func.count()).select_from(Figure).where(Figure.upload_id == upload_id)
        ).one()
        seen["active"] = set(db.exec(select(ActiveUpload.upload_id)).all())
        raise RuntimeError("boom after writing")

    monkeypatch.setattr(imports, "_discard", discard_then_fail)
    with pytest.raises(RuntimeError, match="boom after writing"):
        commit_upload(session, second.id, operator, second.sha256, datetime.now(UTC))
    assert seen["figures"] == 2415 and second.id in seen["active"]  # it had written them
    session.rollback()
    monkeypatch.setattr(imports, "_discard", original)

    assert snapshot(session) == before
    assert session.get(Upload, second.id).status == UploadStatus.READY
    assert in_force(session, DISPENDIK_FILE) == expected(DISPENDIK_FILE)
    commit_upload(session, second.id, operator, second.sha256, datetime.now(UTC))
    session.commit()
    assert in_force(session, DISPENDIK_FILE) == _changed_in_force()


@pytest.mark.demo_once
@pytest.mark.parametrize("where", ["first", "mid", "last"])
def test_im02_a_database_error_while_staging_leaves_nothing_staged(session, where):
    """IM-02 (staging): a DB error at statement 1, mid or last of ``stage_import``."""
    operator = user(session, "dispendik")
    data = sample_bytes(DISPENDIK_FILE)
    report = preview_import(
        session, data, DISPENDIK_FILE, SETS["dispendik_anak_sekolah"], "2026-10"
    )
    session.commit()
    before = snapshot(session)

    savepoint = session.begin_nested()
    counter = Fault(session.connection())
    imports.stage_import(session, report, operator, datetime.now(UTC), TTL, content=data)
    session.flush()
    counter.remove()
    savepoint.rollback()
    total = counter.count
    assert total >= 6
    session.expire_all()
    assert snapshot(session) == before

    fail_at = {"first": 1, "mid": total // 2, "last": total}[where]
    fault = Fault(session.connection(), fail_at, disk_error)
    with pytest.raises(OperationalError):
        imports.stage_import(session, report, operator, datetime.now(UTC), TTL, content=data)
        session.flush()
    fault.remove()
    session.rollback()
    assert snapshot(session) == before


@pytest.mark.demo_once
@pytest.mark.parametrize("where", ["first", "mid", "last"])
def test_im02_a_database_error_in_the_web_commit_is_a_503_try_again(app, session, ready, where):
    """IM-02 on the web: ``/unggah/<id>/simpan`` hit by a DB error answers 503 with a
    "try again" page (not a 500), writes nothing, and the same button works afterwards."""
    operator, _first, second = ready
    total = statements_of_a_commit(session, second, operator)
    upload_id, sha256 = second.id, second.sha256
    client = app.test_client()
    assert login(client, "dispendik").status_code == 302
    client.get(f"/unggah/{upload_id}")  # the report page, as the operator sees it first
    before = snapshot(session)

    fail_at = {"first": 1, "mid": total // 2, "last": total}[where]
    original = imports.commit_upload
    faults = []

    def failing_commit(db, *args, **kwargs):
        faults.append(Fault(db.connection(), fail_at, disk_error))
        try:
            return original(db, *args, **kwargs)
        finally:
            faults[-1].remove()

    imports.commit_upload = failing_commit
    try:
        response = client.post(f"/unggah/{upload_id}/simpan", data={"sha256": sha256})
    finally:
        imports.commit_upload = original
    # One commit, and its fault fired (a flush that fails rolls back its savepoint after it).
    assert len(faults) == 1 and faults[0].count >= fail_at
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert TRY_AGAIN in page
    assert "Traceback" not in page and "disk I/O" not in page
    session.rollback()
    assert snapshot(session) == before
    assert session.get(Upload, upload_id).status == UploadStatus.READY

    again = client.post(f"/unggah/{upload_id}/simpan", data={"sha256": sha256})
    assert again.status_code == 302
    assert session.get(Upload, upload_id).status == UploadStatus.COMMITTED
    assert in_force(session, DISPENDIK_FILE) == _changed_in_force()


@pytest.mark.demo_once
def test_im02_a_constraint_error_in_the_web_commit_is_a_retryable_message(app, session, ready):
    """IM-02 on the web: a constraint violated mid-commit must not be a 500."""
    _operator, _first, second = ready
    upload_id, sha256 = second.id, second.sha256
    client = app.test_client()
    login(client, "dispendik")

    def negative(statement: str) -> str:
        return statement.replace("s.value, rw.parent_id FROM", "-1, rw.parent_id FROM")

    fault = Fault(session.connection(), rewrite=negative)
    try:
        response = client.post(f"/unggah/{upload_id}/simpan", data={"sha256": sha256})
    finally:
        fault.remove()
    session.rollback()
    assert session.get(Upload, upload_id).status == UploadStatus.READY
    assert in_force(session, DISPENDIK_FILE) == expected(DISPENDIK_FILE)
    assert response.status_code == 302
    page = client.get(f"/unggah/{upload_id}").get_data(as_text=True)
    assert "Angka tidak dapat disimpan; tidak ada yang ditulis. Silakan coba lagi." in page


@pytest.mark.demo_once
def test_im02_the_database_refuses_negative_counts_orphans_and_duplicates(session, ready):
    """IM-02: CHECK, UNIQUE and FOREIGN KEY constraints exist in the database itself
    (SQLite with foreign keys on, and PostgreSQL)."""
    _operator, first, _second = ready
    row = session.exec(select(Figure).where(Figure.upload_id == first.id)).first()
    connection = session.connection()
    insert = (
        "INSERT INTO figure (area_id, indicator_id, period_id, upload_id, value, kelurahan_id) "
        "VALUES (:area, :indicator, :period, :upload, :value, :kelurahan)"
    )
    cell = {
        "kelurahan": row.kelurahan_id,
        "area": row.area_id,
        "indicator": row.indicator_id,
        "period": row.period_id,
        "upload": row.upload_id,
    }
    if session.bind.dialect.name == "sqlite":
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    cases = [
        ({**cell, "upload": _second.id, "value": -1}, "ck_figure_value"),  # CHECK
        ({**cell, "value": 7}, "uq_figure_upload_cell"),  # UNIQUE (same upload and cell)
        ({**cell, "upload": _second.id, "area": 999_999_999, "value": 1}, "FOREIGN KEY"),
    ]
    for params, constraint in cases:
        savepoint = connection.begin_nested()
        with pytest.raises(IntegrityError) as raised:
            connection.execute(text(insert), params)
        savepoint.rollback()
        message = str(raised.value.orig)
        if session.bind.dialect.name == "postgresql":
            assert constraint in message or (
                constraint == "FOREIGN KEY" and "foreign key constraint" in message
            )
        else:
            sqlite_words = {
                "ck_figure_value": "CHECK constraint failed",
                "uq_figure_upload_cell": "UNIQUE constraint failed",
                "FOREIGN KEY": "FOREIGN KEY constraint failed",
            }
            assert sqlite_words[constraint] in message
    staged_negative = "UPDATE staged_figure SET value = -5 WHERE upload_id = :upload"
    savepoint = connection.begin_nested()
    with pytest.raises(IntegrityError):
        connection.execute(text(staged_negative), {"upload": _second.id})
    savepoint.rollback()


# --- a database of their own for IM-03 and IM-04 --------------------------------------------


def _postgres_url(schema: str) -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    url = database_url(url, "")
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def city_url(request, tmp_path_factory):
    """The URL of a database holding the demo city on Wonorejo (Rungkut) only: a file
    SQLite database, or a schema of its own in TEST_DATABASE_URL's PostgreSQL database."""
    folder = tmp_path_factory.mktemp("battery")
    schema = f"battery_{os.getpid()}"
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'city.sqlite3'}"
    else:
        url = _postgres_url(schema)
        if url is None:
            message = "PostgreSQL battery tests skipped: TEST_DATABASE_URL is not set"
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                pytest.fail(message)
            pytest.skip(message)
        admin = make_engine(database_url(os.environ["TEST_DATABASE_URL"], ""))
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        demo.seed_demo(session, SEED, register_subset(folder / "r.csv", (WONOREJO,)))
        session.commit()
    engine.dispose()
    yield url
    if request.param == "postgresql":
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def city(city_url):
    engine = make_engine(city_url)
    yield engine
    engine.dispose()


def stunting_file(engine, value: int) -> bytes:
    """A Dinkes stunting file giving every RT of Wonorejo (Rungkut) the same value."""
    with Session(engine) as session:
        codes = session.exec(
            select(Area.code).where(Area.level == AreaLevel.RT, Area.code.like(f"{WONOREJO}.%"))
        ).all()
    assert len(codes) == 40
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Data")
    sheet.append(["KODE KELURAHAN", "RW", "RT", "BALITA STUNTING"])
    for code in sorted(codes):
        _kelurahan, rw, rt = code.rsplit(".", 2)
        sheet.append([WONOREJO, rw, rt, value])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def dry_run(engine, period: str, value: int) -> tuple[int, str]:
    """A ready dry run of a stunting file (no operator: anyone signed in may commit it)."""
    data = stunting_file(engine, value)
    with Session(engine) as session:
        report = preview_import(session, data, "stunting.xlsx", STUNTING, period)
        upload = imports.stage_import(session, report, None, datetime.now(UTC), TTL, content=data)
        session.commit()
        assert upload.status == UploadStatus.READY, upload.problems
        return upload.id, upload.sha256


def committed(engine, period: str, value: int) -> int:
    upload_id, sha256 = dry_run(engine, period, value)
    with Session(engine) as session:
        commit_upload(session, upload_id, None, sha256, datetime.now(UTC))
        session.commit()
    return upload_id


def stunting_in_force(engine, period: str) -> list[tuple[int, int]]:
    """(upload id, value) of every stunting figure in force for the period."""
    with Session(engine) as session:
        rows = session.exec(
            select(Figure.upload_id, Figure.value)
            .join(Period, Period.id == Figure.period_id)
            .join(ActiveUpload, figure_in_force())
            .where(Period.code == period)
        ).all()
    return sorted(rows)


def pointers(engine, period: str) -> list[int]:
    with Session(engine) as session:
        return session.exec(
            select(ActiveUpload.upload_id)
            .join(Period, Period.id == ActiveUpload.period_id)
            .where(Period.code == period)
        ).all()


def status_of(engine, upload_id: int) -> str:
    with Session(engine) as session:
        return session.get(Upload, upload_id).status


def figures_of(engine, upload_id: int) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(Figure).where(Figure.upload_id == upload_id)
        ).one()


# --- IM-04: concurrent commits ------------------------------------------------------------


@pytest.fixture
def slow_lock(monkeypatch):
    """Each commit pauses after reading (and locking) the versions in force, so two
    commits started together overlap inside their transactions."""
    original = imports._active

    def active_then_pause(session, indicators, period, kelurahan_ids, lock=False):
        found = original(session, indicators, period, kelurahan_ids, lock)
        if lock:
            time.sleep(0.3)
        return found

    monkeypatch.setattr(imports, "_active", active_then_pause)


def race(engine, uploads: list[tuple[int, str]]) -> dict[int, str]:
    """Commit the dry runs from two threads released together; each thread's outcome."""
    barrier = threading.Barrier(len(uploads))
    outcome: dict[int, str] = {}

    def run(upload_id: int, sha256: str) -> None:
        with Session(engine) as session:
            session.get(Upload, upload_id)  # the transaction reads first, as the view does
            barrier.wait(timeout=30)
            try:
                commit_upload(session, upload_id, None, sha256, datetime.now(UTC))
                session.commit()
                outcome[upload_id] = "committed"
            except ImportRefused as exc:
                session.rollback()
                outcome[upload_id] = exc.code
            except OperationalError as exc:
                session.rollback()
                outcome[upload_id] = "locked" if "locked" in str(exc.orig) else repr(exc.orig)
            except Exception as exc:  # noqa: BLE001 - reported in the assertion
                session.rollback()
                outcome[upload_id] = repr(exc)

    threads = [threading.Thread(target=run, args=upload) for upload in uploads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcome


@pytest.mark.parametrize("history", ["over a version in force", "first version of the period"])
def test_im04_two_simultaneous_commits_one_winner_no_mixed_rows(city, slow_lock, history):
    """IM-04: two dry runs of the same set and period, committed at once from two threads.
    One wins; the other is refused as stale (PostgreSQL), or, on SQLite, is told the
    database was busy and is refused as stale when it tries again. One version in force,
    every figure in force from the winner, none written by the loser."""
    period = "2027-01" if history.startswith("over") else "2027-02"
    base = committed(city, period, 1) if history.startswith("over") else None
    first, second = dry_run(city, period, 2), dry_run(city, period, 3)

    outcome = race(city, [first, second])

    assert sorted(outcome.values()).count("committed") == 1, outcome
    winner = next(uid for uid, result in outcome.items() if result == "committed")
    loser = first[0] if winner == second[0] else second[0]
    expected_loss = (
        {"import.stale"}
        if city.dialect.name == "postgresql"
        else {
            "import.stale",
            "locked",
        }
    )
    assert outcome[loser] in expected_loss, outcome
    value = 2 if winner == first[0] else 3
    assert stunting_in_force(city, period) == [(winner, value)] * 40
    assert pointers(city, period) == [winner]
    assert figures_of(city, loser) == 0
    assert status_of(city, winner) == UploadStatus.COMMITTED
    assert status_of(city, loser) == UploadStatus.READY
    if base is not None:
        assert figures_of(city, base) == 40  # the earlier version stays in the history

    sha = first[1] if loser == first[0] else second[1]
    with Session(city) as session:  # trying again is refused as stale, and writes nothing
        with pytest.raises(ImportRefused) as again:
            commit_upload(session, loser, None, sha, datetime.now(UTC))
        session.rollback()
    assert again.value.code == "import.stale"
    assert figures_of(city, loser) == 0


@pytest.fixture
def web_app():
    """Makes apps on the battery database (their engines disposed after the test)."""
    made = []

    def make(url: str, busy_ms: int | None = None):
        made.append(_web_app(url, busy_ms))
        return made[-1]

    yield make
    for app in made:
        app.extensions["db_engine"].dispose()


def _web_app(url: str, busy_ms: int | None = None):
    """The app on the battery database, CSRF off; optionally SQLite's busy timeout short."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "battery",
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
            "IMPORT_IN_PROCESS": True,
        }
    )
    if busy_ms is not None:
        engine = app.extensions["db_engine"]

        @event.listens_for(engine, "connect")
        def short_busy_timeout(dbapi_connection, _record):
            dbapi_connection.execute(f"PRAGMA busy_timeout={busy_ms}")

    return app


def signed_in(app):
    client = app.test_client()
    response = client.post(
        "/masuk", data={"username": "walidata", "password": "walidata-demo-2026"}
    )
    assert response.status_code == 302
    return client


def test_im04_two_simultaneous_commits_on_the_web(city, city_url, slow_lock, web_app):
    """IM-04 on the web: both press "save" at once. One is saved; the other gets the
    stale refusal on its report (or, on SQLite, a 503 "try again", then the refusal)."""
    period = "2027-03"
    committed(city, period, 1)
    uploads = [dry_run(city, period, 4), dry_run(city, period, 5)]
    app = web_app(city_url)
    clients = [signed_in(app), signed_in(app)]
    barrier = threading.Barrier(2)
    responses = {}

    def press(client, upload_id, sha256):
        barrier.wait(timeout=30)
        responses[upload_id] = client.post(f"/unggah/{upload_id}/simpan", data={"sha256": sha256})

    threads = [
        threading.Thread(target=press, args=(c, *u)) for c, u in zip(clients, uploads, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    winner = next(uid for uid, _sha in uploads if status_of(city, uid) == "committed")
    loser, loser_sha = next(u for u in uploads if u[0] != winner)
    loser_client = clients[[u[0] for u in uploads].index(loser)]
    assert responses[winner].status_code == 302
    stale = "Another upload for this period was committed after your dry run"
    stale_id = "Ada unggahan lain untuk periode ini yang disimpan setelah uji coba Anda."
    if responses[loser].status_code == 503:
        assert city.dialect.name == "sqlite"  # SQLite's snapshot went stale: "locked"
        assert responses[loser].headers["Retry-After"] == "5"
        responses[loser] = loser_client.post(f"/unggah/{loser}/simpan", data={"sha256": loser_sha})
    assert responses[loser].status_code == 302
    page = loser_client.get(responses[loser].headers["Location"]).get_data(as_text=True)
    assert stale in page or stale_id in page
    assert stunting_in_force(city, period) == [(winner, 4 if winner == uploads[0][0] else 5)] * 40
    assert pointers(city, period) == [winner]
    assert figures_of(city, loser) == 0


def test_im04_a_lock_timeout_is_a_503_try_again_without_a_partial_write(city, city_url, web_app):
    """IM-04: another transaction holds the write lock longer than the busy timeout
    (SQLite) or the lock timeout (PostgreSQL): the commit answers 503 "try again", writes
    nothing, and succeeds once the lock is gone."""
    period = "2027-04"
    base = committed(city, period, 1)
    upload_id, sha256 = dry_run(city, period, 6)
    if city.dialect.name == "sqlite":
        app = web_app(city_url, busy_ms=200)
    else:
        app = web_app(city_url.replace("options=", "options=-c%20lock_timeout%3D200%20"))
    client = signed_in(app)
    blocker = city.connect()
    if city.dialect.name == "sqlite":
        blocker.exec_driver_sql("UPDATE area SET name = name WHERE id = 1")  # the write lock
    else:
        blocker.begin()
        blocker.execute(
            text("SELECT * FROM active_upload WHERE upload_id = :u FOR UPDATE"), {"u": base}
        )
    try:
        response = client.post(f"/unggah/{upload_id}/simpan", data={"sha256": sha256})
    finally:
        blocker.rollback()
        blocker.close()
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert TRY_AGAIN in page
    assert status_of(city, upload_id) == UploadStatus.READY
    assert figures_of(city, upload_id) == 0
    assert stunting_in_force(city, period) == [(base, 1)] * 40

    again = client.post(f"/unggah/{upload_id}/simpan", data={"sha256": sha256})
    assert again.status_code == 302
    assert status_of(city, upload_id) == UploadStatus.COMMITTED
    assert stunting_in_force(city, period) == [(upload_id, 6)] * 40


# --- IM-03: a crash mid-commit ------------------------------------------------------------


def _commit_then_hang(url: str, upload_id: int, sha256: str, marker: str) -> None:
    """In a child process: commit, and stop inside the transaction once the figures are
    written, the pointers moved and the staged rows deleted, until killed."""
    engine = make_engine(url)
    original = imports._discard

    def discard_and_hang(session, uid):
        original(session, uid)
        session.flush()
        Path(marker).write_text("inside the commit", encoding="utf-8")
        time.sleep(300)

    imports._discard = discard_and_hang
    with Session(engine) as session:
        commit_upload(session, upload_id, None, sha256, datetime.now(UTC))
        session.commit()


def _dry_run_then_hang(url: str, upload_id: int, marker: str) -> None:
    """In a child process: the dry run as the worker runs it, stopping inside the
    transaction once the staged figures are written, until killed."""
    engine = make_engine(url)
    original = imports.stage_import

    def stage_and_hang(*args, **kwargs):
        upload = original(*args, **kwargs)
        args[0].flush()
        Path(marker).write_text("inside the staging", encoding="utf-8")
        time.sleep(300)
        return upload

    import_jobs.stage_import = stage_and_hang
    with Session(engine) as session:
        import_jobs.dry_run_upload(
            session,
            engine,
            upload_id,
            STUNTING,
            datetime.now(UTC),
            TTL,
            before_writing=session.rollback,
        )
        session.commit()


def kill_when_inside(target, args: tuple, marker: Path) -> int:
    """Start ``target`` in a spawned process, SIGKILL it once it says it is inside its
    transaction; the exit code."""
    process = multiprocessing.get_context("spawn").Process(target=target, args=args)
    process.start()
    deadline = time.monotonic() + 120
    while not marker.exists() and process.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), f"the child never got inside (exit code {process.exitcode})"
    os.kill(process.pid, signal.SIGKILL)
    process.join(30)
    return process.exitcode


def sqlite_checks(url: str) -> None:
    """The file passes SQLite's integrity check, and no lock outlived the killed process."""
    path = url.removeprefix("sqlite:///")
    raw = sqlite3.connect(path, timeout=1, isolation_level=None)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        raw.execute("BEGIN IMMEDIATE")  # the write lock is free at once
        raw.execute("ROLLBACK")
    finally:
        raw.close()


def test_im03_a_commit_killed_mid_transaction_leaves_the_previous_version(city, city_url, tmp_path):
    """IM-03: SIGKILL while the commit's transaction has written everything but not
    committed. Reopened: integrity ok, every row as before, the earlier version in force,
    the upload still ready (a commit is one transaction: there is nothing for the
    sweeper to end), and committing it again works."""
    if city.dialect.name != "sqlite":
        pytest.skip("the crash test kills a process holding a SQLite file (IM-03)")
    period = "2027-05"
    base = committed(city, period, 1)
    upload_id, sha256 = dry_run(city, period, 7)
    with Session(city) as session:
        before = snapshot(session)
    city.dispose()

    marker = tmp_path / "inside"
    exit_code = kill_when_inside(
        _commit_then_hang, (city_url, upload_id, sha256, str(marker)), marker
    )
    assert exit_code == -signal.SIGKILL

    sqlite_checks(city_url)
    engine = make_engine(city_url)
    try:
        with Session(engine) as session:
            assert snapshot(session) == before
            assert session.get(Upload, upload_id).status == UploadStatus.READY
            assert import_jobs.sweep_stalled(session, datetime.now(UTC), timedelta(0)) == 0
            session.commit()
        assert stunting_in_force(engine, period) == [(base, 1)] * 40
        assert pointers(engine, period) == [base]
        with Session(engine) as session:
            commit_upload(session, upload_id, None, sha256, datetime.now(UTC))
            session.commit()
        assert stunting_in_force(engine, period) == [(upload_id, 7)] * 40
        assert figures_of(engine, base) == 40
    finally:
        engine.dispose()


def test_im03_a_dry_run_killed_while_staging_is_swept_as_stalled(city, city_url, tmp_path):
    """IM-03: SIGKILL while the dry run writes its staged figures. Nothing staged
    survives, the figures in force stay, the sweeper marks the job failed (stalled), and a
    new upload of the same file goes through."""
    if city.dialect.name != "sqlite":
        pytest.skip("the crash test kills a process holding a SQLite file (IM-03)")
    period = "2027-06"
    base = committed(city, period, 1)
    data = stunting_file(city, 8)
    with Session(city) as session:
        upload = imports.start_upload(
            session, None, STUNTING, period, "stunting.xlsx", data, datetime.now(UTC), TTL
        )
        session.commit()
        upload_id = upload.id
        figures_before = snapshot(session)["figures"]
    city.dispose()

    marker = tmp_path / "inside"
    exit_code = kill_when_inside(_dry_run_then_hang, (city_url, upload_id, str(marker)), marker)
    assert exit_code == -signal.SIGKILL

    sqlite_checks(city_url)
    engine = make_engine(city_url)
    try:
        with Session(engine) as session:
            after = snapshot(session)
            assert after["figures"] == figures_before
            assert [row for row in after["staged"] if row[0] == upload_id] == []
            row = session.get(Upload, upload_id)
            assert row.status == UploadStatus.PARSING  # its last heartbeat
            assert import_jobs.sweep_stalled(session, datetime.now(UTC), timedelta(0)) == 1
            session.commit()
            row = session.get(Upload, upload_id)
            assert (row.status, row.error) == (UploadStatus.FAILED, "import.stalled")
        assert stunting_in_force(engine, period) == [(base, 1)] * 40
        again = committed(engine, period, 8)
        assert stunting_in_force(engine, period) == [(again, 8)] * 40
    finally:
        engine.dispose()
