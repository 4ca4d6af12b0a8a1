"""Security battery, hostile files: UP-06 (a parser time budget) and XML-02 (XXE and
SSRF through a workbook).

XML-02 goes through the upload pages of the test app (the dry run in-process) with a
loopback listener that counts connections. UP-06 runs the real child process
(``python -m transparency.worker``) on a file database, while a threaded live server
answers ``/healthz``.
"""

import io
import logging
import re
import socket
import threading
import time
import urllib.request
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session, select

from tests.browser import LiveServer, seeded_app
from tests.conftest import SEED, login, register_subset
from tests.hostile_files import (
    many_styles,
    merged_ranges,
    nested_rich_text,
    patch_zip,
    rich_text_runs,
)
from tests.test_import_service import TTL, database_text
from transparency.db import get_engine
from transparency.importing import Mapping
from transparency.indicator_sets import load_indicator_sets
from transparency.models import (
    ActiveUpload,
    Area,
    AreaLevel,
    Figure,
    Period,
    Upload,
    UploadFile,
)
from transparency.queries import figure_in_force
from transparency.services import imports, mappings
from transparency.spreadsheets import column_letter
from transparency.views import uploads as upload_views

pytestmark = pytest.mark.demo_once

WONOREJO = "35.78.03.1005"  # Wonorejo (Rungkut): 40 RTs in the register
STUNTING = load_indicator_sets(SEED / "indicator_sets.json")["dinkes_stunting"]
SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


# --- a loopback listener ------------------------------------------------------------------


class Listener:
    """A TCP listener on 127.0.0.1 that counts every connection it accepts."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self.accepted = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                connection, _address = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def close(self):
        self.running = False
        self.thread.join(2)
        self.socket.close()


@pytest.fixture
def listener():
    server = Listener()
    probe = socket.create_connection(("127.0.0.1", server.port), timeout=2)  # it does count
    probe.close()
    deadline = time.monotonic() + 2
    while server.accepted < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.accepted == 1
    server.accepted = 0
    yield server
    server.close()


# --- workbooks ----------------------------------------------------------------------------


def rt_codes(session) -> list[str]:
    codes = session.exec(
        select(Area.code).where(Area.level == AreaLevel.RT, Area.code.like(f"{WONOREJO}.%"))
    ).all()
    assert len(codes) == 40
    return sorted(codes)


def stunting_book(session, value: int = 3, link: str | None = None) -> bytes:
    """An ordinary Dinkes stunting workbook for Wonorejo (Rungkut); optionally a
    hyperlink on the title cell (openpyxl writes it as an external relationship)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["KODE KELURAHAN", "RW", "RT", "BALITA STUNTING"])
    for code in rt_codes(session):
        _kelurahan, rw, rt = code.rsplit(".", 2)
        sheet.append([WONOREJO, rw, rt, value])
    if link:
        sheet["A1"].hyperlink = link
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_entity(data: bytes, system_id: str) -> bytes:
    """The sheet with a DOCTYPE declaring an external entity, referenced in cell E1."""
    xml = patch_part(data, SHEET).decode("utf-8")
    declaration, rest = xml.split("?>", 1) if xml.startswith("<?xml") else ("", xml)
    declaration = declaration + "?>" if declaration else ""
    doctype = f'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "{system_id}">]>'
    rest = rest.replace("</row>", '<c r="E1" t="inlineStr"><is><t>&x;</t></is></c></row>', 1)
    assert "&x;" in rest
    return patch_zip(data, {SHEET: (declaration + doctype + rest).encode("utf-8")})


def with_external_link(data: bytes, port: int) -> bytes:
    """A workbook with an external link part pointing at the listener."""
    link = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<externalLink xmlns="{MAIN}" xmlns:r="{RELS}"><externalBook r:id="rId1">'
        f'<sheetNames><sheetName val="Data"/></sheetNames></externalBook></externalLink>'
    )
    rels = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
        f'Type="{RELS}/externalLinkPath" Target="http://127.0.0.1:{port}/book.xlsx" '
        f'TargetMode="External"/></Relationships>'
    )
    return patch_zip(
        data,
        {
            "xl/externalLinks/externalLink1.xml": link.encode(),
            "xl/externalLinks/_rels/externalLink1.xml.rels": rels.encode(),
        },
    )


def patch_part(data: bytes, name: str) -> bytes:
    """One part's bytes."""
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


# --- through the upload pages -------------------------------------------------------------


def send(client, data: bytes, filename: str = "stunting.xlsx"):
    """Send a file for Dinkes stunting, 2026-11, confirming the mapping if asked."""
    sent = client.post(
        "/unggah/",
        content_type="multipart/form-data",
        data={
            "indicator_set": "dinkes_stunting",
            "period": "2026-11",
            "mapping": "",
            "file": (io.BytesIO(data), filename),
        },
    )
    sent.request.environ["wsgi.input"].close()
    assert sent.status_code == 302, sent.status_code
    pages = [sent]
    url = sent.headers["Location"]
    if url.endswith("/pemetaan"):
        shown = client.get(url)
        pages.append(shown)
        if shown.status_code == 200:
            confirmed = client.post(
                url,
                data={
                    "col_kelurahan_code": "0",
                    "col_rw": "1",
                    "col_rt": "2",
                    "col_balita_stunting": "3",
                },
            )
            pages.append(confirmed)
            url = confirmed.headers["Location"]
        else:
            url = shown.headers["Location"]
    upload_id = int(url.rstrip("/").rsplit("/", 1)[1])
    report = client.get(f"/unggah/{upload_id}?lang=en")
    pages.append(report)
    return upload_id, report.get_data(as_text=True), pages


@pytest.fixture
def secret_file(tmp_path) -> tuple[Path, str]:
    """A local file whose content must never leave it (besides /etc/hostname, whose
    content on a test machine may be too short to search for)."""
    canary = "xxe-canary-7f3a9c1e5b"
    path = tmp_path / "secret.txt"
    path.write_text(canary, encoding="utf-8")
    return path, canary


def secrets_to_find(secret) -> list[str]:
    found = [secret[1]]
    hostname = Path("/etc/hostname").read_text(encoding="utf-8").strip()
    if len(hostname) >= 6:  # a name like "vm" would match unrelated text
        found.append(hostname)
    return found


@pytest.mark.parametrize(
    ("case", "refusal"),
    [
        ("file:///etc/hostname", "The workbook contains unsupported XML (a DTD) in"),
        ("secret-file", "The workbook contains unsupported XML (a DTD) in"),
        ("http-listener", "The workbook contains unsupported XML (a DTD) in"),
        (
            "external-link",
            "The workbook contains macros, links or embedded objects "
            "(xl/externalLinks/externalLink1.xml)",
        ),
    ],
)
def test_xml02_entities_and_external_links_are_refused_without_any_connection(
    app, session, listener, secret_file, caplog, case, refusal
):
    """XML-02: external entities (a local file, the listener over HTTP) and an external
    link part are refused with a clear message; the listener accepts nothing and the
    local files' content appears in no page, no table and no log."""
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    assert login(client, "walidata").status_code == 302
    plain = stunting_book(session)
    data = {
        "file:///etc/hostname": lambda: with_entity(plain, "file:///etc/hostname"),
        "secret-file": lambda: with_entity(plain, secret_file[0].as_uri()),
        "http-listener": lambda: with_entity(plain, f"http://127.0.0.1:{listener.port}/"),
        "external-link": lambda: with_external_link(plain, listener.port),
    }[case]()

    upload_id, report, pages = send(client, data)

    upload = session.get(Upload, upload_id)
    assert upload.status == "failed"
    part = "(xl/externalLinks/" if case == "external-link" else SHEET
    assert [p["code"] for p in upload.problems] == [
        "file.active_content" if case == "external-link" else "file.xml_dtd"
    ]
    assert refusal in report and part in report
    assert session.exec(select(Figure).where(Figure.upload_id == upload_id)).first() is None
    assert listener.accepted == 0
    dump = database_text(session)
    bodies = "\n".join(page.get_data(as_text=True) for page in pages)
    for secret in secrets_to_find(secret_file):
        assert secret not in bodies
        assert secret not in dump
        assert secret not in caplog.text


def test_xml02_an_external_hyperlink_is_accepted_and_never_followed(app, session, listener, caplog):
    """XML-02: a hyperlink to the listener (an external relationship in the sheet's rels)
    in an otherwise ordinary workbook passes the container checks (links to web pages are
    not active content) and is read without any connection."""
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    assert login(client, "walidata").status_code == 302
    url = f"http://127.0.0.1:{listener.port}/"
    data = stunting_book(session, value=4, link=url)
    rels = patch_part(data, "xl/worksheets/_rels/sheet1.xml.rels").decode()
    assert f'Target="{url}"' in rels and 'TargetMode="External"' in rels

    upload_id, report, _pages = send(client, data)

    upload = session.get(Upload, upload_id)
    assert upload.status == "ready", upload.problems
    assert (upload.rows_read, upload.rows_rejected, upload.summary["new"]) == (40, 0, 40)
    assert re.search(r'id="rows-read">40<', report)
    assert listener.accepted == 0
    assert str(listener.port) not in database_text(session)


# --- UP-06: a parser time budget ----------------------------------------------------------


def styled_cells(rows: int) -> bytes:
    """A workbook whose sheet has a header and then ``rows`` rows of one empty styled
    cell each: about 5 MB compressed, nothing to read, seconds of parsing."""
    book = openpyxl.Workbook()
    book.active.title = "Data"
    buffer = io.BytesIO()
    book.save(buffer)
    header = "".join(
        f'<c r="{column_letter(i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for i, name in enumerate(["KODE KELURAHAN", "RW", "RT", "BALITA STUNTING"])
    )

    def chunks():
        yield (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{header}</row>'
        ).encode()
        for start in range(2, rows + 2, 10_000):
            yield "".join(
                f'<row r="{r}"><c r="A{r}" s="1"/></row>'
                for r in range(start, min(start + 10_000, rows + 2))
            ).encode()
        yield b"</sheetData></worksheet>"

    return patch_zip(buffer.getvalue(), {SHEET: chunks()})


@pytest.fixture(scope="module")
def file_city(tmp_path_factory):
    """A file database holding the demo city on Wonorejo (Rungkut), as a server has."""
    folder = tmp_path_factory.mktemp("up06")
    app = seeded_app(folder / "c.sqlite3", SEED, register_subset(folder / "r.csv", (WONOREJO,)))
    app.config.update(WTF_CSRF_ENABLED=False, IMPORT_IN_PROCESS=False)
    return app


@pytest.fixture(scope="module")
def city_in_force(file_city):
    """The file city with Wonorejo's stunting figures for 2026-11 in force (2 for each RT)
    and the saved mapping "Stunting", so that a file sent with it goes straight to the dry
    run; the app and the id of the upload in force."""
    app = file_city
    with app.app_context(), Session(get_engine()) as session:
        base_data = stunting_book(session, value=2)
        report = imports.preview_import(session, base_data, "s.xlsx", STUNTING, "2026-11")
        base = imports.stage_import(session, report, None, datetime.now(UTC), TTL)
        imports.commit_upload(session, base.id, None, base.sha256, datetime.now(UTC))
        mappings.save_mapping(
            session,
            "dinkes",
            "Stunting",
            "dinkes_stunting",
            Mapping(
                sheet="Data",
                header_row=1,
                columns={"kelurahan_code": 0, "rw": 1, "rt": 2, "balita_stunting": 3},
            ),
            None,
        )
        session.commit()
        return app, base.id


def book_with_value(app, value: int) -> bytes:
    """An ordinary stunting workbook for Wonorejo with ``value`` for each RT."""
    with app.app_context(), Session(get_engine()) as session:
        return stunting_book(session, value=value)


# Each case: the file (built from an ordinary workbook holding 5 for each RT), the time
# limit in seconds, and the outcome: "import.too_slow", or None for a file read correctly.
# The limits keep a wide margin both ways on a loaded two-core machine: 0.2 s for files
# whose reading alone takes a second or more, 3 s for files read in a few hundredths.
UP06_CASES = {
    # 10^6 empty styled cells: seconds of parsing for nothing to read.
    "styled-cells": (lambda book: styled_cells(1_000_000), 0.2, "import.too_slow"),
    # 65,000 cell formats in styles.xml.
    "64k-styles": (lambda book: many_styles(book, 65_000), 3, None),
    # The header cell KODE KELURAHAN as a shared string of 2,000,000 rich-text runs
    # (80 MB of XML, 4 MB deflated): about a second in the reader, linear in the runs.
    "rich-text-runs": (
        lambda book: rich_text_runs(book, "KODE KELURAHAN", 2_000_000),
        0.2,
        "import.too_slow",
    ),
    # The same header text 100,000 elements deep: the reader does not recurse.
    "nested-rich-text": (lambda book: nested_rich_text(book, "KODE KELURAHAN", 100_000), 3, None),
    # 100,000 merged ranges.
    "merged-ranges": (lambda book: merged_ranges(book, 100_000), 3, None),
}


@pytest.mark.parametrize("case", list(UP06_CASES))
def test_up06_a_pathological_file_ends_clearly_while_the_server_keeps_serving(
    city_in_force, monkeypatch, case
):
    """UP-06: a small file that is costly to parse. The dry run runs in the child process
    under its time limit and a 512 MB memory limit, and either reads the file correctly
    (the 40 RTs, 5 each, staged beside the figures in force) or ends as "took longer than
    allowed" with nothing kept; the figures in force stay either way, and while the child
    runs ``/healthz`` on a threaded live server answers 200."""
    app, base_id = city_in_force
    make, seconds, outcome = UP06_CASES[case]
    monkeypatch.setenv("TRANSPARENCY_IMPORT_SECONDS", str(seconds))
    monkeypatch.setenv("TRANSPARENCY_IMPORT_MEMORY_MB", "512")
    data = make(book_with_value(app, 5))
    assert len(data) < 8 * 1024 * 1024

    client = app.test_client()
    login(client, "walidata")
    answers = []
    with LiveServer(app) as server:
        sent = client.post(
            "/unggah/",
            content_type="multipart/form-data",
            data={
                "indicator_set": "dinkes_stunting",
                "period": "2026-11",
                "mapping": "Stunting",
                "file": (io.BytesIO(data), f"{case}.xlsx"),
            },
        )
        sent.request.environ["wsgi.input"].close()
        upload_id = int(sent.headers["Location"].rsplit("/", 1)[1])
        child = upload_views._CHILDREN[-1]
        assert child.args[-1] == str(upload_id)
        while child.poll() is None:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as response:  # noqa: S310
                answers.append((response.status, child.poll() is None))
            time.sleep(0.05)
    assert (200, True) in answers  # answered while the child was still running
    assert {status for status, _running in answers} == {200}

    with app.app_context(), Session(get_engine()) as session:
        upload = session.get(Upload, upload_id)
        kept = select(UploadFile.upload_id).where(UploadFile.upload_id == upload_id)
        if outcome is None:
            assert child.returncode == 0
            assert (upload.status, upload.error, upload.problems) == ("ready", "", [])
            assert (upload.rows_read, upload.rows_rejected) == (40, 0)
            assert (upload.summary["new"], upload.summary["changed"]) == (0, 40)
            assert session.exec(kept).all() == [upload_id]  # kept for the commit
        else:
            assert child.returncode == 1
            assert (upload.status, upload.error) == ("failed", outcome)
            # The failure deleted the file: not a byte of it is kept.
            assert session.exec(kept).all() == []
        in_force = session.exec(
            select(Figure.upload_id, Figure.value)
            .join(Period, Period.id == Figure.period_id)
            .join(ActiveUpload, figure_in_force())
            .where(Period.code == "2026-11")
        ).all()
        assert in_force == [(base_id, 2)] * 40
    page = client.get(f"/unggah/{upload_id}?lang=en").get_data(as_text=True)
    if outcome is None:
        assert re.search(r'id="rows-read">40<', page)
        assert "Checking the file took longer than allowed" not in page
    else:
        assert "Checking the file took longer than allowed. Nothing was written" in page
