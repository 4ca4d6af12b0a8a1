"""Hidden rows and columns of a legacy .xls (issue 11, item 8) are found like those of an
.xlsx: from the ROW records' fDyZero flag and the COLINFO records' fHidden flag of the
workbook stream, written here byte by byte, and reported with the same problem codes."""

import io
import struct

import openpyxl
import pytest

from tests.hostile_files import _bof, _record, compound_file
from tests.test_importing import GENTENG, INDEX, STUNTING
from transparency.containers import inspect, xls_hidden
from transparency.importing import run, suggest_mapping
from transparency.spreadsheets import read_sheets

ROWS = [
    ["KODE KELURAHAN", "RW", "RT", "BALITA STUNTING", "CATATAN"],
    [GENTENG, "001", "001", 4.0, ""],
    [GENTENG, "002", "001", 6.0, ""],
    [GENTENG, "009", "007", 1.0, ""],
    ["35.78.03.1005", "001", "001", 2.0, ""],
    ["35.78.03.1005", "001", "002", 3.0, ""],
]


def xls(rows, hidden_rows=(), hidden_columns=(), sheet="Data", other_sheet: bool = False) -> bytes:
    """A BIFF8 workbook whose sheet hides the given zero-based rows (ROW records with
    fDyZero) and columns (COLINFO with fHidden); optionally a second, plain sheet first."""

    def worksheet(rows, hidden_rows, hidden_columns) -> bytes:
        width = max(len(row) for row in rows)
        body = b"".join(
            _record(0x007D, struct.pack("<HHHHHH", c, c, 0x0900, 15, 0x0001, 0))
            for c in hidden_columns
        )
        body += _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
        for r in range(len(rows)):
            grbit = 0x0100 | (0x0020 if r in hidden_rows else 0)
            body += _record(0x0208, struct.pack("<HHHHHHHH", r, 0, width, 0x00FF, 0, 0, grbit, 15))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, str):
                    if value:
                        text = struct.pack("<HB", len(value), 1) + value.encode("utf-16-le")
                        body += _record(0x0204, struct.pack("<HHH", r, c, 0) + text)
                else:
                    body += _record(0x0203, struct.pack("<HHHd", r, c, 0, value))
        return _bof(0x0010) + body + _record(0x000A)

    sheets = [(sheet, worksheet(rows, hidden_rows, hidden_columns))]
    if other_sheet:
        sheets.insert(0, ("Petunjuk", worksheet([["Isi satu baris per RT."]], (), ())))
    start = _bof(0x0005) + _record(0x0042, struct.pack("<H", 0x04B0))
    entries = [struct.pack("<BB", len(name), 1) + name.encode("utf-16-le") for name, _ in sheets]
    offset = len(start) + sum(4 + 6 + len(e) for e in entries) + 4
    for (_name, body), entry in zip(sheets, entries, strict=True):
        start += _record(0x0085, struct.pack("<IBB", offset, 0, 0) + entry)
        offset += len(body)
    start += _record(0x000A)
    return compound_file(start + b"".join(body for _name, body in sheets))


def xlsx(rows, hidden_rows=(), hidden_columns=()) -> bytes:
    """The same sheet as an .xlsx, hiding the same rows and columns."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    for row in rows:
        sheet.append(row)
    for r in hidden_rows:
        sheet.row_dimensions[r + 1].hidden = True
    for c in hidden_columns:
        sheet.column_dimensions[openpyxl.utils.get_column_letter(c + 1)].hidden = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def problems_of(data: bytes, name: str):
    sheets = read_sheets(data, name)
    sheet = next(s for s in sheets if s.name == "Data")
    mapping, problems = suggest_mapping(sheets, STUNTING)
    assert problems == []
    outcome = run(sheet, mapping, STUNTING, INDEX)
    return sheet, outcome


@pytest.mark.parametrize(
    ("hidden_rows", "hidden_columns", "rows", "columns"),
    [
        ((2,), (), ((3, 3),), ()),
        ((2, 4, 5), (3,), ((3, 3), (5, 6)), ((3, 3),)),
        ((1, 2, 3, 4, 5), (1, 3), ((2, 6),), ((1, 1), (3, 3))),
        ((), (4,), (), ((4, 4),)),
    ],
)
def test_hidden_rows_and_columns_of_an_xls_are_found_like_an_xlsx(
    hidden_rows, hidden_columns, rows, columns
):
    legacy = xls(ROWS, hidden_rows, hidden_columns)
    assert inspect(legacy, "stunting.xls").kind == "xls"
    sheet, outcome = problems_of(legacy, "stunting.xls")
    assert (sheet.hidden_rows, sheet.hidden_columns) == (rows, columns)
    modern_sheet, modern = problems_of(xlsx(ROWS, hidden_rows, hidden_columns), "s.xlsx")
    assert (modern_sheet.hidden_rows, modern_sheet.hidden_columns) == (rows, columns)
    assert outcome.problems == modern.problems
    assert outcome.values == modern.values
    hidden = [p for p in outcome.problems if p.code == "import.hidden_rows"]
    assert [p.params["count"] for p in hidden] == ([len(hidden_rows)] if hidden_rows else [])


def test_each_sheet_of_an_xls_keeps_its_own_hidden_rows():
    legacy = xls(ROWS, (3,), (), other_sheet=True)
    assert set(xls_hidden(legacy)) == {"Data"}
    sheets = {s.name: s for s in read_sheets(legacy, "stunting.xls")}
    assert sheets["Petunjuk"].hidden_rows == ()
    assert sheets["Data"].hidden_rows == ((4, 4),)
    assert sheets["Data"].rows[3] == [GENTENG, "009", "007", 1.0, ""]


def test_an_xls_that_hides_nothing_and_a_damaged_one_hide_nothing():
    assert xls_hidden(xls(ROWS)) == {}
    assert xls_hidden(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)) == {}


def fragmented(data: bytes) -> bytes:
    """The same compound file with the workbook stream's sectors stored in reverse
    order, chained through the FAT: the reader must follow the chain, not the bytes."""
    fat = list(struct.unpack_from("<128I", data, 512))
    directory = bytearray(data[1024:1536])
    logical = [data[offset : offset + 512] for offset in range(1536, len(data), 512)]
    n = len(logical)
    for i in range(n):  # logical sector i lives in physical sector 2 + (n - 1 - i)
        fat[2 + (n - 1 - i)] = 2 + (n - 2 - i) if i + 1 < n else 0xFFFFFFFE
    struct.pack_into("<I", directory, 128 + 116, 2 + (n - 1))
    body = b"".join(logical[n - 1 - j] for j in range(n))
    return data[:512] + struct.pack("<128I", *fat) + bytes(directory) + body


def test_a_workbook_stream_in_scattered_sectors_is_followed_through_the_fat():
    legacy = xls(ROWS, (2, 4), (3,))
    scattered = fragmented(legacy)
    assert scattered != legacy
    assert xls_hidden(scattered) == xls_hidden(legacy)
    assert xls_hidden(legacy)["Data"].rows == ((3, 3), (5, 5))
    assert xls_hidden(legacy)["Data"].columns == ((4, 4),)
