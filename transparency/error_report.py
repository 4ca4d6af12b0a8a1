"""The dry run's report as a workbook: the operator's own rows, a reason column, and the
cells that were wrong marked in red. Pure: rows and problems in, xlsx bytes out.

The workbook holds the operator's rows (personal data included), so it is built on
request from the file kept for the dry run, and never stored.
"""

import io
from collections import defaultdict
from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from transparency.exporting import safe_cell
from transparency.problems import Problem
from transparency.spreadsheets import column_letter

ERROR_FILL = PatternFill("solid", start_color="FFF4B6B6", end_color="FFF4B6B6")
WARNING_FILL = PatternFill("solid", start_color="FFFFE8A3", end_color="FFFFE8A3")


FULL_REPORT_ROWS = 50_000  # above this, the report holds the header and the rows with problems


def build_report(
    rows: list[list],
    header_row: int,
    problems: list[Problem],
    describe: Callable[[Problem], str],
    reason_title: str,
    row_title: str = "ROW",
    full_report_rows: int = FULL_REPORT_ROWS,
) -> bytes:
    """Every row of the sheet as it was, plus a reason column; bad cells filled red
    (rejected) or yellow (warning). A sheet longer than ``full_report_rows`` keeps only
    the rows down to the header and the rows with problems, each after a first column
    with its Excel row number (``row_title``), so that the file stays small."""
    by_row: dict[int, list[Problem]] = defaultdict(list)
    for problem in problems:
        if problem.row:
            by_row[problem.row].append(problem)
    width = max((len(r) for r in rows), default=0)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Laporan")
    only_problems = len(rows) > full_report_rows
    for index, cells in enumerate(rows, start=1):
        found = by_row.get(index, [])
        if only_problems and index > header_row and not found:
            continue
        marked = {p.column: p.severity for p in found if p.column}
        out = []
        for column, value in enumerate(list(cells) + [""] * (width - len(cells))):
            cell = WriteOnlyCell(sheet, value=safe_cell(value))
            severity = marked.get(column_letter(column))
            if severity:
                cell.fill = ERROR_FILL if severity == "error" else WARNING_FILL
            out.append(cell)
        reason = WriteOnlyCell(
            sheet,
            value=safe_cell(
                reason_title if index == header_row else "; ".join(describe(p) for p in found)
            ),
        )
        if index == header_row:
            reason.font = Font(bold=True)
        if only_problems:
            out.insert(0, row_title if index == header_row else index)
        sheet.append([*out, reason])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
