"""The RT/RW register read from a workbook: pure parsing and validation.

``parse_register`` takes the sheets and the known kelurahan codes and returns the
register rows or the problems, each with its Excel row and column. No database.
"""

from dataclasses import dataclass, field

from transparency.codes import area_number, clean_text, count, is_blank, kelurahan_code
from transparency.problems import Problem
from transparency.spreadsheets import Sheet, best_header, column_letter, is_total_row

COLUMNS: dict[str, tuple[str, ...]] = {
    "kelurahan_code": (
        "KODE KELURAHAN",
        "KODE KEL",
        "KODE KEL.",
        "KODE DESA/KELURAHAN",
        "KODE WILAYAH",
        "KELURAHAN_CODE",
        "KODE_KELURAHAN",
    ),
    "rw": ("RW", "NO RW", "NO. RW", "NOMOR RW"),
    "rt": ("RT", "NO RT", "NO. RT", "NOMOR RT"),
    "households": ("JUMLAH KK", "JML KK", "JML. KK", "KK", "JUMLAH KEPALA KELUARGA", "HOUSEHOLDS"),
    "residents": (
        "JUMLAH JIWA",
        "JML JIWA",
        "JML. JIWA",
        "JIWA",
        "JUMLAH PENDUDUK",
        "PENDUDUK",
        "RESIDENTS",
    ),
}


@dataclass(frozen=True)
class RegisterRow:
    """One RT of the register, codes canonical."""

    row: int
    kelurahan_code: str
    rw: str
    rt: str
    households: int
    residents: int


@dataclass
class RegisterParse:
    """What the register file yielded: rows if clean, problems otherwise."""

    sheet: str = ""
    header_row: int = 0
    rows: list[RegisterRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def parse_register(sheets: list[Sheet], known_kelurahan: set[str], max_rows: int) -> RegisterParse:
    """Locate the register's header, then read and check every row below it."""
    sheet, header_index, columns = best_header(sheets, COLUMNS)
    result = RegisterParse(sheet=sheet.name if sheet else "", header_row=header_index + 1)
    missing = [name for name in COLUMNS if name not in columns]
    if sheet is None or missing:
        result.problems = [
            Problem(
                "register.missing_column",
                row=result.header_row or None,
                sheet=result.sheet or None,
                params={"field": name},
            )
            for name in missing
        ]
        return result
    body = sheet.rows[header_index + 1 :]
    if len(body) > max_rows:
        result.problems.append(
            Problem("file.too_many_rows", sheet=sheet.name, params={"limit": max_rows})
        )
        return result
    seen: dict[tuple[str, str, str], int] = {}
    for offset, cells in enumerate(body):
        excel_row = header_index + 2 + offset
        if all(is_blank(cell) for cell in cells) or is_total_row(cells):
            continue
        row, problems = _check_row(cells, excel_row, columns, sheet, known_kelurahan)
        if row is not None:
            key = (row.kelurahan_code, row.rw, row.rt)
            if key in seen:
                problems.append(
                    _problem(
                        "register.duplicate_rt",
                        excel_row,
                        columns["rt"],
                        sheet,
                        cells,
                        first_row=seen[key],
                    )
                )
            seen.setdefault(key, excel_row)
        result.problems.extend(problems)
        if row is not None and not problems:
            result.rows.append(row)
    if not result.rows and not result.problems:
        result.problems.append(Problem("register.empty", sheet=sheet.name))
    return result


def _cell(cells: list, column: int) -> object:
    return cells[column] if column < len(cells) else ""


def _problem(
    problem_code: str, row: int, column: int, sheet: Sheet, cells: list, **params
) -> Problem:
    value = clean_text(_cell(cells, column))
    return Problem(
        problem_code,
        row=row,
        column=column_letter(column),
        value=value,
        sheet=sheet.name,
        params=params,
    )


def _check_row(cells, excel_row, columns, sheet, known) -> tuple[RegisterRow | None, list[Problem]]:
    """Canonicalise one row's codes and counts, collecting every problem in it."""
    problems: list[Problem] = []

    def fail(problem_code: str, field_name: str, **params) -> None:
        problems.append(
            _problem(problem_code, excel_row, columns[field_name], sheet, cells, **params)
        )

    kelurahan = kelurahan_code(_cell(cells, columns["kelurahan_code"]))
    if kelurahan is None:
        fail("register.bad_kelurahan_code", "kelurahan_code")
    elif kelurahan not in known:
        fail("register.unknown_kelurahan", "kelurahan_code", code=kelurahan)
    rw = area_number(_cell(cells, columns["rw"]))
    if rw is None:
        fail("register.bad_number", "rw", field="rw")
    rt = area_number(_cell(cells, columns["rt"]))
    if rt is None:
        fail("register.bad_number", "rt", field="rt")
    values = {}
    for name in ("households", "residents"):
        raw = _cell(cells, columns[name])
        values[name] = count(raw)
        if is_blank(raw):
            fail("register.missing_count", name, field=name)
        elif values[name] is None:
            fail("register.bad_count", name, field=name)
    if kelurahan is None or rw is None or rt is None or None in values.values():
        return None, problems
    return RegisterRow(
        excel_row, kelurahan, rw, rt, values["households"], values["residents"]
    ), problems
