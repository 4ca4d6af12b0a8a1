"""Department files → RT figures: the pure import pipeline.

Steps, each a function of its inputs: ``suggest_mapping`` (locate the sheet and header
row, map columns and category values) → ``run`` (normalise and validate every row,
aggregate per RT, check stated totals) → ``plan`` (compare with the figures in force).
No database and no Flask: the service builds the ``AreaIndex`` and stores the result.
Personal columns (NIK, No. KK, names, addresses, birth dates) are read only as far as
counting needs (No. KK to find a family listed twice or count families, a birth date for
an age: ``persons``) and never leave this module.
"""

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter

from transparency.codes import (
    BPS_ALIAS_PREFIX,
    area_number,
    bps_code,
    clean_text,
    count,
    is_blank,
    kelurahan_code,
    name_key,
    rt_rw_in_text,
)
from transparency.headers import Band, Names, band, is_numbering_row, locate
from transparency.indicator_sets import IndicatorSet
from transparency.persons import PersonCounter, person_fields
from transparency.problems import Problem
from transparency.spreadsheets import (
    Sheet,
    column_letter,
    first_filled,
    header_key,
    row_label,
    visible_sheets,
)

BLANK_AS_ZERO = ("", "-", "–", "—")
# Read to count families once, or an age; never echoed or kept.
PERSONAL_FIELDS = ("household_id", "birth_date")
_SCIENTIFIC = re.compile(r"^\d+([.,]\d+)?E\+?\d+$", re.IGNORECASE)  # 3.57807E+15, as Excel shows


def compact(name: object) -> str:
    """A name folded for lookup: ``name_key`` without spaces or punctuation."""
    return re.sub(r"[^0-9A-Z]", "", name_key(name))


@dataclass(frozen=True)
class AreaIndex:
    """What the pipeline needs to know of the area tree, built by the service."""

    kelurahan: dict[str, str]  # code → kecamatan name (compact)
    kelurahan_by_name: dict[str, tuple[str, ...]]  # compact name or alias → codes
    rt_ids: dict[str, int]  # RT code → area id
    rts_by_kelurahan: dict[str, tuple[int, ...]]  # kelurahan code → its RT ids


@dataclass
class Mapping:
    """How a workbook is read: the sheet, the header row, columns and category values."""

    sheet: str
    header_row: int  # Excel row number
    columns: dict[str, int]  # field → zero-based column
    values: dict[str, str] = field(default_factory=dict)  # folded cell text → category
    headers: dict[str, str] = field(default_factory=dict)  # field → header text as written
    ignored: list[str] = field(default_factory=list)  # personal or unknown columns
    # The first Excel row of a header of several rows (None: the header is one row);
    # ``header_row`` is then the band's last row, or the numbered row below it.
    header_first: int | None = None
    missing: list[str] = field(default_factory=list)  # required fields not placed yet

    def to_json(self) -> dict:
        """A plain dict to save as a named mapping."""
        data = {
            "sheet": self.sheet,
            "header_row": self.header_row,
            "columns": self.columns,
            "values": self.values,
            "headers": self.headers,
            "ignored": self.ignored,
        }
        if self.header_first:
            data["header_first"] = self.header_first
        if self.missing:
            data["missing"] = self.missing
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Mapping":
        """A saved mapping back."""
        return cls(
            sheet=data["sheet"],
            header_row=int(data["header_row"]),
            columns={k: int(v) for k, v in data["columns"].items()},
            values=dict(data.get("values", {})),
            headers=dict(data.get("headers", {})),
            ignored=list(data.get("ignored", [])),
            header_first=int(data["header_first"]) if data.get("header_first") else None,
            missing=list(data.get("missing", [])),
        )


def fold_value(value: object) -> str:
    """A category cell folded for matching: upper case, single spaces."""
    return clean_text(value).upper()


def required_fields(iset: IndicatorSet) -> list[str]:
    """Fields without which the file cannot be read for this set."""
    fields = ["rt"]
    if iset.shape == "household":
        fields += ["household_id", "category"]
        fields += sorted({rule.sum for rule in iset.rules if rule.sum})
    elif iset.shape == "person":
        fields += person_fields(iset)
    else:
        fields += [rule.indicator for rule in iset.rules if rule.column]
    return fields


def suggest_mapping(
    sheets: list[Sheet], iset: IndicatorSet, partial: bool = False
) -> tuple[Mapping | None, list[Problem]]:
    """The best visible sheet and header band, its columns, and the category values found.

    The header is one to three rows (``headers.locate``): a group title over sub-headers,
    numbered rows below skipped. A field that cannot be placed, or that two columns are
    headed as, is a problem; the mapping is then None, unless ``partial``: then it holds
    what was found, with the missing fields in ``Mapping.missing``, for the operator to
    complete on the mapping page."""
    names = Names.of(iset.column_aliases(), iset.match_names())
    best = None
    for candidate in visible_sheets(sheets):
        found = locate(candidate.rows, names, candidate.merged)
        if found is not None and (best is None or found[1].strength > best[2].strength):
            best = (candidate, *found)
    if best is None:
        return None, [Problem("import.no_header")]
    sheet, band, matched = best
    columns = dict(matched.columns)
    if "rt_rw" in columns and "rt" not in columns:
        columns["rt"] = columns["rt_rw"]
    if "rt" in columns or "rw" in columns:
        columns.pop("rt_text", None)  # an address is read only when no column holds the RT
    elif "rt_text" in columns:
        columns["rt"] = columns["rt_text"]
    missing = missing_fields(columns, iset)
    row = band.last + 1
    aliases = iset.column_aliases()
    problems = [
        Problem(
            "import.missing_column",
            row=row,
            sheet=sheet.name,
            params={"field": name, "example": (aliases.get(name) or (name,))[0]},
        )
        for name in missing
    ]
    problems += _duplicate_columns(band, matched.duplicates, row, sheet.name)
    if problems and not partial:
        return None, problems
    mapping = Mapping(
        sheet=sheet.name,
        header_row=band.data_start,
        columns=columns,
        headers={name: band.text(col) for name, col in columns.items()},
        header_first=band.first + 1 if band.first + 1 != band.data_start else None,
        missing=missing,
    )
    used = set(columns.values())
    mapping.ignored = [
        band.text(col) for col in range(len(band.parts)) if col not in used and band.text(col)
    ]
    if iset.shape == "household" and "category" in columns:
        mapping.values = _suggest_values(sheet.rows[band.data_start :], columns["category"], iset)
    return mapping, problems


def missing_fields(columns: dict[str, int], iset: IndicatorSet) -> list[str]:
    """The required fields a set of columns leaves out (the kelurahan first)."""
    missing = [name for name in required_fields(iset) if name not in columns]
    if "kelurahan_code" not in columns and "kelurahan" not in columns:
        missing.insert(0, "kelurahan")
    return missing


def header_texts(sheet: Sheet, mapping: Mapping) -> list[str]:
    """Each column's header as one text (the band's rows stacked, a numbered row left
    out), as ``suggest_mapping`` read it."""
    first = (mapping.header_first or mapping.header_row) - 1
    last = mapping.header_row - 1
    if last > first and is_numbering_row(sheet.rows[last]):
        last -= 1
    found = band(sheet.rows, first, last, sheet.merged)
    return [found.text(column) for column in range(len(found.parts))]


def saved_changes(sheets: list[Sheet], saved: Mapping) -> list[dict]:
    """The columns of a saved mapping whose header in this file is not the one saved
    (moved, renamed or gone), each as field, column letter, the header saved and the
    header there now: such a file is shown on the mapping page, never read blind. A
    mapping saved without headers has nothing to compare and is taken as it is."""
    sheet = next((s for s in visible_sheets(sheets) if s.name == saved.sheet), None)
    fits = sheet is not None and saved.header_row <= len(sheet.rows)
    now = header_texts(sheet, saved) if fits else []
    changes = []
    for name, column in sorted(saved.columns.items(), key=lambda item: item[1]):
        if name not in saved.headers:
            continue
        there = now[column] if column < len(now) else ""
        if header_key(there) != header_key(saved.headers[name]):
            changes.append(
                {
                    "field": name,
                    "column": column_letter(column),
                    "saved": saved.headers[name],
                    "now": there,
                }
            )
    return changes


SAMPLES = 3  # values shown under each column on the mapping page
SAMPLE_ROWS = 200  # rows below the header searched for them
SAMPLE_CHARS = 40
_LONG_DIGITS = re.compile(r"\d{8,}")


def samples(sheet: Sheet, mapping: Mapping, width: int) -> list[list[str]]:
    """Up to three values of each column below the header, for the operator to see what
    a column holds; long digit runs (No. KK, NIK) are shown by their first four digits."""
    found: list[list[str]] = [[] for _ in range(width)]
    for cells in sheet.rows[mapping.header_row : mapping.header_row + SAMPLE_ROWS]:
        for column, cell in enumerate(cells[:width]):
            text = clean_text(cell)
            if text and len(found[column]) < SAMPLES:
                text = _LONG_DIGITS.sub(lambda m: m.group(0)[:4] + "\u2026", text)
                found[column].append(text[:SAMPLE_CHARS])
    return found


def _duplicate_columns(
    header: Band, duplicates: dict[str, list[int]], row: int, sheet: str
) -> list[Problem]:
    """A field headed twice (battery SS-05): which column holds it is anybody's guess, so
    the file is refused naming both columns, rather than the first silently read."""
    problems = []
    for name, columns in duplicates.items():
        first = columns[0]
        for column in columns[1:]:
            problems.append(
                Problem(
                    "import.duplicate_column",
                    row=row,
                    column=column_letter(column),
                    value=header.text(column),
                    sheet=sheet,
                    params={
                        "field": name,
                        "first": column_letter(first),
                        "first_header": header.text(first),
                        "second": column_letter(column),
                        "second_header": header.text(column),
                    },
                )
            )
    return problems


def foreign_columns(sheet: Sheet, mapping: Mapping, iset: IndicatorSet) -> list[Problem]:
    """Columns not read that are headed as another department's indicator and hold
    something below the header: figures this department may not send (a file-level
    error naming the column, its header, the indicator and its department)."""
    if not iset.foreign:
        return []
    header = header_texts(sheet, mapping)
    aliases = {header_key(alias): item for item in reversed(iset.foreign) for alias in item.aliases}
    read = set(mapping.columns.values())
    problems = []
    for column, cell in enumerate(header):
        item = aliases.get(header_key(cell))
        if item is None or column in read or not _holds_values(sheet, mapping, column):
            continue
        problems.append(
            Problem(
                "import.other_department_column",
                row=mapping.header_row,
                column=column_letter(column),
                value=cell,
                sheet=sheet.name,
                params={"indicator": item.indicator, "department": item.department.upper()},
            )
        )
    return problems


def _holds_values(sheet: Sheet, mapping: Mapping, column: int) -> bool:
    """True if any cell of the column below the header is filled."""
    return any(
        column < len(cells) and not is_blank(cells[column])
        for cells in sheet.rows[mapping.header_row :]
    )


def category_values(sheet: Sheet, mapping: Mapping, limit: int = 100) -> list[str]:
    """The distinct category texts below the header (folded), for the operator to map."""
    column = mapping.columns.get("category")
    if column is None:
        return []
    return sorted(_folded(sheet.rows[mapping.header_row :], column) - {""})[:limit]


def suggest_values(sheet: Sheet, mapping: Mapping, iset: IndicatorSet) -> dict[str, str]:
    """The category texts below the header that match a category's aliases."""
    return _suggest_values(sheet.rows[mapping.header_row :], mapping.columns["category"], iset)


def _folded(rows: list[list], column: int) -> set[str]:
    """The distinct texts of a column, folded (cells repeat: each is folded once)."""
    return {fold_value(cell) for cell in {row[column] for row in rows if column < len(row)}}


def _suggest_values(rows: list[list], column: int, iset: IndicatorSet) -> dict[str, str]:
    """Each distinct category text that matches a category's aliases."""
    known = {
        fold_value(alias): category
        for category, names in iset.categories.items()
        for alias in names
    }
    return {text: known[text] for text in sorted(_folded(rows, column)) if text in known}


@dataclass
class Outcome:
    """What the rows of a file add up to, and everything found wrong on the way."""

    values: dict[tuple[int, str], int] = field(default_factory=dict)  # (RT id, indicator)
    rows_read: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    problems: list[Problem] = field(default_factory=list)
    covered: list[str] = field(default_factory=list)  # kelurahan codes with accepted rows

    @property
    def rows_accepted(self) -> int:
        """Rows that counted."""
        return self.rows_read - self.rows_rejected


class _Row:
    """One data row being checked: its cells, Excel row number and problems."""

    __slots__ = ("cells", "number", "problems", "sheet", "columns")

    def __init__(self, cells: list, number: int, sheet: str, columns: dict[str, int]):
        self.cells, self.number, self.sheet, self.columns = cells, number, sheet, columns
        self.problems: list[Problem] = []

    def get(self, name: str) -> object:
        column = self.columns.get(name)
        return self.cells[column] if column is not None and column < len(self.cells) else ""

    def fail(self, code: str, name: str, severity: str = "error", **params) -> None:
        column = self.columns.get(name)
        value = "" if name in PERSONAL_FIELDS else clean_text(self.get(name))[:100]
        self.problems.append(
            Problem(
                code,
                row=self.number,
                column=column_letter(column) if column is not None else None,
                value=value,
                sheet=self.sheet,
                params=params,
                severity=severity,
            )
        )

    @property
    def rejected(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


class _Resolver:
    """Kelurahan and RT lookups, cached by the raw text (a city file repeats them a lot)."""

    def __init__(self, index: AreaIndex):
        self.index = index
        self.city = next(iter(index.kelurahan), "")[:5].replace(".", "")  # 35.78 → 3578
        self.cache: dict[tuple, tuple[str | None, str | None]] = {}
        self.numbers: dict[tuple, str | None] = {}

    def kelurahan(self, row: _Row) -> str | None:
        key = (row.get("kelurahan_code"), row.get("kelurahan"), row.get("kecamatan"))
        kecamatan_code = row.get("kecamatan_code")
        bps = bps_code(key[0], kecamatan_code, self.city) if not is_blank(key[0]) else None
        if bps is not None:  # a BPS code: through the crosswalk the walidata loaded
            codes = self.index.kelurahan_by_name.get(compact(BPS_ALIAS_PREFIX + bps), ())
            if not codes:
                row.fail("import.bps_code", "kelurahan_code", bps=bps)
            return codes[0] if codes else None
        if key not in self.cache:
            self.cache[key] = self._resolve(*key)
        code, problem = self.cache[key]
        if problem:
            if problem == "import.unknown_kelurahan":  # a code: in its column, or the name's
                by_code = "kelurahan_code" in row.columns and not is_blank(
                    row.get("kelurahan_code")
                )
            else:
                by_code = "kelurahan" not in row.columns
            row.fail(problem, "kelurahan_code" if by_code else "kelurahan")
        return code

    def _resolve(self, raw_code, raw_name, raw_kecamatan) -> tuple[str | None, str | None]:
        if is_blank(raw_code) and is_blank(raw_name):
            return None, "import.missing_kelurahan"
        if is_blank(raw_code) and kelurahan_code(raw_name) is not None:
            raw_code = raw_name  # a code written in the kelurahan column
        if not is_blank(raw_code):
            code = kelurahan_code(raw_code)
            if code is None or code not in self.index.kelurahan:
                return None, "import.unknown_kelurahan"
            named = self.index.kelurahan_by_name.get(compact(raw_name), ()) if raw_name else ()
            if named and code not in named:
                # The name is another kelurahan's (SS-09): which one did the department
                # mean? Neither is guessed. A name the register does not know is left to the
                # code, which is exact.
                return None, "import.kelurahan_mismatch"
            return code, None
        candidates = self.index.kelurahan_by_name.get(compact(raw_name), ())
        if not candidates:
            return None, "import.unknown_kelurahan_name"
        if len(candidates) > 1:
            kecamatan = compact(raw_kecamatan)
            candidates = tuple(c for c in candidates if self.index.kelurahan[c] == kecamatan)
            if len(candidates) != 1:
                return None, "import.ambiguous_kelurahan"
        return candidates[0], None

    def number(self, raw: object) -> str | None:
        """``area_number``, remembered per distinct cell value (a city file repeats them)."""
        key = (type(raw), raw)
        if key not in self.numbers:
            self.numbers[key] = area_number(raw)
        return self.numbers[key]

    def rt(self, row: _Row, kelurahan: str | None) -> int | None:
        if "rt_rw" in row.columns and not is_blank(row.get("rt_rw")):
            rt, rw, problem = rt_rw_in_text(row.get("rt_rw"), bare=True)
            rt_field = rw_field = "rt_rw"
            if problem:
                row.fail(problem, "rt_rw")
                return None
        elif "rt_text" in row.columns and "rw" not in row.columns:
            rt, rw, problem = rt_rw_in_text(row.get("rt_text"))
            rt_field = rw_field = "rt_text"
            if problem:
                row.fail(problem, "rt_text")
                return None
        else:
            rt, rw = self.number(row.get("rt")), self.number(row.get("rw"))
            rt_field, rw_field = "rt", "rw"
        if rw is None:
            row.fail("import.bad_number", rw_field, field="rw")
        if rt is None:
            row.fail("import.bad_number", rt_field, field="rt")
        if kelurahan is None or rt is None or rw is None:
            return None
        rt_id = self.index.rt_ids.get(f"{kelurahan}.{rw}.{rt}")
        if rt_id is None:
            row.fail("import.unknown_rt", rt_field, rt=rt, rw=rw, kelurahan=kelurahan)
        return rt_id


def _count_cell(row: _Row, name: str) -> int | None:
    """A count column: ``-`` or empty is zero (reported); anything not a count is an error."""
    raw = row.get(name)
    if isinstance(raw, str) and clean_text(raw) in BLANK_AS_ZERO:
        row.fail("import.blank_as_zero", name, severity="warning")
        return 0
    value = count(raw)
    if value is None:
        row.fail("import.bad_count", name)
    return value


PROGRESS_EVERY = 20_000


def run(
    sheet: Sheet,
    mapping: Mapping,
    iset: IndicatorSet,
    index: AreaIndex,
    progress: Callable[[int], None] | None = None,
    special_cells: Callable[[], dict[tuple[int, int], str]] | None = None,
    period: str | None = None,
    today: date | None = None,
) -> Outcome:
    """Check every row below the header and add up the figures per RT.

    ``period`` (like ``2026-10``) is needed by a person file's age rules: ages are whole
    years on its last day; ``today`` (default: the system's date) bounds birth dates.

    ``special_cells`` gives the cells the reader saw as empty that hold a formula
    without a saved result or an error value (``spreadsheets.special_cells``); it is
    asked only when a row has an empty cell in a column the import reads, and each such
    cell is an error (battery SS-03: never silently zero).

    Each row takes the fast path (``_FastPath``) when every cell in it is one already
    judged clean; any other row goes through the full checks (``_check_row``), which give
    the same answer for clean rows and place every problem. ``progress`` is called with the
    number of rows checked every ``PROGRESS_EVERY`` rows.
    """
    outcome = Outcome()
    resolver = _Resolver(index)
    sums: dict[tuple[int, str], int] = defaultdict(int)
    first_seen: dict[str, int] = {}
    labels: dict[str, str | None] = {}  # a first cell's text → its row_label, judged once
    left_out: dict[str, list[tuple[int, list]]] = {"total": [], "subtotal": [], "note": []}
    covered: set[str | None] = set()
    typed: list[int] = []  # rows whose No. KK is a number (one warning for the column)
    persons = None
    if iset.shape == "person":
        persons = PersonCounter(iset, mapping.columns, period, today or date.today())
    fast = _FastPath(mapping, iset, resolver, sheet.name, persons)
    specials: dict = {}  # special_cells(), once asked
    for offset, cells in enumerate(sheet.rows[mapping.header_row :]):
        if progress and offset and offset % PROGRESS_EVERY == 0:
            progress(offset)
        first = first_filled(cells)
        if first is None:
            continue
        number = mapping.header_row + 1 + offset
        if type(first) is str:
            kind = _row_kind(first, cells, labels)
            if kind is not None:
                left_out[kind].append((number, cells))
                continue
        outcome.rows_read += 1
        clean = fast.contributions(cells, first_seen, number)
        if clean is not None:
            rt_id, kelurahan, contributions = clean
            covered.add(kelurahan)
            for indicator, value in contributions:
                sums[(rt_id, indicator)] += value
            continue
        row = _Row(cells, number, sheet.name, mapping.columns)
        if special_cells is not None and _special(row, special_cells, specials):
            outcome.rows_rejected += 1
            outcome.problems.extend(row.problems)
            continue
        kelurahan = resolver.kelurahan(row)
        rt_id = resolver.rt(row, kelurahan)
        if iset.shape == "household":
            values = _household(row, iset, mapping, first_seen, typed)
        elif persons is not None:
            values = persons.check(row, rt_id)
        else:
            values = _per_rt(row, iset, rt_id, first_seen)
        if row.rejected:
            outcome.rows_rejected += 1
        else:
            covered.add(kelurahan)  # only an accepted row speaks for its kelurahan
            outcome.rows_warned += bool(row.problems)
            for indicator, value in values.items():
                sums[(rt_id, indicator)] += value
        outcome.problems.extend(row.problems)
    if persons is not None:
        for key, value in persons.totals().items():
            sums[key] += value
        outcome.problems.extend(persons.problems(sheet.name, number_ranges))
    if iset.shape in ("household", "person"):  # a list speaks for every RT of its kelurahan
        for code in covered - {None}:
            for rt_id in index.rts_by_kelurahan.get(code, ()):
                for indicator in iset.indicators:
                    sums[(rt_id, indicator)] += 0
    outcome.values = dict(sums)
    outcome.covered = sorted(covered - {None})
    # The last grand total states the sheet's figures; bare JUMLAH rows before it can
    # only be totals of the parts above them, like JUMLAH RW 001.
    grand = left_out["total"]
    outcome.problems.extend(_check_totals(grand[-1:], sheet, mapping, iset, outcome))
    subtotals = sorted(number for number, _cells in left_out["subtotal"] + grand[:-1])
    notes = [number for number, _cells in left_out["note"]]
    outcome.problems.extend(_left_out(sheet, subtotals, notes))
    outcome.problems.extend(_typed_numbers(sheet, mapping, typed))
    outcome.problems.extend(_hidden(sheet, mapping, labels))
    return outcome


def commit_blocker(rows_accepted: int, rows_rejected: int) -> str | None:
    """Why a dry run may not be committed whatever its plan: no row accepted, or more rows
    rejected than accepted (the file is more likely misread than mostly right); else None."""
    if rows_accepted == 0:
        return "import.nothing_accepted"
    if rows_rejected > rows_accepted:
        return "import.mostly_rejected"
    return None


LABELS_KEPT = 10_000  # distinct first-cell texts whose row_label is remembered


def _row_kind(first: str, cells: list, labels: dict[str, str | None]) -> str | None:
    """``"total"``, ``"subtotal"`` or ``"note"`` for a row that holds no RT's figures
    (``spreadsheets.row_label`` of its first filled cell), None for a data row."""
    if first[0].isdigit():  # a code or a No. KK; no label starts with a digit
        return None
    kind = labels.get(first, _UNSEEN)
    if kind is _UNSEEN:
        kind = row_label(first)
        if len(labels) < LABELS_KEPT:  # names repeat; a column of unique texts must not
            labels[first] = kind  # fill the memory
    if kind == "note?":  # a note word without a colon: a note only when alone in the row
        return "note" if sum(not is_blank(cell) for cell in cells) == 1 else None
    return kind


def _left_out(sheet: Sheet, subtotals: list[int], notes: list[int]) -> list[Problem]:
    """Subtotal and notes rows, each kind reported once (SS-07): they are not data, and
    reading them as RT rows gave three misleading errors each."""
    problems = []
    for code, numbers in (("import.subtotal_rows", subtotals), ("import.note_rows", notes)):
        if numbers:
            problems.append(
                Problem(
                    code,
                    sheet=sheet.name,
                    severity="warning",
                    params={"count": len(numbers), "rows": number_ranges(numbers)},
                )
            )
    return problems


def _typed_numbers(sheet: Sheet, mapping: Mapping, typed: list[int]) -> list[Problem]:
    """One warning for a No. KK column typed as numbers: the rows counted, but Excel
    keeps 15 digits of a number, so two families may have come to look alike (and are
    then counted once, each such row warned as a duplicate)."""
    if not typed:
        return []
    column = mapping.columns["household_id"]
    return [
        Problem(
            "import.household_id_numbers",
            column=column_letter(column),
            sheet=sheet.name,
            value="",
            severity="warning",
            params={"count": len(typed), "rows": number_ranges(typed)},
        )
    ]


def hidden_sheets(sheets: list[Sheet]) -> list[Problem]:
    """The workbook's hidden sheets, named once: they are never read (SS-06), and the
    operator should know that what they hold is not in the upload."""
    names = [sheet.name for sheet in sheets if not sheet.visible]
    if not names:
        return []
    shown = ", ".join(f'"{name}"' for name in names)
    return [Problem("import.hidden_sheets", severity="warning", params={"sheets": shown})]


LISTED_RANGES = 10  # row ranges named in a report; the count says how many there are


def _hidden(sheet: Sheet, mapping: Mapping, labels: dict[str, str | None]) -> list[Problem]:
    """Hidden rows below the header that were read, and hidden columns that were read,
    each reported once (SS-06): they count like any other, which the operator may not
    expect of rows Excel does not show."""
    problems = []
    rows = [
        number
        for first, last in sheet.hidden_rows
        for number in range(max(first, mapping.header_row + 1), min(last, len(sheet.rows)) + 1)
        if _is_data_row(sheet.rows[number - 1], labels)
    ]
    if rows:
        problems.append(
            Problem(
                "import.hidden_rows",
                sheet=sheet.name,
                severity="warning",
                params={"count": len(rows), "rows": number_ranges(rows)},
            )
        )
    read = sorted({column: name for name, column in mapping.columns.items()}.items())
    hidden = [
        f"{column_letter(column)} ({mapping.headers.get(name) or name})"
        for column, name in read
        if any(first <= column <= last for first, last in sheet.hidden_columns)
    ]
    if hidden:
        problems.append(
            Problem(
                "import.hidden_columns",
                sheet=sheet.name,
                severity="warning",
                params={"columns": ", ".join(hidden)},
            )
        )
    return problems


def _is_data_row(cells: list, labels: dict[str, str | None]) -> bool:
    """True for a row ``run`` reads as data: not blank, not a totals or notes row."""
    first = first_filled(cells)
    return first is not None and not (type(first) is str and _row_kind(first, cells, labels))


def number_ranges(numbers: list[int], limit: int = LISTED_RANGES) -> str:
    """Ascending numbers as ranges, ``5–9, 14, 20–22``; after ``limit`` ranges, ``…``."""
    ranges: list[list[int]] = []
    for number in numbers:
        if ranges and ranges[-1][1] + 1 == number:
            ranges[-1][1] = number
        else:
            ranges.append([number, number])
    text = ", ".join(
        str(first) if first == last else f"{first}\u2013{last}" for first, last in ranges[:limit]
    )
    return text + ", \u2026" if len(ranges) > limit else text


def _special(row: _Row, special_cells: Callable[[], dict], specials: dict) -> bool:
    """Fail the row for each empty-looking cell it reads that holds a formula without a
    saved result or an error value; True if there was one."""
    for name, column in row.columns.items():
        if column < len(row.cells) and row.cells[column] == "":
            if "cells" not in specials:
                specials["cells"] = special_cells()
            kind = specials["cells"].get((row.number, column))
            if kind == "formula":
                row.fail("import.formula_without_value", name)
            elif kind:
                row.fail("import.error_value", name, error=kind)
    return bool(row.problems)


def _cells_of(columns: list[int]) -> Callable[[list], tuple]:
    """A fast getter of these columns' cells as a tuple (``itemgetter`` returns a bare
    cell for one column)."""
    if len(columns) == 1:
        return lambda cells: (cells[columns[0]],)
    return itemgetter(*columns)


_UNSEEN = object()  # a cache miss (None is a remembered answer)
_AREA_FIELDS = (
    "kelurahan_code",
    "kelurahan",
    "kecamatan",
    "kecamatan_code",
    "rt_rw",
    "rt_text",
    "rt",
    "rw",
)


class _FastPath:
    """The rows a city file is made of, judged by the distinct values in them.

    A million-row family list holds a few thousand distinct (kelurahan, RW, RT) cells, a
    handful of category spellings and a few member counts. Each distinct value is judged
    once by the full checks and remembered if it is clean; a row whose every cell is
    remembered clean is counted without building anything. ``contributions`` returns None
    for any other row, which then goes through the full checks, so a problem is always
    found and placed by the same code.
    """

    def __init__(
        self,
        mapping: Mapping,
        iset: IndicatorSet,
        resolver: _Resolver,
        sheet: str,
        persons: PersonCounter | None = None,
    ):
        columns = mapping.columns
        self.mapping, self.iset, self.resolver, self.sheet = mapping, iset, resolver, sheet
        self.persons = persons
        self.household = iset.shape == "household"
        self.width = max(columns.values()) + 1
        self.area_cells = _cells_of([columns[n] for n in _AREA_FIELDS if n in columns])
        self.areas: dict[tuple, tuple[int, str] | None] = {}
        # With separate RT and RW columns the key is the kelurahan cells plus the two
        # numbers (``1``, ``01``, ``RT 001`` are one RT), so every RT is judged once.
        place = [
            columns[n]
            for n in ("kelurahan_code", "kelurahan", "kecamatan", "kecamatan_code")
            if n in columns
        ]
        self.by_numbers = "rt_rw" not in columns and "rt" in columns and "rw" in columns and place
        if self.by_numbers:
            self.place_cells = _cells_of(place)
            self.rt_column, self.rw_column = columns["rt"], columns["rw"]
        self.categories: dict[tuple, str | None] = {}
        self.counts: dict[tuple, int | None] = {}
        self.family_values: dict[tuple[str, int], tuple[tuple[str, int], ...]] = {}
        self.household_column = columns.get("household_id")
        self.category_column = columns.get("category")
        self.members_column = columns.get("members")
        self.by_category: dict[str, list[tuple[str, bool]]] = defaultdict(list)
        for rule in iset.rules:
            if rule.count is not None:
                self.by_category[rule.count].append((rule.indicator, False))
            elif rule.sum and rule.where is not None:
                self.by_category[rule.where].append((rule.indicator, True))
        self.rt_columns = [
            (rule.indicator, columns[rule.indicator])
            for rule in iset.rules
            if rule.indicator in columns
        ]

    def contributions(
        self, cells: list, first_seen: dict[str, int], number: int
    ) -> tuple[int, str, list[tuple[str, int]]] | None:
        """(RT id, kelurahan, [(indicator, value)]) of a clean row, or None."""
        if len(cells) < self.width:
            return None
        if self.by_numbers:
            numbers = self.resolver.numbers
            raw = self.place_cells(cells)
            rt, rw = cells[self.rt_column], cells[self.rw_column]
            key = (
                raw,
                tuple(map(type, raw)),
                numbers.get((type(rt), rt), _UNSEEN),
                numbers.get((type(rw), rw), _UNSEEN),
            )
            if _UNSEEN in key:  # a spelling not met before: remember its number first
                self.resolver.number(rt), self.resolver.number(rw)
                return self.contributions(cells, first_seen, number)
        else:
            raw = self.area_cells(cells)
            key = (raw, tuple(map(type, raw)))
        area = self.areas.get(key, _UNSEEN)
        if area is _UNSEEN:
            area = self.areas[key] = self._judge_area(cells)
        if area is None:
            return None
        rt_id, kelurahan = area
        if self.persons is not None:
            values = self.persons.fast(cells, rt_id, number)
        elif self.household:
            values = self._family(cells, first_seen, number)
        else:
            values = self._rt(cells, rt_id, first_seen, number)
        return None if values is None else (rt_id, kelurahan, values)

    def _family(self, cells: list, first_seen: dict[str, int], number: int):
        household = cells[self.household_column]
        # Digits only: clean_text changes nothing and it cannot be 3.57E+15 written out.
        if type(household) is not str or not (household.isdigit() and household.isascii()):
            return None
        if household in first_seen:
            return None
        raw = cells[self.category_column]
        category = self.categories.get((raw, type(raw)), _UNSEEN)
        if category is _UNSEEN:
            category = self._category(raw)
        if category is None:
            return None
        members = 0
        if self.members_column is not None:
            raw = cells[self.members_column]
            members = self.counts.get((raw, type(raw)), _UNSEEN)
            if members is _UNSEEN:
                members = self._count(raw)
            if members is None:
                return None
        first_seen[household] = number
        values = self.family_values.get((category, members))
        if values is None:
            values = self.family_values[(category, members)] = tuple(
                (indicator, members if is_sum else 1)
                for indicator, is_sum in self.by_category.get(category, ())
            )
        return values

    def _rt(self, cells: list, rt_id: int, first_seen: dict[str, int], number: int):
        if len(self.rt_columns) != len(self.iset.rules) or str(rt_id) in first_seen:
            return None
        values = []
        for indicator, column in self.rt_columns:
            value = self._count(cells[column])
            if value is None:
                return None
            values.append((indicator, value))
        if self.iset.checks and _broken_checks(self.iset, dict(values)):
            return None
        first_seen[str(rt_id)] = number
        return values

    def _judge_area(self, cells: list) -> tuple[int, str] | None:
        row = _Row(cells, 0, self.sheet, self.mapping.columns)
        kelurahan = self.resolver.kelurahan(row)
        rt_id = self.resolver.rt(row, kelurahan)
        if row.problems or rt_id is None or kelurahan is None:
            return None
        return rt_id, kelurahan

    def _category(self, raw: object) -> str | None:
        key = (raw, type(raw))
        if key not in self.categories:
            self.categories[key] = self.mapping.values.get(fold_value(raw))
        return self.categories[key]

    def _count(self, raw: object) -> int | None:
        """A count that the full checks accept without a word; None for anything else."""
        key = (raw, type(raw))
        if key not in self.counts:
            blank = isinstance(raw, str) and clean_text(raw) in BLANK_AS_ZERO
            self.counts[key] = None if blank or raw is None else count(raw)
        return self.counts[key]


def _household(
    row: _Row,
    iset: IndicatorSet,
    mapping: Mapping,
    first_seen: dict[str, int],
    typed: list[int] | None = None,
) -> dict[str, int]:
    """One family: its category and members, counted once per No. KK.

    A No. KK typed as a number (as most exports hold it) counts like text, by its value
    as given; its row number goes to ``typed`` for one warning on the column. Only text
    in scientific notation (``3.57807E+15``, a CSV saved from such a column) has lost its
    digits and is rejected."""
    raw_id = row.get("household_id")
    household = clean_text(raw_id)
    if isinstance(raw_id, float | int) and not isinstance(raw_id, bool) and typed is not None:
        typed.append(row.number)
    if _SCIENTIFIC.match(household):
        row.fail("import.long_number", "household_id")
    elif not household:
        row.fail("import.missing_value", "household_id", field="household_id")
    elif household in first_seen:
        row.fail(
            "import.duplicate_household",
            "household_id",
            severity="warning",
            first_row=first_seen[household],
        )
        return {}
    category = mapping.values.get(fold_value(row.get("category")))
    if category is None:
        row.fail("import.unknown_category", "category")
    members = _count_cell(row, "members") if "members" in mapping.columns else 0
    if row.rejected:
        return {}
    first_seen[household] = row.number
    values = {}
    for rule in iset.rules:
        if rule.count is not None and rule.count == category:
            values[rule.indicator] = 1
        elif rule.sum and rule.where == category:
            values[rule.indicator] = members or 0
    return values


def _per_rt(
    row: _Row, iset: IndicatorSet, rt_id: int | None, first_seen: dict[str, int]
) -> dict[str, int]:
    """One RT's counts, taken as they are; the same RT twice is an error."""
    values = {}
    for rule in iset.rules:
        value = _count_cell(row, rule.indicator)
        if value is not None:
            values[rule.indicator] = value
    for check in _broken_checks(iset, values):
        row.fail(
            "import.more_than_parts",
            check.at_most,
            total=sum(values[name] for name in check.sum_of),
            parts=" + ".join(
                column_letter(row.columns[name]) for name in check.sum_of if name in row.columns
            ),
        )
    if rt_id is not None:
        key = str(rt_id)
        if key in first_seen:
            row.fail("import.duplicate_rt", "rt", first_row=first_seen[key])
        elif not row.rejected:
            first_seen[key] = row.number
    return values


def _broken_checks(iset: IndicatorSet, values: dict[str, int]) -> list:
    """The set's cross-column rules a row's counts break (SS-10)."""
    return [
        check
        for check in iset.checks
        if check.at_most in values
        and all(name in values for name in check.sum_of)
        and values[check.at_most] > sum(values[name] for name in check.sum_of)
    ]


def _check_totals(
    totals, sheet: Sheet, mapping: Mapping, iset: IndicatorSet, outcome: Outcome
) -> list[Problem]:
    """A stated total (JUMLAH/TOTAL row) that differs from what the rows add up to."""
    problems = []
    computed: dict[str, int] = defaultdict(int)
    for (_rt, indicator), value in outcome.values.items():
        computed[indicator] += value
    for number, cells in totals:
        for name, column in mapping.columns.items():
            if column >= len(cells) or is_blank(cells[column]):
                continue
            stated = count(cells[column])
            if iset.shape == "rt" and name in iset.indicators:
                expected = computed[name]
            elif iset.shape == "household" and name == "household_id":
                expected = outcome.rows_read
            else:
                continue
            if stated != expected:
                problems.append(
                    Problem(
                        "import.total_mismatch",
                        row=number,
                        column=column_letter(column),
                        sheet=sheet.name,
                        value=clean_text(cells[column]),
                        severity="warning",
                        params={"stated": stated, "computed": expected},
                    )
                )
    return problems


@dataclass(frozen=True)
class Change:
    """One RT figure the upload would write."""

    rt_id: int
    indicator: str
    old: int | None
    new: int


@dataclass
class Plan:
    """What a commit would do to the figures in force."""

    new: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)  # largest changes first
    unchanged: int = 0
    removed: list[tuple[int, str]] = field(default_factory=list)  # in force, not in the file

    @property
    def is_noop(self) -> bool:
        """True when committing would change nothing."""
        return not (self.new or self.changed or self.removed)


def removed_by_kelurahan(removed: list[tuple[int, str]], rt_codes: dict[int, str]) -> dict:
    """The figures in force a commit would remove, per kelurahan code: how many RTs and
    figures (the dry run lists them as a warning; the commit asks for a confirmation)."""
    rts: dict[str, set[int]] = defaultdict(set)
    figures: dict[str, int] = defaultdict(int)
    for rt_id, _indicator in removed:
        kelurahan = rt_codes.get(rt_id, "").rsplit(".", 2)[0]
        rts[kelurahan].add(rt_id)
        figures[kelurahan] += 1
    return {code: {"rts": len(rts[code]), "figures": figures[code]} for code in sorted(rts)}


def plan(values: dict[tuple[int, str], int], current: dict[tuple[int, str], int]) -> Plan:
    """Compare the file's figures with the ones in force."""
    result = Plan()
    for (rt_id, indicator), new in values.items():
        old = current.get((rt_id, indicator))
        if old is None:
            result.new.append(Change(rt_id, indicator, None, new))
        elif old != new:
            result.changed.append(Change(rt_id, indicator, old, new))
        else:
            result.unchanged += 1
    result.changed.sort(key=lambda c: (-abs(c.new - c.old), c.rt_id, c.indicator))
    result.removed = sorted(key for key in current if key not in values)
    return result
