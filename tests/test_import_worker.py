"""The dry run in its own child process: progress and outcome in the database, a time
limit that ends in a clear "failed", and a killed job that never touches the figures."""

import io
import os
import re
import signal
import time
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session, select

from tests.browser import seeded_app
from tests.conftest import SEED, register_subset
from tests.hostile_files import SHEET, part, patch_zip
from transparency import worker
from transparency.db import get_engine
from transparency.models import Area, AreaLevel, Upload, UploadFile

KELURAHAN = "35.78.03.1005"  # Wonorejo (Rungkut): 40 RTs in the register


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A file database holding the demo city (three kelurahan), as a real server has."""
    folder = tmp_path_factory.mktemp("worker")
    app = seeded_app(folder / "w.sqlite3", SEED, register_subset(folder / "r.csv"))
    app.config.update(WTF_CSRF_ENABLED=False, IMPORT_IN_PROCESS=False)
    return app


def rt_file(app, rows_per_rt: int = 1) -> bytes:
    """A Dinkes stunting file for every RT of Wonorejo (Rungkut), repeated if asked."""
    with app.app_context(), Session(get_engine()) as session:
        codes = session.exec(
            select(Area.code).where(Area.level == AreaLevel.RT, Area.code.like(f"{KELURAHAN}.%"))
        ).all()
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    sheet.append(["KODE KELURAHAN", "RW", "RT", "BALITA STUNTING"])
    for _ in range(rows_per_rt):
        for code in sorted(codes):
            _k, rw, rt = code.rsplit(".", 2)
            sheet.append([KELURAHAN, rw, rt, 3])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def send_file(app, data: bytes):
    """Sign in as the walidata and send the file: the job reading it starts."""
    client = app.test_client()
    client.post("/masuk", data={"username": "walidata", "password": "walidata-demo-2026"})
    sent = client.post(
        "/unggah/",
        content_type="multipart/form-data",
        data={
            "indicator_set": "dinkes_stunting",
            "period": "2026-11",
            "mapping": "",
            "file": (io.BytesIO(data), "stunting.xlsx"),
        },
    )
    sent.request.environ["wsgi.input"].close()
    mapping_url = sent.headers["Location"]
    return client, int(mapping_url.rstrip("/").split("/")[-2]), mapping_url


def upload(app, data: bytes):
    """Send the file and confirm the suggested mapping: the dry run starts."""
    client, upload_id, mapping_url = send_file(app, data)
    # The child reads the file and suggests the mapping; the operator confirms it.
    read = wait_for(app, upload_id, lambda u: "suggestion" in u.summary or u.status == "failed")
    if read.status == "failed":
        return client, upload_id
    confirmed = client.post(
        mapping_url,
        data={"col_kelurahan_code": "0", "col_rw": "1", "col_rt": "2", "col_balita_stunting": "3"},
    )
    assert confirmed.headers["Location"].endswith(f"/unggah/{upload_id}")
    return client, upload_id


def wait_for(app, upload_id: int, until, seconds: float = 60) -> Upload:
    """Poll the upload row until ``until(upload)`` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context(), Session(get_engine()) as session:
            row = session.get(Upload, upload_id)
            if until(row):
                return row
        time.sleep(0.2)
    raise AssertionError(f"upload {upload_id} never reached the state; last {row.status}")


def kept_files(app, upload_id: int) -> list[int]:
    """The sizes of the raw bytes an upload still has in ``upload_file`` (none or one)."""
    with app.app_context(), Session(get_engine()) as session:
        kept = session.exec(select(UploadFile).where(UploadFile.upload_id == upload_id)).all()
        return [len(row.content) for row in kept]


def test_a_child_process_runs_the_dry_run(city):
    client, upload_id = upload(city, rt_file(city))
    page = client.get(f"/unggah/{upload_id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page or "rows-read" in page  # progress page while running
    done = wait_for(city, upload_id, lambda u: u.status not in ("queued", "parsing"))
    assert done.status == "ready"
    assert (done.rows_read, done.rows_rejected, done.summary["new"]) == (40, 0, 40)
    report = client.get(f"/unggah/{upload_id}").get_data(as_text=True)
    assert re.search(r'id="rows-read">40<', report)
    assert 'http-equiv="refresh"' not in report


def test_the_child_reads_the_file_and_the_web_process_shows_its_suggestion(city):
    client, upload_id, _url = send_file(city, rt_file(city))
    read = wait_for(city, upload_id, lambda u: "suggestion" in u.summary)
    assert read.status == "queued"
    suggestion = read.summary["suggestion"]
    assert read.summary["sheet_rows"] == {"Data": 41}  # the header and 40 RTs: the bar's extent
    assert suggestion["header"] == ["KODE KELURAHAN", "RW", "RT", "BALITA STUNTING"]
    assert suggestion["mapping"]["columns"] == {
        "kelurahan_code": 0,
        "rw": 1,
        "rt": 2,
        "balita_stunting": 3,
    }
    page = client.get(f"/unggah/{upload_id}/pemetaan").get_data(as_text=True)
    assert "BALITA STUNTING" in page
    # Until it is confirmed nothing is checked: the report page sends the operator back.
    assert (
        client.get(f"/unggah/{upload_id}")
        .headers["Location"]
        .endswith(f"/unggah/{upload_id}/pemetaan")
    )


def test_a_job_past_its_time_limit_fails_clearly(city, monkeypatch):
    # 0.1 s: a fast machine checks these rows in about a second.
    monkeypatch.setenv("TRANSPARENCY_IMPORT_SECONDS", "0.1")
    client, upload_id = upload(city, rt_file(city, rows_per_rt=4000))  # 160,000 rows
    done = wait_for(city, upload_id, lambda u: u.status not in ("queued", "parsing"), 120)
    assert (done.status, done.error) == ("failed", "import.too_slow")
    assert kept_files(city, upload_id) == []  # the file is deleted with the failure
    page = client.get(f"/unggah/{upload_id}").get_data(as_text=True)
    assert "Nothing was written" in page or "Tidak ada yang disimpan" in page


def test_native_code_that_never_returns_to_python_is_ended_by_the_cpu_limit():
    """The wall-clock alarm waits for the next Python instruction; a reader busy in native
    code never gives it one. ``sum(range(…))`` loops in C the same way: the kernel's CPU
    limit ends it all the same, and the worker records that as too slow."""
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            worker._limit(512, 0.2, grace=0)
            sum(range(10**13))  # hours in C, no signal handler can run
        finally:
            os._exit(3)
    deadline = time.monotonic() + 30
    while (status := os.waitpid(child, os.WNOHANG)[1]) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if status == 0:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        pytest.fail("the child still ran after 30 s: no CPU limit ended it")
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU
    assert worker.death_code(status) == "import.too_slow"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (signal.SIGABRT, "import.too_big"),  # the memory limit refused the Rust reader
        (signal.SIGSEGV, "import.too_big"),
        (signal.SIGXCPU, "import.too_slow"),
        (signal.SIGKILL, "import.crashed"),  # killed from outside: no limit of ours
        (3 << 8, "import.crashed"),  # exited with a code no job returns
    ],
)
def test_a_dead_jobs_status_names_why_it_died(status, code):
    assert worker.death_code(status) == code


def test_a_killed_job_is_marked_failed_and_the_figures_stay(city):
    city.config["IMPORT_STALL_SECONDS"] = 1
    client, upload_id = upload(city, rt_file(city, rows_per_rt=4000))
    running = wait_for(city, upload_id, lambda u: u.status == "parsing", 60)
    assert running.status == "parsing"
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    for pid in pids:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"transparency.worker" in cmdline and str(upload_id).encode() in cmdline:
            os.kill(pid, signal.SIGKILL)
    time.sleep(1.5)
    client.get(f"/unggah/{upload_id}")  # viewing the report sweeps stalled jobs
    with city.app_context(), Session(get_engine()) as session:
        row = session.get(Upload, upload_id)
        assert (row.status, row.error) == ("failed", "import.stalled")
    city.config["IMPORT_STALL_SECONDS"] = 180
    assert kept_files(city, upload_id) == []


def test_a_reader_that_dies_at_the_memory_limit_fails_clearly_at_once(city, monkeypatch):
    # One stray cell at XFD1 above 20,000 rows makes the reader want 20,000 × 16,384
    # cells. The container scan would name the cell (SZ-01, below), but this sheet's used
    # range lies (A1:D20002), as only a crafted file's does: the memory limit refuses, the
    # Rust reader aborts the job's process, and the supervising worker records "too big"
    # without waiting for the sweep.
    monkeypatch.setenv("TRANSPARENCY_IMPORT_MEMORY_MB", "400")
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    sheet.append([None] * 16383 + ["x"])
    sheet.append(["KODE KELURAHAN", "RW", "RT", "BALITA STUNTING"])
    for n in range(20_000):
        sheet.append([KELURAHAN, "001", f"{n % 40 + 1:03d}", 3])
    buffer = io.BytesIO()
    workbook.save(buffer)
    xml = part(buffer.getvalue(), SHEET)
    assert b"<dimension" not in xml  # write-only mode writes no used range
    lying = xml.replace(b"<sheetViews>", b'<dimension ref="A1:D20002"/><sheetViews>', 1)
    client, upload_id = upload(city, patch_zip(buffer.getvalue(), {SHEET: lying}))
    done = wait_for(city, upload_id, lambda u: u.status == "failed", 60)
    assert done.error == "import.too_big"
    assert kept_files(city, upload_id) == []
    page = client.get(f"/unggah/{upload_id}").get_data(as_text=True)
    assert "Nothing was written" in page or "Tidak ada yang disimpan" in page


def stray_book(app, stray: str, rows_per_rt: int) -> bytes:
    """A stunting file for Wonorejo (its 40 RTs, ``rows_per_rt`` rows each, as Excel keeps
    it: with its used range) and one value "x" in cell ``stray``."""
    with app.app_context(), Session(get_engine()) as session:
        codes = session.exec(
            select(Area.code).where(Area.level == AreaLevel.RT, Area.code.like(f"{KELURAHAN}.%"))
        ).all()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet.append(["KODE KELURAHAN", "RW", "RT", "BALITA STUNTING"])
    for _ in range(rows_per_rt):
        for code in sorted(codes):
            _k, rw, rt = code.rsplit(".", 2)
            sheet.append([KELURAHAN, rw, rt, 3])
    sheet[stray] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_sz01_a_stray_value_at_xfd1_above_5000_rows_is_refused_naming_the_cell(city, monkeypatch):
    """SZ-01 (b), in the child process under 512 MB and 20 s: refused before the reader
    would pad 5,001 rows to 16,384 cells, with the cell named; never "too big"."""
    monkeypatch.setenv("TRANSPARENCY_IMPORT_MEMORY_MB", "512")
    monkeypatch.setenv("TRANSPARENCY_IMPORT_SECONDS", "20")
    data = stray_book(city, "XFD1", 125)  # 5,000 rows
    assert b'<dimension ref="A1:XFD5001"' in part(data, SHEET)

    client, upload_id = upload(city, data)

    done = wait_for(city, upload_id, lambda u: u.status == "failed", 60)
    assert (done.error, done.problems) == (
        "",
        [
            {
                "code": "file.outside_area",
                "row": None,
                "column": None,
                "value": None,
                "sheet": "Data",
                "params": {"sheet": "Data", "cell": "XFD1", "limit": 200},
                "severity": "error",
            }
        ],
    )
    assert kept_files(city, upload_id) == []
    page = client.get(f"/unggah/{upload_id}?lang=en").get_data(as_text=True)
    assert (
        "Sheet Data has data outside the expected area (cell XFD1); the limit is 200 "
        "columns. Delete stray cells outside the table and send the file again."
    ) in page


def test_sz01_a_stray_value_at_a1048576_is_read_with_the_real_rows(city, monkeypatch):
    """SZ-01 (c), in the child process under 512 MB and 20 s: the sheet is within the
    limits, so the 40 real rows are read and checked and the stray value is one rejected
    row, named by its row number; never "too big"."""
    monkeypatch.setenv("TRANSPARENCY_IMPORT_MEMORY_MB", "512")
    monkeypatch.setenv("TRANSPARENCY_IMPORT_SECONDS", "20")
    data = stray_book(city, "A1048576", 1)

    client, upload_id = upload(city, data)

    done = wait_for(city, upload_id, lambda u: u.status not in ("queued", "parsing"), 60)
    assert (done.status, done.error) == ("ready", "")
    assert (done.rows_read, done.rows_rejected, done.summary["new"]) == (41, 1, 40)
    assert [(p["code"], p["column"], p["value"], p["severity"]) for p in done.problems] == [
        ("import.unknown_kelurahan", "A", "x", "error"),
        ("import.bad_number", "B", "", "error"),
        ("import.bad_number", "C", "", "error"),
        ("import.blank_as_zero", "D", "", "warning"),
    ]
    assert {p["row"] for p in done.problems} == {1_048_576}
    page = client.get(f"/unggah/{upload_id}?lang=en").get_data(as_text=True)
    assert re.search(r'id="rows-read">41<', page)
