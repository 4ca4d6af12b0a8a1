"""The operator can always map (issue 11, item 0): a column that cannot be placed opens
the mapping page with what was found and the missing field marked by its name; a saved
mapping whose columns moved is shown there instead of being read blind; ``flask import``
takes the columns on the command line and saves them."""

import io
import re

import flask_babel
import openpyxl
import pytest
from sqlmodel import select

from tests.conftest import SAMPLE_KELURAHAN, SAMPLES
from tests.test_import_service import flask, import_args
from tests.test_upload_web import DISPENDIK, commit, expected, in_force, send, signed_in
from transparency import messages
from transparency.models import ImportMapping, Upload
from transparency.problems import Problem

DEMO_KELURAHAN = SAMPLE_KELURAHAN
pytestmark = pytest.mark.demo_once
SCHOOL = ("anak_sd", "anak_smp", "anak_sma", "anak_tidak_sekolah", "peserta_sinau_bareng")


def dispendik_with(changes: dict[str, object], swap: tuple[str, str] | None = None) -> bytes:
    """The Dispendik sample with cells changed, and optionally two columns swapped."""
    book = openpyxl.load_workbook(SAMPLES / DISPENDIK)
    sheet = book.active
    if swap:
        one, other = swap
        for row in range(1, sheet.max_row + 1):
            a, b = sheet[f"{one}{row}"], sheet[f"{other}{row}"]
            a.value, b.value = b.value, a.value
    for cell, value in changes.items():
        sheet[cell] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def selected(html: str) -> dict[str, str]:
    """Each select of the mapping page and the value it offers selected."""
    found = {}
    for name, body in re.findall(r'<select name="(\w+)">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]+)" selected', body)
        found[name] = chosen.group(1) if chosen else ""
    return found


def visible_text(html: str) -> str:
    """The page's text as a person reads it (tags and attributes left out)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_a_column_not_found_opens_the_mapping_page_with_it_marked_by_name(app, session):
    dispendik = signed_in(app, "dispendik", "dispendik-demo-2026")
    renamed = dispendik_with({"E3": "KOLOM 5"})
    received = send(dispendik, "dispendik_anak_sekolah", DISPENDIK, content=renamed)
    url = received.headers["Location"]
    assert url.endswith("/pemetaan")
    html = dispendik.get(url).get_data(as_text=True)
    text = visible_text(html)
    assert "Kolom berikut tidak ditemukan" in text
    assert re.search(
        r'<div class="error" role="alert" id="missing">.*?<li>Anak usia SD \(7–12\)</li>',
        html,
        re.S,
    )
    assert '<label class="missing">Anak usia SD (7–12) * — tidak ditemukan: pilih kolomnya' in html
    assert "anak_sd" not in text  # indicators by name, never by code
    # Every column with its header and three sample values (the sample's first rows).
    assert "<td>E</td><td>KOLOM 5</td><td>31 · 23 · 28</td>" in html
    assert "<td>A</td><td>KODE KELURAHAN</td><td>3578…" in html
    found = selected(html)
    assert found["col_anak_sd"] == ""
    assert [found[f"col_{name}"] for name in SCHOOL[1:]] == ["5", "6", "7", "8"]

    # Without the column the page stays, saying what is missing.
    again = dispendik.post(url, data={k: v for k, v in found.items() if v})
    assert again.status_code == 200
    assert "Pilih kolom untuk: Anak usia SD (7–12)." in again.get_data(as_text=True)

    chosen = {**{k: v for k, v in found.items() if v}, "col_anak_sd": "4", "save_as": "Rekap"}
    confirmed = dispendik.post(url, data=chosen)
    report_url = confirmed.headers["Location"]
    report = dispendik.get(report_url).get_data(as_text=True)
    assert re.findall(r'id="rows-(\w+)">([\d.]+)<', report)[:3] == [
        ("read", "483"),
        ("accepted", "483"),
        ("rejected", "0"),
    ]
    assert commit(dispendik, report_url).status_code == 302
    assert in_force(session, SCHOOL) == expected(DISPENDIK)
    saved = session.exec(select(ImportMapping).where(ImportMapping.name == "Rekap")).one()
    assert saved.definition["mapping"]["headers"]["anak_sd"] == "KOLOM 5"


def test_a_saved_mapping_whose_columns_moved_is_shown_not_read_blind(app, session):
    dispendik = signed_in(app, "dispendik", "dispendik-demo-2026")
    received = send(dispendik, "dispendik_anak_sekolah", DISPENDIK)
    url = received.headers["Location"]
    found = selected(dispendik.get(url).get_data(as_text=True))
    first = dispendik.post(url, data={**{k: v for k, v in found.items() if v}, "save_as": "R"})
    assert commit(dispendik, first.headers["Location"]).status_code == 302

    moved = dispendik_with({}, swap=("E", "F"))  # SD and SMP change places, headers too
    again = send(dispendik, "dispendik_anak_sekolah", DISPENDIK, mapping="R", content=moved)
    upload = session.get(Upload, int(again.headers["Location"].rstrip("/").split("/")[-1]))
    assert upload.status == "queued"  # waiting on the mapping page, nothing read blind
    page = dispendik.get(f"/unggah/{upload.id}/pemetaan").get_data(as_text=True)
    text = " ".join(visible_text(page).split())
    assert "Pemetaan tersimpan tidak cocok dengan berkas ini" in text
    assert (
        'Anak usia SD (7–12): kolom E tadinya berjudul "ANAK USIA SD (7-12)" dan kini '
        'berjudul "ANAK USIA SMP (13-15)". Saran sekarang: kolom F.'
    ) in text
    suggested = selected(page)
    assert (suggested["col_anak_sd"], suggested["col_anak_smp"]) == ("5", "4")

    unchanged = send(dispendik, "dispendik_anak_sekolah", DISPENDIK, mapping="R")
    latest = session.get(Upload, int(unchanged.headers["Location"].rstrip("/").split("/")[-1]))
    assert latest.status == "noop"  # the headers fit: the dry run ran, nothing to change


def test_flask_import_takes_columns_on_the_command_line_and_saves_them(runner, session, tmp_path):
    path = tmp_path / "kolom.xlsx"
    path.write_bytes(dispendik_with({"E3": "KOLOM 5", "F3": "KOLOM 6"}))
    args = import_args(DISPENDIK, "--lang", "en", "--dry-run")
    args[1] = str(path)
    missing = flask(runner, args)
    assert missing.exit_code == 1
    assert "Columns not found: Children of primary-school age (7–12), Children of " in (
        missing.output
    )
    assert "  G  'ANAK USIA SMA (16-18)' → Children of senior-secondary age (16–18)" in (
        missing.output
    )
    assert "Nothing was imported." in missing.output
    given = flask(
        runner,
        [*args, "--column", "anak_sd=E", "--column", "anak_smp=6", "--save-mapping", "kolom"],
    )
    assert given.exit_code == 0, given.output
    assert "  E  'KOLOM 5' → Children of primary-school age (7–12)" in given.output
    assert "Rows read 483, accepted 483, rejected 0, with warnings 0." in given.output
    saved = session.exec(select(ImportMapping).where(ImportMapping.name == "kolom")).one()
    assert saved.definition["mapping"]["columns"]["anak_sd"] == 4
    assert saved.definition["mapping"]["columns"]["anak_smp"] == 5
    bad = flask(runner, [*args, "--column", "anak_sd=E5"])
    assert bad.exit_code == 1 and "Give a column as FIELD=COLUMN" in bad.output


def test_flask_import_with_a_saved_mapping_that_no_longer_fits_stops_naming_the_change(
    runner, session, tmp_path
):
    first = flask(
        runner, import_args(DISPENDIK, "--lang", "en", "--dry-run", "--save-mapping", "m")
    )
    assert first.exit_code == 0, first.output
    path = tmp_path / "moved.xlsx"
    path.write_bytes(dispendik_with({}, swap=("E", "F")))
    args = import_args(DISPENDIK, "--lang", "en", "--dry-run", "--mapping", "m")
    args[1] = str(path)
    result = flask(runner, args)
    assert result.exit_code == 1
    assert "The saved mapping does not fit this file:" in result.output
    assert (
        'Children of primary-school age (7–12): column E was headed "ANAK USIA SD (7-12)" '
        'and is now headed "ANAK USIA SMP (13-15)".'
    ) in result.output


def test_messages_name_an_indicator_and_its_example_header_never_its_code(app):
    missing = Problem(
        "import.missing_column",
        row=3,
        sheet="Rekap",
        params={"field": "anak_sd", "example": "ANAK USIA SD (7-12)"},
    )
    with app.app_context():
        with flask_babel.force_locale("id"):
            indonesian = messages.describe(missing)
        with flask_babel.force_locale("en"):
            english = messages.describe(missing)
    assert indonesian.startswith("Kolom Anak usia SD (7–12) tidak ditemukan.")
    assert '"ANAK USIA SD (7-12)"' in indonesian and "anak_sd" not in indonesian
    assert english.startswith("The column for Children of primary-school age (7–12) was not")
