"""Reading workbooks and CSV files into rows, finding the header, naming columns."""

import io
import re
import zipfile

import openpyxl
import pytest
import xlrd

from tests.hostile_files import (
    damaged_xls,
    encrypted_ooxml,
    encrypted_xls,
    legacy_xls,
    legacy_xls_header,
    many_styles,
    merged_ranges,
    nested_rich_text,
    part,
    patch_zip,
    rich_text_runs,
    xlsx_bytes,
)
from transparency.containers import Limits
from transparency.problems import UnreadableFile
from transparency.registering import COLUMNS
from transparency.spreadsheets import (
    column_letter,
    find_header,
    read_sheets,
    row_label,
    visible_sheets,
)


def _xlsx_with_hidden_sheet() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "RT RW"
    sheet["A1"] = "DAFTAR RT DAN RW KOTA SURABAYA"
    sheet["A2"] = "Sumber: Dispendukcapil"
    # row 3 left blank
    header = ["KODE KELURAHAN", "KELURAHAN", "RW", "RT", "JUMLAH KK", "JUMLAH JIWA"]
    for column, title in enumerate(header, start=1):
        sheet.cell(row=4, column=column, value=title)
    for column, value in enumerate(["35.78.07.1002", "Genteng", "001", "002", 120, 410], start=1):
        sheet.cell(row=5, column=column, value=value)
    hidden = workbook.create_sheet("Lookup")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "KODE KELURAHAN"
    hidden["B1"] = "RW"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_read_sheets_xlsx_keeps_excel_row_numbering_and_hides_hidden_sheets():
    sheets = read_sheets(_xlsx_with_hidden_sheet(), "register.xlsx")

    assert [(sheet.name, sheet.visible) for sheet in sheets] == [("RT RW", True), ("Lookup", False)]
    rows = sheets[0].rows
    assert rows == [
        ["DAFTAR RT DAN RW KOTA SURABAYA", "", "", "", "", ""],
        ["Sumber: Dispendukcapil", "", "", "", "", ""],
        ["", "", "", "", "", ""],
        ["KODE KELURAHAN", "KELURAHAN", "RW", "RT", "JUMLAH KK", "JUMLAH JIWA"],
        ["35.78.07.1002", "Genteng", "001", "002", 120, 410],
    ]
    visible = visible_sheets(sheets)
    assert [sheet.name for sheet in visible] == ["RT RW"]


def test_read_sheets_gives_each_sheet_the_rows_and_columns_it_hides():
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "Petunjuk"
    first.append(["Isi satu baris per RT."])
    data = workbook.create_sheet("Data")
    for number in range(1, 9):
        data.append([f"row {number}", number, number, number])
    for number in (3, 4, 7):
        data.row_dimensions[number].hidden = True
    data.column_dimensions["C"].hidden = True
    buffer = io.BytesIO()
    workbook.save(buffer)

    petunjuk, sheet = read_sheets(buffer.getvalue(), "data.xlsx")

    assert (petunjuk.hidden_rows, petunjuk.hidden_columns) == ((), ())
    assert sheet.name == "Data"
    assert sheet.hidden_rows == ((3, 4), (7, 7))  # Excel row numbers
    assert sheet.hidden_columns == ((2, 2),)  # zero-based: column C
    assert sheet.rows[2] == ["row 3", 3, 3, 3]  # hidden rows are read like any other


def test_a_very_hidden_first_sheet_is_read_as_hidden_and_never_chosen():
    workbook = openpyxl.Workbook()
    stale = workbook.active
    stale.title = "Lama"
    stale.sheet_state = "veryHidden"
    for row in (["KODE KELURAHAN", "RW", "RT", "JUMLAH KK"], ["35.78.07.1002", "001", "001", 99]):
        stale.append(row)
    current = workbook.create_sheet("Baru")
    for row in (["KODE KELURAHAN", "RW", "RT", "JUMLAH KK"], ["35.78.07.1002", "001", "001", 12]):
        current.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)

    sheets = read_sheets(buffer.getvalue(), "data.xlsx")

    assert [(sheet.name, sheet.visible) for sheet in sheets] == [("Lama", False), ("Baru", True)]
    assert [sheet.name for sheet in visible_sheets(sheets)] == ["Baru"]


def test_find_header_on_row_4_of_the_xlsx():
    sheet = visible_sheets(read_sheets(_xlsx_with_hidden_sheet(), "register.xlsx"))[0]

    index, columns = find_header(sheet.rows, COLUMNS)

    assert index == 3  # Excel row 4
    assert columns == {"kelurahan_code": 0, "rw": 2, "rt": 3, "households": 4, "residents": 5}


def test_find_header_picks_the_row_matching_most_fields_and_folds_punctuation():
    rows = [
        ["Laporan RT"],
        ["RT", "", ""],  # one field only: not the header
        ["No.", "Kode Kel.", "No. RW", "no rt", "Jml. KK", "jml jiwa"],
        ["1", "35.78.07.1002", "1", "1", "5", "9"],
    ]

    index, columns = find_header(rows, COLUMNS)

    assert index == 2
    assert columns == {"kelurahan_code": 1, "rw": 2, "rt": 3, "households": 4, "residents": 5}


def test_find_header_without_any_match():
    assert find_header([["a", "b"], ["c"]], COLUMNS) == (-1, {})


@pytest.mark.parametrize(
    ("cell", "label"),
    [
        ("JUMLAH", "total"),
        ("Jumlah :", "total"),
        ("TOTAL:", "total"),
        ("GRAND TOTAL", "total"),
        ("Total Keseluruhan", "total"),
        ("SUBTOTAL", "subtotal"),
        ("Sub Total", "subtotal"),
        ("SUB-TOTAL RW 02", "subtotal"),
        ("JUMLAH RW 001", "subtotal"),
        ("Jml. RW 1", "subtotal"),
        ("TOTAL KEL. GENTENG", "subtotal"),
        ("Sumber: Dinsos", "note"),
        ("SUMBER DATA : DTKS", "note"),
        ("Keterangan: data per 31 Oktober", "note"),
        ("Ket. :", "note"),
        ("NB: angka sementara", "note"),
        ("Sumber Dinsos", "note?"),  # a note only when alone in its row
        ("Sumber Rejo", "note?"),
        ("SUMBERREJO", None),
        ("KETINTANG", None),
        ("GENTENG", None),
        ("TOTALAN", None),
        ("35.78.07.1002", None),
        (12.0, None),
        ("", None),
    ],
)
def test_row_label_tells_totals_subtotals_and_notes_from_data(cell, label):
    assert row_label(cell) == label


def test_read_sheets_csv_with_semicolons_and_bom():
    text = (
        "KODE KELURAHAN;RW;RT;JUMLAH KK;JUMLAH JIWA\r\n"
        "35.78.07.1002;001;001;1.234;4.100\r\n"
        "3578071002;1;RT 02;12;40\r\n"
    )
    data = b"\xef\xbb\xbf" + text.encode("utf-8")

    sheets = read_sheets(data, "register.csv")

    assert len(sheets) == 1
    assert sheets[0].name == "register.csv"
    assert sheets[0].visible is True
    assert sheets[0].rows == [
        ["KODE KELURAHAN", "RW", "RT", "JUMLAH KK", "JUMLAH JIWA"],
        ["35.78.07.1002", "001", "001", "1.234", "4.100"],
        ["3578071002", "1", "RT 02", "12", "40"],
    ]
    index, columns = find_header(sheets[0].rows, COLUMNS)
    assert index == 0
    assert columns == {"kelurahan_code": 0, "rw": 1, "rt": 2, "households": 3, "residents": 4}


def test_read_sheets_csv_with_commas_in_cp1252():
    text = (
        "KODE KELURAHAN,KELURAHAN,RW,RT,JUMLAH KK,JUMLAH JIWA\n"
        "35.78.07.1002,Genteng – Café Façade,001,003,7,21\n"
    )
    data = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the test really feeds a non-UTF-8 file

    rows = read_sheets(data, "REGISTER.CSV")[0].rows

    assert rows == [
        ["KODE KELURAHAN", "KELURAHAN", "RW", "RT", "JUMLAH KK", "JUMLAH JIWA"],
        ["35.78.07.1002", "Genteng – Café Façade", "001", "003", "7", "21"],
    ]


@pytest.mark.parametrize(
    ("index", "letter"),
    [
        (0, "A"),
        (1, "B"),
        (6, "G"),
        (25, "Z"),
        (26, "AA"),
        (27, "AB"),
        (51, "AZ"),
        (52, "BA"),
        (701, "ZZ"),
        (702, "AAA"),
        (16383, "XFD"),
    ],
)
def test_column_letter(index, letter):
    assert column_letter(index) == letter


def _zip_that_is_not_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return buffer.getvalue()


PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"hello", "data.xlsx", "file.not_spreadsheet"),
        (b"hello", "data", "file.not_spreadsheet"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "register.pdf", "file.not_spreadsheet"),
        (PNG_HEADER, "photo.png", "file.not_spreadsheet"),
        (PNG_HEADER, "photo.xlsx", "file.not_spreadsheet"),
        (PNG_HEADER, "photo.csv", "file.not_spreadsheet"),  # NUL bytes: not CSV text
        # The container checks (containers.inspect) name these before any reader runs.
        (_zip_that_is_not_a_workbook(), "register.xlsx", "file.not_spreadsheet"),
        (_zip_that_is_not_a_workbook(), "register.zip", "file.not_spreadsheet"),
        (b"PK\x03\x04" + b"\x00garbage" * 20, "register.xlsx", "file.damaged"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200,
            "register.xls",
            "file.not_spreadsheet",
        ),
        # UP-03: an OLE2 file with a workbook stream the reader cannot read (an .xls whose
        # records end too early, its first 1,200 bytes, or nothing but the stream's name),
        # a password-protected .xls and .xlsx.
        (damaged_xls(), "lama.xls", "file.xls_unreadable"),
        (legacy_xls()[:1200], "lama.xls", "file.xls_unreadable"),
        (legacy_xls_header(), "lama.xls", "file.xls_unreadable"),
        (encrypted_xls(), "rahasia.xls", "file.encrypted"),
        (encrypted_ooxml(), "rahasia.xlsx", "file.encrypted"),
    ],
)
def test_read_sheets_rejects_what_is_not_a_spreadsheet(data, filename, code):
    with pytest.raises(UnreadableFile) as caught:
        read_sheets(data, filename)

    problem = caught.value.problem
    assert problem.code == code
    assert (problem.row, problem.column, problem.sheet) == (None, None, None)


def test_a_real_xls_is_read():
    """UP-03: a legacy .xls (BIFF8, written byte by byte) is read like an .xlsx; xlrd, an
    independent reader, reads the same file the same way."""
    data = legacy_xls(
        [["KODE KELURAHAN", "RW", "RT", "JUMLAH"], ["35.78.07.1002", "001", "2", 12.0]]
    )
    assert xlrd.open_workbook(file_contents=data).sheet_by_index(0).row_values(1) == [
        "35.78.07.1002",
        "001",
        "2",
        12.0,
    ]

    sheets = read_sheets(data, "lama.xls")

    assert [(s.name, s.visible, s.rows) for s in sheets] == [
        (
            "Data",
            True,
            [["KODE KELURAHAN", "RW", "RT", "JUMLAH"], ["35.78.07.1002", "001", "2", 12.0]],
        )
    ]


# --- costly but harmless workbooks (UP-06) ------------------------------------------------


@pytest.mark.parametrize(
    ("make", "part_name", "marker", "count"),
    [
        pytest.param(
            lambda data: many_styles(data, 65_000),
            "xl/styles.xml",
            b"<xf ",
            65_001,
            id="64k-styles",
        ),
        pytest.param(
            lambda data: rich_text_runs(data, "KODE KELURAHAN", 50_000),
            "xl/sharedStrings.xml",
            b"<r>",
            50_001,
            id="runs",
        ),
        pytest.param(
            lambda data: nested_rich_text(data, "KODE KELURAHAN", 100_000),
            "xl/sharedStrings.xml",
            b"</r>",
            100_000,
            id="nested-runs",
        ),
        pytest.param(
            lambda data: merged_ranges(data, 100_000),
            "xl/worksheets/sheet1.xml",
            b"<mergeCell ",
            100_000,
            id="100k-merged-ranges",
        ),
    ],
)
def test_pathological_styles_strings_and_merges_are_read_correctly(make, part_name, marker, count):
    """UP-06: none of these makes the container checks or the reader fail; the sheet reads
    as the plain workbook does (the limited child process bounds their time: see
    ``test_battery_hostile``)."""
    data = make(xlsx_bytes())
    assert part(data, part_name).count(marker) == count

    sheets = read_sheets(data, "data.xlsx")

    assert [(sheet.name, sheet.rows) for sheet in sheets] == [
        ("Sheet", [["KODE KELURAHAN", "RW", "RT", "JUMLAH"], ["35.78.07.1002", "001", "002", 12.0]])
    ]


# --- a sheet's extent and cell size (SZ-01, SZ-02) -------------------------------------------


def _sheet_bytes(
    rows: int, columns: int = 3, stray: str | None = None, name: str = "Data"
) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(name)
    for number in range(1, rows + 1):
        sheet.append([number, "RT 001", 3, *range(columns - 3)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    if stray is None:
        return buffer.getvalue()
    loaded = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    loaded[name][stray] = "x"
    buffer = io.BytesIO()
    loaded.save(buffer)
    return buffer.getvalue()


def _refusal(data: bytes, filename: str = "data.xlsx", **limits):
    with pytest.raises(UnreadableFile) as refused:
        read_sheets(data, filename, Limits(**limits))
    return refused.value.problem.code, refused.value.problem.params


def _with_dimension(data: bytes, ref: str) -> bytes:
    """The workbook with its sheet's used range (``<dimension ref>``) set to ``ref``."""
    sheet = part(data, "xl/worksheets/sheet1.xml").decode()
    sheet, count = re.subn(r"<dimension ref=\"[^\"]*\" ?/>", f'<dimension ref="{ref}"/>', sheet)
    if not count:  # openpyxl's write-only mode writes none
        sheet = sheet.replace("<sheetViews>", f'<dimension ref="{ref}"/><sheetViews>', 1)
    assert f'<dimension ref="{ref}"/>' in sheet
    return patch_zip(data, {"xl/worksheets/sheet1.xml": sheet.encode()})


def test_a_stray_cell_at_xfd1_is_named_before_the_reader_pads_every_row(monkeypatch):
    """SZ-01 (b): one value at XFD1 above 5,000 rows. The container scan finds the cell (the
    sheet's used range reaches column XFD) and the file is refused naming it; the reader,
    which would build 5,001 rows of 16,384 cells, is never called."""
    data = _sheet_bytes(5_000, stray="XFD1")
    assert b'<dimension ref="A1:XFD5000"' in part(data, "xl/worksheets/sheet1.xml")
    monkeypatch.setattr("transparency.spreadsheets._read_workbook", _never_called)

    assert _refusal(data) == ("file.outside_area", {"sheet": "Data", "cell": "XFD1", "limit": 200})


def _never_called(*_args):
    raise AssertionError("the reader was called")


def test_five_hundred_columns_are_refused_naming_the_first_cell_past_the_limit():
    assert _refusal(_sheet_bytes(5, columns=500)) == (
        "file.outside_area",
        {"sheet": "Data", "cell": "GS1", "limit": 200},
    )
    assert _refusal(_sheet_bytes(5, columns=20), max_columns=19) == (
        "file.outside_area",
        {"sheet": "Data", "cell": "T1", "limit": 19},
    )
    assert len(read_sheets(_sheet_bytes(5, columns=19), "data.xlsx", Limits(max_columns=19))) == 1


def test_a_stray_cell_on_the_second_sheet_names_that_sheet():
    workbook = openpyxl.Workbook()
    workbook.active.title = "Data"
    workbook.active.append(["RT", "JUMLAH"])
    notes = workbook.create_sheet("Catatan & lain")
    notes["B2"] = "ok"
    notes["ZZ40"] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert _refusal(buffer.getvalue()) == (
        "file.outside_area",
        {"sheet": "Catatan & lain", "cell": "ZZ40", "limit": 200},
    )


def test_a_stray_cell_behind_a_lying_used_range_is_still_refused_after_reading():
    """A crafted sheet whose used range says A1:C10 while XFD1 holds a value: the scan
    trusts the range, the reader pads (10 rows here, cheaply), and the extent check after
    reading names the column. On a big sheet the memory limit of the child process ends
    it instead (``test_import_worker``)."""
    data = _with_dimension(_sheet_bytes(10, stray="XFD1"), "A1:C10")

    assert _refusal(data) == (
        "file.too_many_columns",
        {"sheet": "Data", "column": "XFD", "limit": 200},
    )


def test_a_stray_value_at_a1048576_reads_the_real_rows_and_the_stray_one():
    """SZ-01 (c): a few real rows and one value in the last row Excel has. The sheet is
    within the limits (1,048,576 rows of 3 columns), so it is read, the stray value in its
    place (the import reports that row; ``test_import_worker``)."""
    data = _sheet_bytes(3, stray="A1048576")

    rows = read_sheets(data, "data.xlsx")[0].rows

    assert len(rows) == 1_048_576
    assert rows[:3] == [[1.0, "RT 001", 3.0], [2.0, "RT 001", 3.0], [3.0, "RT 001", 3.0]]
    assert rows[3] == rows[1_048_574] == ["", "", ""]
    assert rows[-1] == ["x", "", ""]


def test_rows_past_the_limit_are_refused_and_the_limit_itself_is_read():
    data = _sheet_bytes(101)
    assert _refusal(data, max_rows=100) == (
        "file.sheet_too_many_rows",
        {"sheet": "Data", "rows": 101, "limit": 100},
    )

    assert len(read_sheets(data, "data.xlsx", Limits(max_rows=101))[0].rows) == 101


def test_a_lying_dimension_on_a_ten_row_sheet_reads_the_ten_rows():
    data = _sheet_bytes(10)
    archive = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as patched:
        for info in archive.infolist():
            part = archive.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(b"<sheetData", b'<dimension ref="A1:XFD1048576"/><sheetData', 1)
            patched.writestr(info, part)
    rows = read_sheets(out.getvalue(), "data.xlsx")[0].rows
    assert len(rows) == 10
    assert rows[9] == [10.0, "RT 001", 3.0]


def test_a_csv_field_longer_than_a_cell_may_be_is_refused():
    data = ("RT;JUMLAH\n001;" + "7" * 40_000 + "\n").encode()
    assert _refusal(data, "data.csv") == ("file.cell_too_long", {"limit": 32_767})
    assert _refusal(("RT;JUMLAH\n" + "001;3\n" * 11).encode(), "data.csv", max_rows=10) == (
        "file.sheet_too_many_rows",
        {"sheet": "data.csv", "rows": 12, "limit": 10},
    )
