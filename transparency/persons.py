"""Person files (one row per resident, the SIAK layout): status, birth date and age rules.

Pure, used by ``importing.run`` for sets of shape "person". A row counts when its status
is a counted one (Hidup) where the file has a status column; it adds one to each
``persons`` rule whose age band holds the person's age on the period's last day, and its
No. KK to each ``distinct`` rule's set of that RT. The NIK and the name are never read;
a birth date is read to compute an age and dropped, a No. KK is kept in memory only to
count families once, and neither is ever echoed in a problem or kept.
"""

import calendar
import re
from collections import defaultdict
from datetime import date, datetime

from transparency.codes import clean_text, is_blank
from transparency.indicator_sets import IndicatorSet, Rule
from transparency.problems import Problem

EARLIEST_BIRTH = date(1900, 1, 1)
_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")  # 31-12-1960, 31/12/1960
_YEAR_FIRST = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")  # 1960-12-31
_SCIENTIFIC = re.compile(r"^\d+([.,]\d+)?E\+?\d+$", re.IGNORECASE)
DATES_KEPT = 100_000  # distinct birth-date cells whose verdict is remembered
_UNSEEN = object()


def period_end(period: str) -> date:
    """The last day of a month period like ``2026-10``."""
    year, month = (int(part) for part in period.split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_date(raw: object) -> date | None:
    """A date cell, or text ``dd-mm-yyyy``, ``dd/mm/yyyy`` or ``yyyy-mm-dd``; None for
    anything else (a bare number is not read as a date: it may be anything)."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if type(raw) is not str:
        return None
    text = clean_text(raw)
    match = _DAY_FIRST.match(text)
    if match:
        day, month, year = match.groups()
    else:
        match = _YEAR_FIRST.match(text)
        if not match:
            return None
        year, month, day = match.groups()
    try:
        return date(int(year), int(month), int(day))
    except ValueError:  # 31-02-1960
        return None


def age_on(born: date, day: date) -> int:
    """Whole years from ``born`` to ``day``: one more on each birthday; someone born on
    29 February turns a year older on 1 March in a year without one."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def in_band(rule: Rule, age: int | None) -> bool:
    """True if the rule counts a person of this age (every age when it has no band)."""
    if not rule.by_age:
        return True
    return (rule.age_from is None or age >= rule.age_from) and (
        rule.age_to is None or age <= rule.age_to
    )


def person_fields(iset: IndicatorSet) -> list[str]:
    """The fields a person file cannot be read without, besides the area."""
    fields = sorted({rule.distinct for rule in iset.rules if rule.distinct})
    if any(rule.by_age for rule in iset.rules):
        fields.append("birth_date")
    return fields


class PersonCounter:
    """The counting state of one person file: distinct values per RT, and the rows left
    out (a status not counted, born after the period's last day), reported once each."""

    def __init__(
        self, iset: IndicatorSet, columns: dict[str, int], period: str | None, today: date
    ):
        self.needs_age = any(rule.by_age for rule in iset.rules)
        if self.needs_age and not period:
            raise ValueError("a person file's age rules need the period")
        self.on = period_end(period) if period else None
        self.today = today
        self.counted = frozenset(" ".join(s.upper().split()) for s in iset.statuses_counted)
        self.left = frozenset(" ".join(s.upper().split()) for s in iset.statuses_left_out)
        self.rules, self.columns = iset.rules, columns
        self.status_column = columns.get("status")
        self.birth_column = columns.get("birth_date") if self.needs_age else None
        self.distinct_fields = sorted({rule.distinct for rule in iset.rules if rule.distinct})
        self.distinct_columns = [columns[name] for name in self.distinct_fields]
        self.distinct: dict[tuple[int, str], set[str]] = defaultdict(set)
        self.left_out: dict[str, list[int]] = defaultdict(list)  # status → Excel rows
        self.unborn: list[int] = []  # born after the period's last day
        self.statuses: dict[object, bool | None] = {}  # raw cell → counted, left out, unknown
        self.ages: dict[object, tuple | None] = {}  # raw cell → _values, None if not clean
        self.by_age: dict[int | None, tuple[tuple, tuple]] = {}

    # ------------------------------------------------------------ the fast path
    # The caches are keyed by the raw cell alone: a number cell (where 1 == 1.0 == True)
    # is neither a status nor a date, so cells equal across types share their verdict.

    def fast(self, cells: list, rt_id: int, number: int) -> tuple | None:
        """The (indicator, 1) pairs of a clean row whose every cell was met before, or
        None for the full checks (``check``)."""
        column = self.status_column
        if column is not None:
            raw = cells[column]
            status = self.statuses.get(raw, _UNSEEN)
            if status is _UNSEEN:
                status = self._status(raw)
            if status is not True:
                if status is None:
                    return None
                self.left_out[self._folded(raw)].append(number)  # Mati, Pindah …: left out
                return ()
        column = self.birth_column
        if column is not None:
            raw = cells[column]
            values = self.ages.get(raw, _UNSEEN)
            if values is _UNSEEN:
                values = self._age(raw)
            if values is None:
                return None
        else:
            values = self._values(None)
        for column in self.distinct_columns:
            value = cells[column]
            # Digits only: clean_text changes nothing and it cannot be 3.57E+15 written out.
            if type(value) is not str or not (value.isdigit() and value.isascii()):
                return None
        persons, distinct = values
        for indicator, column in distinct:
            self.distinct[(rt_id, indicator)].add(cells[column])
        return persons

    @staticmethod
    def _folded(raw: object) -> str:
        return " ".join(clean_text(raw).upper().split())

    def _status(self, raw: object) -> bool | None:
        """True for a counted status, False for a left-out one, None for anything else."""
        text = self._folded(raw)
        status = True if text in self.counted else False if text in self.left else None
        if len(self.statuses) < DATES_KEPT:
            self.statuses[raw] = status
        return status

    def _age(self, raw: object) -> tuple | None:
        """``_values`` of the age of a birth-date cell the full checks accept without a
        word; None for any other cell."""
        born = parse_date(raw)
        values = None
        if born is not None and EARLIEST_BIRTH <= born <= min(self.on, self.today):
            values = self._values(age_on(born, self.on))
        if len(self.ages) < DATES_KEPT:
            self.ages[raw] = values
        return values

    def _values(self, age: int | None) -> tuple:
        """The persons rules and the distinct rules (with the column of their field) that
        count a person of this age."""
        values = self.by_age.get(age)
        if values is None:
            persons = tuple((r.indicator, 1) for r in self.rules if r.persons and in_band(r, age))
            distinct = tuple(
                (r.indicator, self.columns[r.distinct])
                for r in self.rules
                if r.distinct and in_band(r, age)
            )
            values = self.by_age[age] = (persons, distinct)
        return values

    # ------------------------------------------------------------ the full checks

    def check(self, row, rt_id: int | None) -> dict[str, int]:
        """One person row through every check (``row`` is an ``importing._Row``): its
        problems are placed on it, and a clean row's figures returned or remembered."""
        if "status" in row.columns:
            raw = row.get("status")
            status = self._status(raw)
            if is_blank(raw):
                row.fail("import.missing_value", "status", field="status")
            elif status is None:
                row.fail("import.unknown_status", "status", statuses=self._known())
            elif status is False:
                if not row.rejected:
                    self.left_out[self._folded(raw)].append(row.number)
                return {}
        keys = {self.columns[name]: self._distinct_key(row, name) for name in self.distinct_fields}
        age, unborn = self._checked_age(row) if self.needs_age else (None, False)
        if row.rejected or rt_id is None:
            return {}
        if unborn:
            self.unborn.append(row.number)
            return {}
        persons, distinct = self._values(age)
        for indicator, column in distinct:
            self.distinct[(rt_id, indicator)].add(keys[column])
        return dict(persons)

    def _distinct_key(self, row, name: str) -> str:
        """A No. KK (or another field counted once), as the household shape checks it."""
        raw = row.get(name)
        text = clean_text(raw)
        if (isinstance(raw, float | int) and len(text) > 15) or _SCIENTIFIC.match(text):
            row.fail("import.long_number", name)
        elif not text:
            row.fail("import.missing_value", name, field=name)
        return text

    def _checked_age(self, row) -> tuple[int | None, bool]:
        """(age on the period's last day, born after that day) of a row's birth date."""
        raw = row.get("birth_date")
        if is_blank(raw):
            row.fail("import.missing_value", "birth_date", field="birth_date")
            return None, False
        born = parse_date(raw)
        if born is None:
            row.fail("import.bad_date", "birth_date")
        elif born < EARLIEST_BIRTH:
            row.fail("import.date_too_old", "birth_date")
        elif born > self.today:
            row.fail("import.future_date", "birth_date")
        elif born > self.on:
            return None, True
        else:
            return age_on(born, self.on), False
        return None, False

    def _known(self) -> str:
        return ", ".join(s.title() for s in (*sorted(self.counted), *sorted(self.left)))

    # ------------------------------------------------------------ the end

    def totals(self) -> dict[tuple[int, str], int]:
        """The distinct counts per (RT, indicator)."""
        return {key: len(values) for key, values in self.distinct.items()}

    def problems(self, sheet: str, ranges) -> list[Problem]:
        """One warning for the rows left out by status, one for those born after the
        period's last day (``ranges`` writes row numbers as ``5–9, 14``)."""
        problems = []
        if self.left_out:
            rows = sorted(n for numbers in self.left_out.values() for n in numbers)
            problems.append(
                Problem(
                    "import.status_left_out",
                    sheet=sheet,
                    severity="warning",
                    params={
                        "count": len(rows),
                        "statuses": ", ".join(
                            f"{status.title()} {len(numbers)}"
                            for status, numbers in sorted(self.left_out.items())
                        ),
                        "rows": ranges(rows),
                    },
                )
            )
        if self.unborn:
            problems.append(
                Problem(
                    "import.born_after_period",
                    sheet=sheet,
                    severity="warning",
                    params={
                        "count": len(self.unborn),
                        "day": self.on.strftime("%d-%m-%Y"),
                        "rows": ranges(self.unborn),
                    },
                )
            )
        return problems
