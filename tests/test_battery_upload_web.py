"""Security battery through the upload pages: the hostile files of UP-02 (zip bombs),
UP-03 (disguised and unsupported formats), UP-04 (active or foreign content) and XML-01
(entity expansion), sent by the Dinsos operator to ``/unggah`` and followed to the report.

The files are those ``tests/test_containers.py`` refuses directly (``tests/hostile_files``);
here each one goes the whole way: received, read by the job (in-process in the test app,
as ``IMPORT_IN_PROCESS`` runs it; ``tests/test_import_worker.py`` covers the child
process), refused with its own sentence, nothing written, nothing of the file kept.

Also on the pages: IM-01 (one bad row in 10,000 is named and nothing is committed;
problems beyond those listed are counted) and IM-07 (a commit is bound to the dry run's
file, operator and deadline, and takes effect once).
"""

import ast
import hashlib
import io
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_babel
import openpyxl
import pytest
from markupsafe import escape
from sqlalchemy import func
from sqlmodel import select

from tests.conftest import SEED, login
from tests.hostile_files import (
    CSV_TEXT,
    EXE,
    HTML_TABLE,
    MIB,
    PDF,
    SHEET,
    damaged_xls,
    declared_encoding,
    dtd_in_part,
    encrypted_ooxml,
    encrypted_xls,
    forged_size_bomb,
    legacy_xls_header,
    macro_content_type,
    many_entries,
    ods,
    quoted_overlap,
    ratio_bomb,
    symlink_entry,
    total_size_bomb,
    truncated,
    with_part,
    xlsb,
    xlsx_bytes,
)
from tests.test_battery_imports import snapshot
from tests.test_upload_web import confirm_suggestions
from transparency import cli_import, containers, messages
from transparency.areas import child_path
from transparency.containers import Limits
from transparency.indicator_sets import load_indicator_sets
from transparency.models import (
    ActiveUpload,
    Area,
    AreaLevel,
    AuditEvent,
    Department,
    Figure,
    Role,
    StagedFigure,
    Upload,
    UploadFile,
    User,
)
from transparency.passwords import hash_password
from transparency.problems import Problem
from transparency.services import import_jobs, imports
from transparency.spreadsheets import read_sheets
from transparency.views import uploads as upload_views

pytestmark = pytest.mark.demo_once

EXPANDS = (
    "Isi berkas Excel ini jauh lebih besar daripada berkas biasa setelah dibuka; "
    "berkas tidak diproses."
)
DAMAGED = "Berkas rusak. Simpan ulang di Excel lalu coba lagi."
NOT_SPREADSHEET = "Berkas ini bukan lembar kerja. Unggah berkas Excel (.xlsx, .xls) atau CSV."
BAD_NAME = "Berkas Excel berisi bagian dengan nama yang tidak diizinkan."
OLD_XLS = (
    "Berkas Excel lama (.xls) tidak dapat dibaca; mungkin rusak. Buka di Excel, simpan "
    "sebagai .xlsx (Excel Workbook), lalu kirim berkas itu."
)
PASSWORD = "Berkas Excel ini dilindungi kata sandi. Hapus kata sandinya di Excel, lalu coba lagi."


def stray_at_xfd1(book: openpyxl.Workbook) -> None:
    """One value in the last column of the sheet "Data", right of the table."""
    book.active.title = "Data"
    book.active["XFD1"] = "x"


def active(part: str) -> str:
    return (
        f"Berkas Excel berisi makro, tautan, atau objek sisipan ({part}). Simpan salinannya "
        "tanpa isi tersebut sebagai .xlsx biasa."
    )


def dtd(part: str) -> str:
    return f"Berkas Excel berisi XML yang tidak didukung (DTD) di {part}."


@dataclass(frozen=True)
class Case:
    """One hostile file: how to make it, its name, the refusal's code and sentence."""

    make: Callable[[], bytes]
    filename: str
    code: str
    message: str  # in Indonesian, the default language
    small_total: bool = False  # the total-size limit lowered to 2 MiB for this file


CASES = {
    # UP-02: zip bombs
    "ratio-bomb": Case(lambda: ratio_bomb(3), "bom.xlsx", "file.expands_too_much", EXPANDS),
    "total-size-bomb": Case(
        lambda: total_size_bomb(10, 512), "bom.xlsx", "file.expands_too_much", EXPANDS, True
    ),
    "10000-entries": Case(
        lambda: many_entries(10_000),
        "bom.xlsx",
        "file.too_many_parts",
        "Berkas Excel ini berisi terlalu banyak bagian untuk ukuran berkas biasa.",
    ),
    "quoted-overlap": Case(quoted_overlap, "bom.xlsx", "file.damaged", DAMAGED),
    "forged-size": Case(lambda: forged_size_bomb(4), "bom.xlsx", "file.expands_too_much", EXPANDS),
    # UP-03: disguised and unsupported formats
    # .xls is read (calamine); one that cannot be is named old, with the way out.
    "legacy-xls-header-only": Case(legacy_xls_header, "lama.xls", "file.xls_unreadable", OLD_XLS),
    "damaged-xls": Case(damaged_xls, "lama.xls", "file.xls_unreadable", OLD_XLS),
    "password-protected": Case(encrypted_ooxml, "rahasia.xlsx", "file.encrypted", PASSWORD),
    "password-protected-xls": Case(encrypted_xls, "rahasia.xls", "file.encrypted", PASSWORD),
    "xlsb": Case(
        xlsb,
        "data.xlsb",
        "file.xlsb",
        "Berkas ini berformat Excel biner (.xlsb). Simpan sebagai .xlsx.",
    ),
    "ods": Case(
        ods, "data.ods", "file.ods", "Berkas ini berformat OpenDocument. Simpan sebagai .xlsx."
    ),
    "html-saved-as-xls": Case(
        lambda: HTML_TABLE,
        "laporan.xls",
        "file.html_table",
        "Berkas ini adalah halaman web yang disimpan sebagai Excel. Buka di Excel, lalu "
        "simpan sebagai .xlsx.",
    ),
    "csv-renamed-xlsx": Case(
        lambda: CSV_TEXT, "laporan.xlsx", "file.not_spreadsheet", NOT_SPREADSHEET
    ),
    "pdf-renamed-xlsx": Case(lambda: PDF, "laporan.xlsx", "file.not_spreadsheet", NOT_SPREADSHEET),
    "exe-renamed-xlsx": Case(lambda: EXE, "laporan.xlsx", "file.not_spreadsheet", NOT_SPREADSHEET),
    "truncated-zip": Case(truncated, "data.xlsx", "file.damaged", DAMAGED),
    "non-utf8-xml": Case(
        lambda: declared_encoding("ISO-8859-1"),
        "data.xlsx",
        "file.xml_encoding",
        f"XML di {SHEET} memakai pengodean yang tidak dipakai program lembar kerja "
        "(ISO-8859-1): berkas rusak atau tidak disimpan oleh program lembar kerja. "
        "Simpan ulang di Excel sebagai .xlsx lalu coba lagi.",
    ),
    # UP-04: active or foreign content
    "macro-enabled-type": Case(
        lambda: macro_content_type("application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
        "data.xlsx",
        "file.active_content",
        active("[Content_Types].xml"),
    ),
    "vba-project": Case(
        lambda: with_part("xl/vbaProject.bin"),
        "data.xlsx",
        "file.active_content",
        active("xl/vbaProject.bin"),
    ),
    "activex": Case(
        lambda: with_part("xl/activeX/activeX1.xml"),
        "data.xlsx",
        "file.active_content",
        active("xl/activeX/activeX1.xml"),
    ),
    "ole-embedding": Case(
        lambda: with_part("xl/embeddings/oleObject1.bin"),
        "data.xlsx",
        "file.active_content",
        active("xl/embeddings/oleObject1.bin"),
    ),
    "connections": Case(
        lambda: with_part("xl/connections.xml"),
        "data.xlsx",
        "file.active_content",
        active("xl/connections.xml"),
    ),
    "nested-zip": Case(
        lambda: with_part("xl/media/archive.zip"),
        "data.xlsx",
        "file.active_content",
        active("xl/media/archive.zip"),
    ),
    "absolute-name": Case(lambda: with_part("/etc/x"), "data.xlsx", "file.bad_part_name", BAD_NAME),
    "climbing-name": Case(
        lambda: with_part("../../x"), "data.xlsx", "file.bad_part_name", BAD_NAME
    ),
    "symlink": Case(symlink_entry, "data.xlsx", "file.bad_part_name", BAD_NAME),
    # XML-01: entity expansion in every kind of part, UTF-8 and UTF-16LE with a BOM
    "billion-laughs-sheet": Case(
        lambda: dtd_in_part(SHEET, "billion-laughs"), "data.xlsx", "file.xml_dtd", dtd(SHEET)
    ),
    "quadratic-shared-strings-utf16": Case(
        lambda: dtd_in_part("xl/sharedStrings.xml", "quadratic", "utf-16le-bom"),
        "data.xlsx",
        "file.xml_dtd",
        dtd("xl/sharedStrings.xml"),
    ),
    "billion-laughs-workbook-utf16": Case(
        lambda: dtd_in_part("xl/workbook.xml", "billion-laughs", "utf-16le-bom"),
        "data.xlsx",
        "file.xml_dtd",
        dtd("xl/workbook.xml"),
    ),
    "quadratic-rels": Case(
        lambda: dtd_in_part("_rels/.rels", "quadratic"),
        "data.xlsx",
        "file.xml_dtd",
        dtd("_rels/.rels"),
    ),
    "billion-laughs-content-types": Case(
        lambda: dtd_in_part("[Content_Types].xml", "billion-laughs"),
        "data.xlsx",
        "file.xml_dtd",
        dtd("[Content_Types].xml"),
    ),
    # SZ-01: one stray value at XFD1, named before the reader pads every row that wide (the
    # report puts the sheet first, as for every problem located in a sheet)
    "stray-cell-xfd1": Case(
        lambda: xlsx_bytes(stray_at_xfd1),
        "data.xlsx",
        "file.outside_area",
        'lembar "Data": Sheet Data berisi data di luar area yang diharapkan (sel XFD1); '
        "batasnya 200 kolom. "
        "Hapus sel yang tercecer di luar tabel lalu kirim lagi.",
    ),
    "utf7-declared": Case(
        lambda: declared_encoding("UTF-7"),
        "data.xlsx",
        "file.xml_encoding",
        f"XML di {SHEET} memakai pengodean yang tidak dipakai program lembar kerja "
        "(UTF-7): berkas rusak atau tidak disimpan oleh program lembar kerja. "
        "Simpan ulang di Excel sebagai .xlsx lalu coba lagi.",
    ),
}

ENGLISH = {  # the same refusals with the language switched to English
    "damaged-xls": (
        "The old Excel file (.xls) could not be read; it may be damaged. Open it in Excel, "
        "save it as .xlsx (Excel Workbook) and send that file."
    ),
    "password-protected-xls": (
        "The workbook is protected with a password. Remove the password in Excel and retry."
    ),
    "stray-cell-xfd1": (
        'sheet "Data": Sheet Data has data outside the expected area (cell XFD1); the limit '
        "is 200 columns. Delete stray cells outside the table and send the file again."
    ),
    "ratio-bomb": "The workbook expands to far more data than a normal file; it was not opened.",
    "non-utf8-xml": (
        f"The XML in {SHEET} is in an encoding spreadsheet programs do not use (ISO-8859-1): "
        "the file is damaged or was not saved by a spreadsheet program. Save it again in "
        "Excel as .xlsx and retry."
    ),
    "vba-project": (
        "The workbook contains macros, links or embedded objects (xl/vbaProject.bin). Save a "
        "copy without them as a plain .xlsx."
    ),
}


def kept(session, full: bool = False) -> dict:
    """What a refused file must leave as it was: the figures, the versions in force, the
    staged figures and the files kept, and the uploads (to which it adds one, failed).

    ``full`` compares every figure row (``snapshot()``, about a second on the demo's
    37,000 figures); otherwise the figures are compared by count, largest id and sums,
    which is enough as figures are only ever added, never updated in place.
    """
    if full:
        state = snapshot(session)
        return {k: state[k] for k in ("figures", "active", "staged", "files", "uploads")}
    figures = session.exec(
        select(
            func.count(),
            func.max(Figure.id),
            func.sum(Figure.value),
            func.sum(Figure.upload_id),
            func.sum(Figure.area_id),
        )
    ).one()
    return {
        "figures": tuple(figures),
        "active": sorted(
            session.exec(
                select(ActiveUpload.indicator_id, ActiveUpload.period_id, ActiveUpload.upload_id)
            ).all()
        ),
        "staged": session.exec(select(func.count()).select_from(StagedFigure)).one(),
        "files": sorted(session.exec(select(UploadFile.upload_id)).all()),
        "uploads": sorted(session.exec(select(Upload.id, Upload.status)).all()),
    }


_SIGNED_IN: dict[str, str] = {}  # the Dinsos operator's session cookie, once signed in


def dinsos(app):
    """A client signed in as the Dinsos operator. Signing in costs an Argon2 verification
    (a quarter of a second, more on a busy machine), so the session cookie of the module's
    first sign-in is reused: the account is the module's seeded one, never changed, and
    every test app signs cookies with the same key."""
    client = app.test_client()
    if _SIGNED_IN:
        client.set_cookie("session", _SIGNED_IN["session"])
    else:
        assert login(client, "dinsos").status_code == 302
        _SIGNED_IN["session"] = client.get_cookie("session").value
    return client


def send(client, data: bytes, filename: str, lang: str | None = None):
    """Post the file for Dinsos' Gamis/Pramis set, 2026-11, without a saved mapping."""
    query = f"?lang={lang}" if lang else ""
    sent = client.post(
        f"/unggah/{query}",
        content_type="multipart/form-data",
        data={
            "indicator_set": "dinsos_gamis_pramis",
            "period": "2026-11",
            "mapping": "",
            "file": (io.BytesIO(data), filename),
        },
    )
    sent.request.environ["wsgi.input"].close()  # the test client spools big bodies to disk
    return sent


@pytest.fixture
def small_total(monkeypatch):
    """The total decompressed limit lowered to 2 MiB where the job reads files, so that a
    total-size bomb stays a few MB."""
    small = Limits(max_uncompressed=2 * MIB)

    def reader(data, filename, limits=small):
        return read_sheets(data, filename, limits)

    monkeypatch.setattr(imports, "read_sheets", reader)
    monkeypatch.setattr(import_jobs, "read_sheets", reader)


@pytest.fixture
def no_temp_files(tmp_path, monkeypatch):
    """Temporary files go to a folder of the test's own, which must stay empty: nothing
    of an upload is extracted to disk (UP-04)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert sorted(p.name for p in folder.iterdir()) == []


def sent_and_followed(app, session, request, case: Case, lang: str | None, full: bool = False):
    """Send the case's file as the Dinsos operator and follow the pages to the report;
    check everything a refusal must leave as it was. Returns the report page."""
    if case.small_total:
        request.getfixturevalue("small_total")
    client = dinsos(app)
    data = case.make()
    assert len(data) < 2 * MIB  # small bombs: a few seconds for the whole battery
    before = kept(session, full)
    assert session.exec(select(func.count()).select_from(Figure)).one() > 0  # to be kept

    sent = send(client, data, case.filename, lang)
    assert sent.status_code == 302
    mapping_url = sent.headers["Location"]
    upload_id = int(re.fullmatch(r"/unggah/(\d+)/pemetaan", mapping_url).group(1))
    mapping = client.get(mapping_url)  # the job found nothing to map: on to the report
    assert (mapping.status_code, mapping.headers["Location"]) == (302, f"/unggah/{upload_id}")
    report = client.get(f"/unggah/{upload_id}")
    assert report.status_code == 200
    page = report.get_data(as_text=True)

    assert "Traceback" not in page
    assert kept(session, full) == {
        **before,
        "uploads": sorted([*before["uploads"], (upload_id, "failed")]),
    }
    assert [p["code"] for p in session.get(Upload, upload_id).problems] == [case.code]
    assert client.get(f"/unggah/{upload_id}/laporan.xlsx").status_code == 404  # no rows kept
    health = client.get("/healthz")
    assert (health.status_code, health.get_json()) == (200, {"status": "ok", "database": "up"})
    return page


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_file_through_the_upload_pages_is_refused_clearly_and_changes_nothing(
    app, session, request, no_temp_files, name
):
    case = CASES[name]
    page = sent_and_followed(app, session, request, case, lang=None)
    assert "Berkas tidak dapat diimpor; tidak ada yang disimpan." in page
    assert f"<strong>ditolak</strong>: {escaped(case.message)}</td>" in page


@pytest.mark.parametrize("name", list(ENGLISH))
def test_the_refusal_reads_in_english_when_the_language_is_switched(
    app, session, request, no_temp_files, name
):
    page = sent_and_followed(app, session, request, CASES[name], lang="en", full=True)
    assert "The file could not be imported; nothing was written." in page
    assert f"<strong>rejected</strong>: {escaped(ENGLISH[name])}</td>" in page


def escaped(text: str) -> str:
    """The text as Jinja writes it into the page."""
    return str(escape(text))


def test_an_empty_file_is_named_empty_and_nothing_is_kept(app, session, no_temp_files):
    client = dinsos(app)
    before = snapshot(session)
    answer = send(client, b"", "kosong.xlsx")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert '<p class="error" role="alert">Berkas kosong.</p>' in page
    assert "Traceback" not in page
    assert snapshot(session) == before  # not even an upload row
    assert client.get("/healthz").status_code == 200


# --- every container code reads as a sentence in both languages ----------------------------


def container_codes() -> dict[str, set[str]]:
    """Every code ``containers.py`` can raise, with the parameters its calls pass."""
    tree = ast.parse(Path(containers.__file__).read_text(encoding="utf-8"))
    codes: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_fail"
        ):
            code = node.args[0]
            assert isinstance(code, ast.Constant), ast.dump(node)
            codes.setdefault(code.value, set()).update(k.arg for k in node.keywords)
    return codes


def test_the_container_codes_found_are_the_documented_ones():
    documented = set(re.findall(r"^- ``(file\.\w+)``", containers.__doc__, re.M))
    assert set(container_codes()) == documented
    assert {"file.xml_dtd", "file.xml_encoding", "file.expands_too_much"} <= documented
    assert len(documented) == 15


@pytest.mark.parametrize("code", sorted(container_codes()))
def test_every_container_code_has_a_sentence_in_indonesian_and_english(app, code):
    params = {name: f"<{name}>" for name in container_codes()[code]}
    said = {}
    for lang in ("id", "en"):
        with app.app_context(), flask_babel.force_locale(lang):
            said[lang] = messages.describe(Problem(code, params=params))
    for text in said.values():
        assert text.strip() and text != code
        assert "%(" not in text
    assert said["id"] != said["en"]  # translated, not the English left in place


# --- IM-01: one bad row in 10,000, and more problems than the report lists --------------------

WONOREJO = "35.78.03.1005"  # Wonorejo (Rungkut): 40 RTs in the register
FAMILY_HEADER = ["NO KK", "KODE KELURAHAN", "RW", "RT", "JUMLAH ANGGOTA", "KATEGORI"]


def family_list(session, families: int, bad_rows: dict[int, str]) -> bytes:
    """A Dinsos family list of Wonorejo (Rungkut): one family per row from Excel row 2, in
    turn in each of its 40 RTs; the rows in ``bad_rows`` name that RT (of RW 001) instead,
    one the register does not have."""
    codes = sorted(
        session.exec(
            select(Area.code).where(Area.level == AreaLevel.RT, Area.code.like(f"{WONOREJO}.%"))
        ).all()
    )
    assert len(codes) == 40
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Data")
    sheet.append(FAMILY_HEADER)
    for index in range(families):
        _kelurahan, rw, rt = codes[index % 40].rsplit(".", 2)
        row = index + 2
        if row in bad_rows:
            rw, rt = "001", bad_rows[row]
        category = "GAMIS" if index % 3 else "PRAMIS"
        sheet.append([f"3578{index:012d}", WONOREJO, rw, rt, 1 + index % 5, category])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def dry_run(client, data: bytes) -> str:
    """Send a family list, confirm the suggested mapping; the report page's URL."""
    sent = send(client, data, "keluarga.xlsx")
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/pemetaan")
    confirmed, _form = confirm_suggestions(client, sent.headers["Location"], "")
    assert confirmed.status_code == 302
    return confirmed.headers["Location"]


def in_force(session) -> dict:
    """The figures and the versions in force, from ``snapshot()``."""
    state = snapshot(session)
    return {"figures": state["figures"], "active": state["active"]}


def test_im01_one_bad_row_at_9999_of_10000_is_listed_and_nothing_is_committed(app, session):
    """IM-01: the dry run of 10,000 families rejects exactly Excel row 9,999 and names it
    (row, column, reason); nothing reaches the figures in force. The rows that passed are
    committed only when the operator, having seen this, saves them."""
    client = dinsos(app)
    data = family_list(session, 10_000, {9_999: "099"})
    before = in_force(session)

    report_url = dry_run(client, data)
    page = client.get(report_url).get_data(as_text=True)

    assert re.findall(r'id="rows-(\w+)">([\d.]+)<', page) == [
        ("read", "10.000"),
        ("accepted", "9.999"),
        ("rejected", "1"),
        ("warned", "0"),
    ]
    assert re.findall(r'<tr class="(\w+)"><td>(\d+)</td><td>(\w*)</td>', page) == [
        ("error", "9999", "D")
    ]
    assert "RT 099 / RW 001 tidak ada dalam register kelurahan 35.78.03.1005." in page
    assert "Masalah (1)" in page
    assert 'id="problems-more"' not in page
    assert "Traceback" not in page
    assert in_force(session) == before
    upload = session.get(Upload, int(report_url.rsplit("/", 1)[1]))
    assert (upload.status, upload.rows_rejected) == ("ready", 1)


@pytest.mark.parametrize(
    ("stored", "shown", "listed", "more"),
    [(20, 10, 10, 20), (5, 10, 5, 25), (None, None, 30, 0)],
    ids=["page-cap", "stored-cap", "no-cap"],
)
def test_im01_problems_beyond_the_lists_are_counted_not_dropped(
    app, session, monkeypatch, stored, shown, listed, more
):
    """IM-01: 30 rejected rows. The job stores at most ``MAX_STORED_PROBLEMS`` and the
    page lists at most ``PROBLEMS_SHOWN`` (lowered here): the page says how many more there
    are; the report workbook, built from every problem, marks all 30."""
    if stored is not None:
        monkeypatch.setattr(imports, "MAX_STORED_PROBLEMS", stored)
        monkeypatch.setattr(upload_views, "PROBLEMS_SHOWN", shown)
    client = dinsos(app)
    bad = {row: f"{100 + row:03d}" for row in range(12, 42)}  # rows 12..41: RT 112..141
    report_url = dry_run(client, family_list(session, 60, bad))

    page = client.get(report_url).get_data(as_text=True)
    assert re.findall(r'<tr class="error"><td>(\d+)</td>', page) == [
        str(row) for row in range(12, 12 + listed)
    ]
    assert "Masalah (30)" in page
    expected = (
        f'<p id="problems-more">+{more} lainnya, tidak dicantumkan di sini. '
        "Laporan Excel memuat semuanya.</p>"
    )
    assert (expected in page) == bool(more)
    assert ('id="problems-more"' in page) == bool(more)
    if more:
        english = client.get(report_url + "?lang=en").get_data(as_text=True)
        assert (
            f'<p id="problems-more">+{more} more, not listed here. '
            "The Excel report lists every one.</p>"
        ) in english

    marked = openpyxl.load_workbook(io.BytesIO(client.get(report_url + "/laporan.xlsx").data))
    reasons = {
        row[0].row: row[-1].value for row in marked.active.iter_rows(min_row=2) if row[-1].value
    }
    assert sorted(reasons) == list(range(12, 42))
    assert reasons[41] == "RT 141 / RW 001 tidak ada dalam register kelurahan 35.78.03.1005."


def test_the_import_command_counts_the_problems_it_does_not_print(app, session, monkeypatch):
    """The same count on ``flask import``: the problems beyond those printed are counted."""
    monkeypatch.setattr(cli_import, "PROBLEMS_LISTED", 10)
    bad = {row: f"{100 + row:03d}" for row in range(12, 42)}
    data = family_list(session, 60, bad)
    report = imports.preview_import(
        session,
        data,
        "keluarga.xlsx",
        load_indicator_sets(SEED / "indicator_sets.json")["dinsos_gamis_pramis"],
        "2026-11",
    )
    with app.app_context(), flask_babel.force_locale("en"):
        lines = cli_import.format_report(report).splitlines()
    start = lines.index("30 problem(s):")
    assert [line.split(": ", 1)[0] for line in lines[start + 1 : start + 11]] == [
        f'  [rejected] sheet "Data", row {row}, column D' for row in range(12, 22)
    ]
    assert lines[start + 11 :] == ["  +20 more, not listed here."]


# --- IM-07: a commit is bound to its dry run: file, operator, deadline, once ------------------

NOT_THIS_FILE = "Berkas ini berbeda dengan berkas yang diperiksa saat uji coba."
NOT_YOURS = "Hanya pengguna yang menjalankan uji coba ini yang dapat menyimpan angkanya."
EXPIRED = "Uji coba ini sudah lebih dari sehari. Silakan unggah ulang berkasnya."
ALREADY_DONE = "Unggahan ini sudah disimpan, dibatalkan, atau digantikan; tidak ada yang diubah."
STALE = (
    "Ada unggahan lain untuk periode ini yang disimpan setelah uji coba Anda. Tidak ada yang "
    "diubah; jalankan uji coba lagi untuk melihat perbedaannya."
)
SECOND_OPERATOR_PASSWORD = "dinsos-operator-kedua-2026"


@dataclass
class DryRun:
    """A dry run of a small family list, ready, by the Dinsos operator."""

    client: object
    upload_id: int
    sha256: str
    report_url: str


def ready_dry_run(app, session, families: int = 60) -> DryRun:
    client = dinsos(app)
    report_url = dry_run(client, family_list(session, families, {}))
    page = client.get(report_url).get_data(as_text=True)
    sha256 = re.search(r'name="sha256" value="(\w+)"', page).group(1)
    upload = session.get(Upload, int(report_url.rsplit("/", 1)[1]))
    assert (upload.status, upload.sha256) == ("ready", sha256)
    return DryRun(client, upload.id, sha256, report_url)


def figures_in_force(session) -> dict:
    """The figures (by fingerprint) and every version pointer."""
    state = kept(session)
    return {"figures": state["figures"], "active": state["active"]}


def committed_by(session, upload_id: int) -> tuple:
    """The upload's status, its figures and its commit events."""
    figures = session.exec(
        select(func.count()).select_from(Figure).where(Figure.upload_id == upload_id)
    ).one()
    commits = session.exec(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "upload.commit", AuditEvent.object_id == str(upload_id))
    ).one()
    return session.get(Upload, upload_id).status, figures, commits


def second_operator(app, session):
    """A client signed in as a second operator of Dinsos (the same department)."""
    dinsos_id = session.exec(select(Department.id).where(Department.code == "dinsos")).one()
    session.add(
        User(
            username="dinsos.kedua",
            role=Role.OPERATOR,
            department_id=dinsos_id,
            password_hash=hash_password(SECOND_OPERATOR_PASSWORD),
            must_change_password=False,
        )
    )
    session.commit()
    client = app.test_client()
    assert login(client, "dinsos.kedua", SECOND_OPERATOR_PASSWORD).status_code == 302
    return client


def refused_flash(page: str) -> list[str]:
    return re.findall(r'<p class="error" role="status">([^<]*)</p>', page)


@pytest.mark.parametrize(
    "case", ["earlier-file", "no-sha256", "same-department", "walidata", "expired"]
)
def test_im07_a_commit_not_bound_to_its_dry_run_is_refused_and_writes_nothing(app, session, case):
    """IM-07: the commit must carry the sha256 of the file the dry run checked (not that of
    an earlier version of the file), come from the operator who ran it (another Dinsos
    operator, or the walidata who sees every upload, may not), and come in time."""
    run = ready_dry_run(app, session)
    client, sha256, message = run.client, run.sha256, None
    if case == "earlier-file":
        earlier = family_list(session, 59, {})
        sha256, message = hashlib.sha256(earlier).hexdigest(), NOT_THIS_FILE
        assert sha256 != run.sha256
    elif case == "no-sha256":
        sha256, message = "", NOT_THIS_FILE
    elif case == "same-department":
        client, message = second_operator(app, session), NOT_YOURS
    elif case == "walidata":
        client = app.test_client()
        assert login(client, "walidata").status_code == 302
        message = NOT_YOURS
    else:
        upload = session.get(Upload, run.upload_id)
        upload.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(upload)
        session.commit()
        message = EXPIRED
    before = figures_in_force(session)

    answer = client.post(f"{run.report_url}/simpan", data={"sha256": sha256})

    assert (answer.status_code, answer.headers["Location"]) == (302, run.report_url)
    assert refused_flash(client.get(run.report_url).get_data(as_text=True)) == [message]
    assert figures_in_force(session) == before
    assert committed_by(session, run.upload_id) == ("ready", 0, 0)
    # the operator who ran it, with its sha256, still can (not once expired)
    done = run.client.post(f"{run.report_url}/simpan", data={"sha256": run.sha256})
    assert done.status_code == 302
    if case == "expired":
        assert committed_by(session, run.upload_id) == ("ready", 0, 0)
    else:
        assert committed_by(session, run.upload_id) == ("committed", 120, 1)


def test_im07_an_operator_of_another_department_gets_404_and_nothing_is_written(app, session):
    run = ready_dry_run(app, session)
    before = figures_in_force(session)
    dispendik = app.test_client()
    assert login(dispendik, "dispendik").status_code == 302

    answer = dispendik.post(f"{run.report_url}/simpan", data={"sha256": run.sha256})

    assert answer.status_code == 404
    assert figures_in_force(session) == before
    assert committed_by(session, run.upload_id) == ("ready", 0, 0)


def test_im07_a_commit_replayed_is_refused_and_writes_nothing_more(app, session):
    run = ready_dry_run(app, session)
    first = run.client.post(f"{run.report_url}/simpan", data={"sha256": run.sha256})
    assert first.status_code == 302
    assert committed_by(session, run.upload_id) == ("committed", 120, 1)
    after_first = figures_in_force(session)

    again = run.client.post(f"{run.report_url}/simpan", data={"sha256": run.sha256})

    assert (again.status_code, again.headers["Location"]) == (302, run.report_url)
    assert refused_flash(run.client.get(run.report_url).get_data(as_text=True)) == [ALREADY_DONE]
    assert figures_in_force(session) == after_first
    assert committed_by(session, run.upload_id) == ("committed", 120, 1)


def test_im07_a_dry_run_overtaken_by_a_later_commit_is_stale_and_writes_nothing(app, session):
    older = ready_dry_run(app, session, families=60)
    newer = ready_dry_run(app, session, families=61)
    saved = newer.client.post(f"{newer.report_url}/simpan", data={"sha256": newer.sha256})
    assert saved.status_code == 302
    assert committed_by(session, newer.upload_id)[0] == "committed"
    before = figures_in_force(session)

    answer = older.client.post(f"{older.report_url}/simpan", data={"sha256": older.sha256})

    assert (answer.status_code, answer.headers["Location"]) == (302, older.report_url)
    assert refused_flash(older.client.get(older.report_url).get_data(as_text=True)) == [STALE]
    assert figures_in_force(session) == before
    assert committed_by(session, older.upload_id) == ("ready", 0, 0)


REGISTER_CHANGED = (
    "Register wilayah berubah setelah uji coba Anda (ada RT atau nama kelurahan yang "
    "ditambahkan). Tidak ada yang diubah; unggah ulang berkasnya agar barisnya diperiksa "
    "dengan register terbaru."
)


def test_im07_a_register_change_after_the_dry_run_is_refused_and_writes_nothing(app, session):
    """IM-07: the RT master list changes between the dry run and its commit (a register
    import adds an RT): the rows must be checked again, so the commit is refused."""
    run = ready_dry_run(app, session)
    rw = session.exec(select(Area).where(Area.code == "35.78.03.1005.001")).one()
    code = "35.78.03.1005.001.099"
    session.add(
        Area(
            code=code,
            level=AreaLevel.RT,
            name="RT 099",
            parent_id=rw.id,
            path=child_path(rw.path, code),
            households=30,
            residents=90,
        )
    )
    session.commit()
    before = figures_in_force(session)

    answer = run.client.post(f"{run.report_url}/simpan", data={"sha256": run.sha256})

    assert (answer.status_code, answer.headers["Location"]) == (302, run.report_url)
    page = run.client.get(run.report_url).get_data(as_text=True)
    assert refused_flash(page) == [REGISTER_CHANGED]
    assert figures_in_force(session) == before
    assert committed_by(session, run.upload_id) == ("ready", 0, 0)
