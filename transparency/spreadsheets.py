"""Reading workbooks and CSV files into plain rows, and finding the header row.

Pure: bytes in, ``Sheet`` values out. Rows keep their Excel numbering: row index
``i`` of ``Sheet.rows`` is Excel row ``i + 1``. Problems raise ``UnreadableFile``.
"""

import csv
import io
import re
from dataclasses import dataclass

from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

from transparency.codes import clean_text, is_blank
from transparency.containers import DEFAULT_LIMITS, Limits, inspect
from transparency.problems import Problem, UnreadableFile

HEADER_SCAN_ROWS = 30
TOTAL_WORDS = ("JUMLAH", "TOTAL", "GRAND TOTAL", "JUMLAH TOTAL", "SUB TOTAL", "SUBTOTAL")


@dataclass(frozen=True)
class Sheet:
    """One sheet's cells as Python values, from Excel row 1 and column A."""

    name: str
    visible: bool
    rows: list[list]


def read_sheets(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> list[Sheet]:
    """Read every sheet of an .xlsx/.xls workbook or a .csv file, after the container
    checks of ``containers.inspect`` (bombs, macros, DTDs …) have passed."""
    container = inspect(data, filename, limits)
    if container.kind in ("xlsx", "xls"):
        return _read_workbook(data)
    return [Sheet(name=filename, visible=True, rows=_read_csv(data, filename))]


def _read_workbook(data: bytes) -> list[Sheet]:
    """Read a workbook through calamine; any failure is a clear 'unreadable' problem."""
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [
            Sheet(
                name=meta.name,
                visible=meta.visible == SheetVisibleEnum.Visible,
                rows=workbook.get_sheet_by_name(meta.name).to_python(skip_empty_area=False),
            )
            for meta in workbook.sheets_metadata
        ]
    except BaseException as exc:
        if not _is_reader_failure(exc):
            raise  # out of memory or time, interrupts: the caller decides
        detail = str(exc)[:200]
        raise UnreadableFile(Problem("file.unreadable", params={"detail": detail})) from exc


def _is_reader_failure(exc: BaseException) -> bool:
    """A failure of the file (calamine's errors, or a panic of its Rust code)."""
    return isinstance(exc, CalamineError | ValueError | TypeError | OSError) or (
        type(exc).__name__ == "PanicException"
    )


def _read_csv(data: bytes, filename: str) -> list[list]:
    """Decode CSV text (UTF-8, else Windows-1252) and split it on its delimiter."""
    if b"\x00" in data[:4096]:
        raise UnreadableFile(Problem("file.not_spreadsheet", params={"filename": filename}))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    sample = text[:8192]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def visible_sheets(sheets: list[Sheet]) -> list[Sheet]:
    """The sheets a person sees in Excel; hidden ones are never read by accident."""
    return [sheet for sheet in sheets if sheet.visible]


def header_key(value: object) -> str:
    """A header cell folded for matching: upper case, punctuation as single spaces."""
    text = clean_text(value).upper()
    return re.sub(r"[^0-9A-Z/]+", " ", text).strip()


def find_header(
    rows: list[list], aliases: dict[str, tuple[str, ...]]
) -> tuple[int, dict[str, int]]:
    """Find the header row among the first rows: the one matching most fields.

    Returns the row index and, per field found, its column index. A field is found
    when a cell equals one of its aliases after ``header_key`` folding.
    """
    wanted = {field: {header_key(alias) for alias in names} for field, names in aliases.items()}
    best: tuple[int, dict[str, int]] = (-1, {})
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found: dict[str, int] = {}
        for column, cell in enumerate(row):
            key = header_key(cell)
            for field, keys in wanted.items():
                if key in keys and field not in found:
                    found[field] = column
        if len(found) > len(best[1]):
            best = (index, found)
    return best


def best_header(
    sheets: list[Sheet], aliases: dict[str, tuple[str, ...]]
) -> tuple[Sheet | None, int, dict[str, int]]:
    """The visible sheet whose header row matches the most fields, with that row and its
    columns; hidden sheets are never read."""
    best: tuple[Sheet | None, int, dict[str, int]] = (None, -1, {})
    for sheet in visible_sheets(sheets):
        index, columns = find_header(sheet.rows, aliases)
        if len(columns) > len(best[2]):
            best = (sheet, index, columns)
    return best


def first_filled(cells: list) -> object:
    """The first cell of a row that is not blank, or None for a blank row."""
    for cell in cells:
        if cell is None or cell == "":
            continue
        if type(cell) is str and (cell.isspace() or not cell.isascii()) and is_blank(cell):
            continue
        return cell
    return None


def is_total_row(cells: list) -> bool:
    """True when the first filled cell says JUMLAH/TOTAL (a number there never does)."""
    return says_total(first_filled(cells))


def says_total(cell: object) -> bool:
    """True for a cell reading JUMLAH/TOTAL (the first filled cell of a totals row)."""
    return isinstance(cell, str) and clean_text(cell).upper().rstrip(":") in TOTAL_WORDS


def column_letter(index: int) -> str:
    """Excel's column letter for a zero-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
