"""Tables as CSV and XLSX downloads, formula-safe. Pure: rows in, bytes out.

A text cell starting with ``= + - @``, a tab, CR or NUL is prefixed with ``'`` so
that Excel shows it as text instead of running it (CWE-1236); numbers stay numbers.

Two kinds of file: for machines (``to_csv``: RFC 4180, codes as headers) and for people
who open them in Excel (``to_excel_csv``: ``;`` and a decimal comma, as Excel in Indonesian
settings reads a CSV; ``to_workbook``: labelled columns with widths and number formats, a
frozen header and an "about" sheet). Labels arrive translated: nothing here translates.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

COUNT = "#,##0"
PERCENT = "0.0"
DAY = "yyyy-mm-dd"


@dataclass(frozen=True)
class Column:
    """A column of a workbook for people: its header, width (characters) and number format."""

    label: str
    width: float = 12
    number_format: str | None = None


DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "\0")


def safe_cell(value: object) -> object:
    """The value as it may go into a spreadsheet cell."""
    if isinstance(value, str) and value.startswith(DANGEROUS_START):
        return "'" + value
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 CSV with a BOM, so that Excel opens it with the right characters."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(
    sheet_title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    notes: Sequence[str] = (),
) -> bytes:
    """A one-sheet workbook: optional note lines, a bold header, then the rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    for note in notes:
        sheet.append([safe_cell(note)])
    bold = Font(bold=True)
    header_cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=safe_cell(title))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _excel_text(value: object) -> object:
    """A value as Excel in Indonesian settings reads it from a CSV: decimal comma."""
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(value)


def to_excel_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV for Excel: ``;`` between cells, decimal comma, UTF-8 with a BOM, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([_excel_text(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell(sheet, value: object, number_format: str | None) -> object:
    """A data cell, with the column's number format where the value is a number or day."""
    value = safe_cell(value)
    if number_format is None or isinstance(value, str | bool) or value is None:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def to_workbook(
    sheet_title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[object]],
    about_title: str,
    about: Sequence[tuple[str, str]],
) -> bytes:
    """A workbook for people: the table (bold frozen header, widths, number formats, a
    filter) and a second sheet of (label, text) lines saying what the table is."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=safe_cell(column.label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formats = [column.number_format for column in columns]
    for row in rows:
        sheet.append([_cell(sheet, v, f) for v, f in zip(row, formats, strict=True)])
    notes = workbook.create_sheet(title=about_title[:31])
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 100
    wrap = Alignment(wrap_text=True, vertical="top")
    for label, text in about:
        first = WriteOnlyCell(notes, value=safe_cell(label))
        first.font, first.alignment = bold, wrap
        second = WriteOnlyCell(notes, value=safe_cell(text))
        second.alignment = wrap
        notes.append([first, second])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
