"""CSV and XLSX downloads are formula-safe (CWE-1236) and keep numbers as numbers (WB-04)."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from transparency.exporting import (
    COUNT,
    DANGEROUS_START,
    PERCENT,
    Column,
    safe_cell,
    to_csv,
    to_excel_csv,
    to_workbook,
    to_xlsx,
)

DANGEROUS = [
    '=HYPERLINK("http://x","y")',
    "+cmd",
    "@SUM(1)",
    "-2+3",
    "\t=1",
    "\r=1",
    "\0=1",
    "=1+1",
    "-",
]
HARMLESS = ["Wonorejo", "RT 001", "35.78.03.1005", "", " =1", "a=b", "'quoted", "Tanjung Perak"]
NUMBERS = [-3, 2.5, 0, 12345, -0.75]
BOM = b"\xef\xbb\xbf"


def test_the_dangerous_starts():
    assert set(DANGEROUS_START) == {"=", "+", "-", "@", "\t", "\r", "\0"}


@pytest.mark.parametrize("value", DANGEROUS)
def test_dangerous_text_gets_a_leading_quote(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_harmless_text_is_unchanged(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", NUMBERS)
def test_numbers_stay_numbers(value):
    result = safe_cell(value)
    assert result == value
    assert type(result) is type(value)


@pytest.mark.parametrize("value", [None, True, date(2026, 10, 1)])
def test_other_values_are_unchanged(value):
    assert safe_cell(value) is value


def test_csv_starts_with_the_bom_and_reads_back():
    header = ["Kode", "=Nama", "Jumlah KK"]
    rows = [
        ["35.78.03.1005.001.001", "RT 001", 111],
        ["35.78.03.1005.001.002", '=HYPERLINK("http://x","y")', -3],
        ["35.78.03.1005.001.003", 'Kelurahan Wonorejo, "baru"\nbaris dua', 2.5],
        ["35.78.12.1006.001.001", "+cmd", 0],
        ["@SUM(1)", "-2+3", None],
        ["\t=1", "\r=1", "Tanjung Perak"],
    ]
    body = to_csv(header, rows)
    assert body.startswith(BOM)
    assert not body[len(BOM) :].startswith(BOM)
    text = body.decode("utf-8-sig")
    assert text.endswith("\r\n")
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert read == [
        ["Kode", "'=Nama", "Jumlah KK"],
        ["35.78.03.1005.001.001", "RT 001", "111"],
        ["35.78.03.1005.001.002", '\'=HYPERLINK("http://x","y")', "-3"],
        ["35.78.03.1005.001.003", 'Kelurahan Wonorejo, "baru"\nbaris dua', "2.5"],
        ["35.78.12.1006.001.001", "'+cmd", "0"],
        ["'@SUM(1)", "'-2+3", ""],
        ["'\t=1", "'\r=1", "Tanjung Perak"],
    ]


def test_csv_keeps_indonesian_and_other_characters():
    body = to_csv(["Nama"], [["Ngagel Rejo — Wonokromo"], ["Kapasari ✓"]])
    assert body.decode("utf-8-sig").splitlines() == [
        "Nama",
        "Ngagel Rejo — Wonokromo",
        "Kapasari ✓",
    ]


def test_csv_of_no_rows_is_the_header():
    assert to_csv(["A", "B"], []) == BOM + b"A,B\r\n"


def _cells(body: bytes):
    workbook = load_workbook(io.BytesIO(body))
    assert len(workbook.worksheets) == 1
    sheet = workbook.worksheets[0]
    return sheet, [list(row) for row in sheet.iter_rows()]


def test_xlsx_quotes_dangerous_text_and_keeps_numbers_numeric():
    header = ["Kode", "Nama", "Jumlah"]
    rows = [
        ["35.78.03.1005.001.001", '=HYPERLINK("http://x","y")', -3],
        ["35.78.03.1005.001.002", "+cmd", 2.5],
        ["35.78.03.1005.001.003", "@SUM(1)", 0],
        ["35.78.03.1005.001.004", "-2+3", 111],
        ["35.78.03.1005.001.005", "\t=1", 7],
        ["35.78.03.1005.001.006", "\r=1", 8],
    ]
    sheet, cells = _cells(to_xlsx("Data", header, rows, notes=["=catatan", "Sumber: Dinsos"]))
    assert sheet.title == "Data"
    values = [[cell.value for cell in row] for row in cells]
    assert values[0] == ["'=catatan", None, None]  # padded to the widest row
    assert values[1] == ["Sumber: Dinsos", None, None]
    assert values[2] == header
    assert [row[1] for row in values[3:]] == [
        '\'=HYPERLINK("http://x","y")',
        "'+cmd",
        "'@SUM(1)",
        "'-2+3",
        "'\t=1",
        "'\n=1",  # XML normalises a bare CR to LF on reading; the quote is what matters
    ]
    assert all(row[1].startswith("'") for row in values[3:])
    assert [row[2] for row in values[3:]] == [-3, 2.5, 0, 111, 7, 8]
    for row in cells[3:]:
        assert row[0].data_type == "s"
        assert row[1].data_type == "s"  # never "f": no formula anywhere
        assert row[2].data_type == "n"
        assert isinstance(row[2].value, int | float)
    assert all(cell.data_type != "f" for row in cells for cell in row)


def test_xlsx_header_is_bold_and_the_title_is_cut_to_31_characters():
    title = "Akun ketua RT Kelurahan Wonorejo Rungkut"
    sheet, cells = _cells(to_xlsx(title, ["A", "B"], [[1, "x"]]))
    assert sheet.title == title[:31]
    assert len(sheet.title) == 31
    assert [cell.font.b for cell in cells[0]] == [True, True]
    assert [cell.value for cell in cells[1]] == [1, "x"]
    assert not cells[1][0].font.b


def test_xlsx_of_no_rows_is_the_header():
    _, cells = _cells(to_xlsx("Kosong", ["=A", "B"], []))
    assert [[cell.value for cell in row] for row in cells] == [["'=A", "B"]]


def test_a_long_sheets_report_keeps_the_header_and_the_problem_rows_with_their_numbers():
    from transparency.error_report import build_report
    from transparency.problems import Problem

    rows = [["DATA"], ["RT", "JUMLAH"], *[[f"{n:03d}", n] for n in range(1, 11)]]
    problems = [Problem("import.bad_count", row=7, column="B", value="5", sheet="Data")]
    body = build_report(
        rows, 2, problems, lambda p: f"bad {p.value}", "ALASAN", "BARIS", full_report_rows=5
    )
    sheet = load_workbook(io.BytesIO(body)).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        [1, "DATA", None, None],
        ["BARIS", "RT", "JUMLAH", "ALASAN"],
        [7, "005", 5, "bad 5"],
    ]
    assert sheet["C3"].fill.start_color.rgb == "FFF4B6B6"
    short = build_report(rows, 2, problems, lambda p: "x", "ALASAN", "BARIS", full_report_rows=50)
    assert load_workbook(io.BytesIO(short)).active.max_row == 12


def test_csv_for_excel_has_semicolons_decimal_commas_and_safe_text():
    header = ["Kode wilayah", "Wilayah", "Angka", "% dari KK", "Diterbitkan"]
    rows = [
        ["35.78.03.1005.001.001", "RT 001", 19, 17.1, date(2026, 11, 10)],
        ["35.78.03.1005.001.002", "=1+1", "*", "", date(2026, 11, 10)],
        ["35.78.03.1005.001.003", "RT 003; baru", 1234, 0.5, date(2026, 11, 10)],
    ]
    body = to_excel_csv(header, rows)
    assert body.startswith(BOM)
    text = body.decode("utf-8-sig")
    assert text.split("\r\n") == [
        "Kode wilayah;Wilayah;Angka;% dari KK;Diterbitkan",
        "35.78.03.1005.001.001;RT 001;19;17,1;2026-11-10",
        "35.78.03.1005.001.002;'=1+1;*;;2026-11-10",
        '35.78.03.1005.001.003;"RT 003; baru";1234;0,5;2026-11-10',
        "",
    ]


def test_workbook_for_people_has_widths_a_frozen_header_formats_and_an_about_sheet():
    columns = [Column("Wilayah", 24), Column("Angka", 10, COUNT), Column("% dari KK", 9, PERCENT)]
    rows = [["RT 001", 1234, 17.1], ["=RT", "*", ""]]
    about = [("Sumber", "Transparansi RT"), ("Aturan perlindungan", "* = disembunyikan")]
    book = load_workbook(io.BytesIO(to_workbook("Data", columns, rows, "Keterangan", about)))
    assert book.sheetnames == ["Data", "Keterangan"]
    sheet = book["Data"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C3"
    assert [sheet.column_dimensions[c].width for c in "ABC"] == [24, 10, 9]
    assert [c.value for c in sheet[1]] == ["Wilayah", "Angka", "% dari KK"]
    assert all(c.font.b for c in sheet[1])
    assert [(c.value, c.number_format) for c in sheet[2]] == [
        ("RT 001", "General"),
        (1234, "#,##0"),
        (17.1, "0.0"),
    ]
    assert [c.value for c in sheet[3]] == ["'=RT", "*", None]
    notes = book["Keterangan"]
    assert [[c.value for c in row] for row in notes.iter_rows()] == [
        ["Sumber", "Transparansi RT"],
        ["Aturan perlindungan", "* = disembunyikan"],
    ]
    assert notes["A1"].font.b and notes["B2"].alignment.wrap_text
