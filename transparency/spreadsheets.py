"""Reading workbooks and CSV files into plain rows, and finding the header row.

Pure: bytes in, ``Sheet`` values out. Rows keep their Excel numbering: row index
``i`` of ``Sheet.rows`` is Excel row ``i + 1``. Problems raise ``UnreadableFile``.
"""

import csv
import html
import io
import re
import zipfile
from dataclasses import dataclass, replace

from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

from transparency.codes import clean_text, is_blank
from transparency.containers import DEFAULT_LIMITS, Hidden, Limits, inspect
from transparency.problems import Problem, UnreadableFile

HEADER_SCAN_ROWS = 30
# A row's first filled cell that says what the row is (``row_label``), folded to capitals
# and single spaces. A grand total states the whole sheet's figures; a total word followed
# by anything else (JUMLAH RW 001, TOTAL KEL. GENTENG) or SUBTOTAL states a part of it.
GRAND_TOTALS = frozenset(
    {
        "JUMLAH",
        "JML",
        "TOTAL",
        "GRAND TOTAL",
        "JUMLAH TOTAL",
        "TOTAL JUMLAH",
        "JUMLAH KESELURUHAN",
        "TOTAL KESELURUHAN",
        "JUMLAH SELURUHNYA",
        "TOTAL SELURUHNYA",
    }
)
_TOTAL_START = re.compile(r"(?:SUB ?TOTAL|SUB ?JUMLAH|JUMLAH|JML|TOTAL)\b")
_NOTE_START = re.compile(
    r"(?:SUMBER|KETERANGAN|KET|CATATAN|NB|N B|NOTE|NOTES|DISUSUN|DIOLAH|DICETAK|MENGETAHUI)\b"
)


@dataclass(frozen=True)
class Sheet:
    """One sheet's cells as Python values, from Excel row 1 and column A, and what the
    sheet hides from a person looking at it in Excel: (first, last) ranges of Excel row
    numbers and of zero-based column indexes (from an .xlsx's XML, an .xls's ROW and
    COLINFO records)."""

    name: str
    visible: bool
    rows: list[list]
    hidden_rows: tuple[tuple[int, int], ...] = ()
    hidden_columns: tuple[tuple[int, int], ...] = ()
    # Merged ranges ((first row, first column), (last row, last column)), zero-based, as
    # the reader gives them; None where the format does not say (CSV).
    merged: tuple | None = None


def read_sheets(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> list[Sheet]:
    """Read every sheet of an .xlsx/.xls workbook or a .csv file, after the container
    checks of ``containers.inspect`` (bombs, macros, DTDs …) have passed."""
    container = inspect(data, filename, limits)
    if container.outside:
        _refuse_outside(data, container.outside, limits)
    if container.kind in ("xlsx", "xls"):
        sheets = _read_workbook(data, limits, container.kind)
        if container.kind == "xls":  # an .xls's hidden rows are known by sheet name
            return [_hiding(sheet, container.hidden.get(sheet.name)) for sheet in sheets]
        return _with_hidden(sheets, data, container.hidden) if container.hidden else sheets
    rows = _read_csv(data, filename, limits)
    _check_extent(filename, len(rows), max((len(r) for r in rows), default=0), limits)
    return [Sheet(name=filename, visible=True, rows=rows)]


def _check_extent(sheet: str, height: int, width: int, limits: Limits) -> None:
    """Refuse a sheet that reaches past the row or column limit, naming the far edge."""
    if height > limits.max_rows:
        raise UnreadableFile(
            Problem(
                "file.sheet_too_many_rows",
                sheet=sheet,
                params={"sheet": sheet, "rows": height, "limit": limits.max_rows},
            )
        )
    if width > limits.max_columns:
        raise UnreadableFile(
            Problem(
                "file.too_many_columns",
                sheet=sheet,
                params={
                    "sheet": sheet,
                    "column": column_letter(width - 1),
                    "limit": limits.max_columns,
                },
            )
        )


def _refuse_outside(data: bytes, outside: dict[str, str], limits: Limits) -> None:
    """Refuse a workbook one of whose sheets holds something past the column limit (the
    container scan found the cell, ``Container.outside``), naming the sheet and the cell,
    before the reader would pad every row to that width. A part no sheet of the workbook
    points to is never read, and so is no reason to refuse."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        sheets = _sheets_and_parts(archive)
    except KeyError:  # no relationships part: name the part itself
        sheets = [(part, part) for part in outside]
    for name, part in sheets:
        cell = outside.get(part.lower())
        if cell is not None:
            raise UnreadableFile(
                Problem(
                    "file.outside_area",
                    sheet=name,
                    params={"sheet": name, "cell": cell, "limit": limits.max_columns},
                )
            )


def _read_workbook(data: bytes, limits: Limits, kind: str = "xlsx") -> list[Sheet]:
    """Read a workbook through calamine; any failure is a clear 'unreadable' problem, for
    an .xls (``kind``) one that says to save it as .xlsx: an old or damaged .xls is what
    Excel, asked to save it again, turns into a file that reads. Each sheet's extent is
    checked before its rows are built (a stray cell at XFD1 would otherwise make every row
    16,384 cells long)."""
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in workbook.sheets_metadata:
            sheet = workbook.get_sheet_by_name(meta.name)
            _check_extent(meta.name, sheet.total_height + 1, sheet.total_width + 1, limits)
            rows = sheet.to_python(skip_empty_area=False)
            merged = _merged_ranges(sheet)
            del sheet
            visible = meta.visible == SheetVisibleEnum.Visible
            sheets.append(Sheet(name=meta.name, visible=visible, rows=rows, merged=merged))
        return sheets
    except UnreadableFile:
        raise
    except BaseException as exc:
        if not _is_reader_failure(exc):
            raise  # out of memory or time, interrupts: the caller decides
        code = "file.xls_unreadable" if kind == "xls" else "file.unreadable"
        raise UnreadableFile(Problem(code, params={"detail": str(exc)[:200]})) from exc


MAX_MERGED = 10_000  # merged ranges kept per sheet (a header has a handful)


def _merged_ranges(sheet) -> tuple | None:
    """The sheet's merged ranges as plain tuples, or None when the reader cannot say."""
    try:
        ranges = sheet.merged_cell_ranges
    except BaseException as exc:
        if not _is_reader_failure(exc):
            raise
        return None
    if ranges is None:
        return None
    return tuple(
        ((int(r0), int(c0)), (int(r1), int(c1))) for (r0, c0), (r1, c1) in ranges[:MAX_MERGED]
    )


def _with_hidden(sheets: list[Sheet], data: bytes, hidden: dict[str, Hidden]) -> list[Sheet]:
    """The sheets with the rows and columns their parts hide (``containers`` saw them)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    result = []
    for sheet in sheets:
        try:
            part = _sheet_part(archive, sheet.name) or ""
        except KeyError:  # no relationships part: calamine read the sheets some other way
            part = ""
        found = hidden.get(part.lower())
        if found is not None:
            columns = tuple((first - 1, last - 1) for first, last in found.columns)
            sheet = replace(sheet, hidden_rows=found.rows, hidden_columns=columns)
        result.append(sheet)
    return result


def _hiding(sheet: Sheet, found: Hidden | None) -> Sheet:
    """The sheet with the rows and columns it hides (1-based column ranges made
    zero-based), or as it is."""
    if found is None:
        return sheet
    columns = tuple((first - 1, last - 1) for first, last in found.columns)
    return replace(sheet, hidden_rows=found.rows, hidden_columns=columns)


def _is_reader_failure(exc: BaseException) -> bool:
    """A failure of the file (calamine's errors, or a panic of its Rust code)."""
    return isinstance(exc, CalamineError | ValueError | TypeError | OSError) or (
        type(exc).__name__ == "PanicException"
    )


def _read_csv(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> list[list]:
    """Decode CSV text (UTF-8, else Windows-1252) and split it on its delimiter; a field
    longer than a spreadsheet cell may be is refused."""
    if b"\x00" in data[:4096]:
        raise UnreadableFile(Problem("file.not_spreadsheet", params={"filename": filename}))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    sample = text[:8192]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    csv.field_size_limit(limits.max_cell_chars)
    try:
        return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        if "field larger than field limit" not in str(exc):
            raise UnreadableFile(
                Problem("file.unreadable", params={"detail": str(exc)[:200]})
            ) from exc
        raise UnreadableFile(
            Problem("file.cell_too_long", params={"limit": limits.max_cell_chars})
        ) from exc


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
    wanted = _wanted(aliases)
    best: tuple[int, dict[str, int]] = (-1, {})
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = {field: columns[0] for field, columns in _matches(row, wanted).items()}
        if len(found) > len(best[1]):
            best = (index, found)
    return best


def header_duplicates(row: list, aliases: dict[str, tuple[str, ...]]) -> dict[str, list[int]]:
    """The fields that more than one column of a header row matches, with those columns
    (left to right): ``find_header`` keeps the first, so the others would go unread."""
    matched = _matches(row, _wanted(aliases))
    return {field: columns for field, columns in matched.items() if len(columns) > 1}


def _wanted(aliases: dict[str, tuple[str, ...]]) -> dict[str, set[str]]:
    """Each field's aliases, folded by ``header_key``."""
    return {field: {header_key(alias) for alias in names} for field, names in aliases.items()}


def _matches(row: list, wanted: dict[str, set[str]]) -> dict[str, list[int]]:
    """Every column of a row whose folded text is an alias of a field, per field."""
    found: dict[str, list[int]] = {}
    for column, cell in enumerate(row):
        key = header_key(cell)
        for field, keys in wanted.items():
            if key in keys:
                found.setdefault(field, []).append(column)
    return found


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
    """True when the first filled cell says JUMLAH/TOTAL, of the whole sheet or of a part
    (a number there never does)."""
    return says_total(first_filled(cells))


def says_total(cell: object) -> bool:
    """True for a cell reading JUMLAH/TOTAL/SUBTOTAL, alone or followed by what it totals
    (``JUMLAH RW 001``): the first filled cell of a totals or subtotal row."""
    return row_label(cell) in ("total", "subtotal")


def row_label(cell: object) -> str | None:
    """What a row is, by the text of its first filled cell: ``"total"`` (``JUMLAH``,
    ``TOTAL:``, ``GRAND TOTAL``), ``"subtotal"`` (``SUBTOTAL``, ``JUMLAH RW 001``,
    ``Total Kel. Genteng``), ``"note"`` (``Sumber: Dinsos``, ``Keterangan: …``: a note
    word and a colon), ``"note?"`` (a note word without a colon, ``Sumber Dinsos``: a
    note only if nothing else is in the row, since a kelurahan may be spelled "Sumber
    Rejo"), or None for anything else (a data row)."""
    if not isinstance(cell, str):
        return None
    text = clean_text(cell).upper()
    folded = re.sub(r"[^0-9A-Z]+", " ", text).strip()
    if folded in GRAND_TOTALS:
        return "total"
    if _TOTAL_START.match(folded):
        return "subtotal"
    if _NOTE_START.match(folded):
        return "note" if ":" in text[:60] else "note?"
    return None


def column_letter(index: int) -> str:
    """Excel's column letter for a zero-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# --- cells calamine reads as empty: formulas without a cached value, error values -------

_CELL = re.compile(rb"<(?:[\w.-]{1,32}:)?c\b([^>]*?)(/>|>(.*?)</(?:[\w.-]{1,32}:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_ERROR_TYPE = re.compile(rb'\bt="e"')
_FORMULA = re.compile(rb"<(?:[\w.-]{1,32}:)?f[\s/>]")
_VALUE = re.compile(rb"<(?:[\w.-]{1,32}:)?v>([^<]+)</")
_SHEET_ENTRY = re.compile(r"<(?:[\w.-]{1,32}:)?sheet\b[^>]*>")
_ATTRIBUTE = re.compile(r'([\w:.-]+)\s*=\s*"([^"]*)"')


def special_cells(data: bytes, sheet_name: str) -> dict[tuple[int, int], str]:
    """Cells of an .xlsx sheet that calamine reads as empty but are not: a formula without
    a cached value (``"formula"``) and an error value (``"#N/A"``, ``"#REF!"`` …), by
    (Excel row, zero-based column). Read only when a row has an empty cell where a value
    is needed, so a clean file never pays for it. The package passed ``containers``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        part = _sheet_part(archive, sheet_name)
    except (zipfile.BadZipFile, KeyError, ValueError):
        return {}
    if part is None:
        return {}
    found: dict[tuple[int, int], str] = {}
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(1024 * 1024):
            window = tail + chunk
            end = 0
            for match in _CELL.finditer(window):
                end = match.end()
                attributes, body = match.group(1), match.group(3) or b""
                kind = None
                if _ERROR_TYPE.search(attributes):
                    value = _VALUE.search(body)
                    kind = value.group(1).decode("utf-8", "replace")[:20] if value else "#ERROR"
                elif _FORMULA.search(body) and not _VALUE.search(body):
                    kind = "formula"
                if kind:
                    ref = _REF.search(attributes)
                    if ref:
                        found[(int(ref.group(2)), _column_index(ref.group(1).decode()))] = kind
            tail = window[end:][-256 * 1024 :]
    return found


def _column_index(letters: str) -> int:
    """Zero-based index of an Excel column (A → 0, AA → 26)."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The part name of the named sheet, through workbook.xml and its relationships."""
    parts = [part for name, part in _sheets_and_parts(archive) if name == sheet_name]
    return parts[-1] if parts else None


def _sheets_and_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """Each sheet's name and part name, in the workbook's order, through workbook.xml and
    its relationships (KeyError without them)."""
    workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    targets = {}
    for tag in re.findall(r"<(?:[\w.-]{1,32}:)?Relationship\b[^>]*>", rels):
        attributes = dict(_ATTRIBUTE.findall(tag))
        target = attributes.get("Target", "").lstrip("/")
        if "Id" in attributes:
            targets.setdefault(
                attributes["Id"], target if target.startswith("xl/") else f"xl/{target}"
            )
    found = []
    for tag in _SHEET_ENTRY.findall(workbook):
        attributes = dict(_ATTRIBUTE.findall(tag))
        rel_id = next((v for k, v in attributes.items() if k.endswith(":id")), None)
        if rel_id in targets:
            found.append((html.unescape(attributes.get("name", "")), targets[rel_id]))
    return found
