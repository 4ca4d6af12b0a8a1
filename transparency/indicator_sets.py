"""Indicator sets: what a department's file means. Pure definitions loaded from JSON.

An indicator set names a department, a shape ("household": one row per family, counted
per RT; "rt": one row per RT, taken as it is; "person": one row per resident, counted per
RT by rules such as the age on the period's last day), the header aliases of each column
it may have, and how rows become indicator values. ``seed/indicator_sets.json`` holds them.
"""

import csv
import json
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Rule:
    """How one indicator is computed: count a category, sum a field, or read a column; in
    a person file, count persons (``persons``) or the distinct values of a field
    (``distinct``, such as No. KK), of those aged ``age_from`` to ``age_to`` (whole years
    on the period's last day, both inclusive) when an age is given."""

    indicator: str
    count: str | None = None
    sum: str | None = None
    where: str | None = None
    column: tuple[str, ...] = ()
    persons: bool = False
    distinct: str | None = None
    age_from: int | None = None
    age_to: int | None = None

    @property
    def by_age(self) -> bool:
        """True when the rule counts only persons of an age band."""
        return self.age_from is not None or self.age_to is not None


@dataclass(frozen=True)
class Check:
    """A cross-column rule for one row of an RT file: ``at_most`` ≤ the sum of ``sum_of``."""

    at_most: str
    sum_of: tuple[str, ...]


@dataclass(frozen=True)
class ForeignIndicator:
    """Another department's indicator read from a column, and the headers it goes by: a
    file of this set holding such a column carries figures this department may not send."""

    indicator: str
    department: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class IndicatorSet:
    """A kind of department file."""

    code: str
    department: str
    shape: str
    name_id: str
    name_en: str
    fields: dict[str, tuple[str, ...]]
    categories: dict[str, tuple[str, ...]]
    rules: tuple[Rule, ...]
    personal: tuple[str, ...] = field(default=())
    checks: tuple[Check, ...] = field(default=())
    foreign: tuple[ForeignIndicator, ...] = field(default=())  # other departments' columns
    # indicator → (name in Indonesian, in English), from the catalogue beside the sets
    names: dict[str, tuple[str, str]] = field(default_factory=dict)
    # A person file's status column (optional): rows of a counted status (Hidup) count,
    # rows of a left-out one (Mati, Pindah …) are left out, any other value is an error.
    statuses_counted: tuple[str, ...] = field(default=())
    statuses_left_out: tuple[str, ...] = field(default=())

    @property
    def indicators(self) -> tuple[str, ...]:
        """The indicator codes this set produces, in order."""
        return tuple(rule.indicator for rule in self.rules)

    def match_names(self) -> dict[str, tuple[str, ...]]:
        """Each indicator's catalogue names, which a header may be written as too."""
        return {code: names for code, names in self.names.items() if code in self.indicators}

    def column_aliases(self) -> dict[str, tuple[str, ...]]:
        """Every field the header may hold, with its aliases (indicator columns included)."""
        aliases = dict(self.fields)
        for rule in self.rules:
            if rule.column:
                aliases[rule.indicator] = rule.column
        return aliases


@cache
def load_indicator_sets(path: Path) -> dict[str, IndicatorSet]:
    """The indicator sets of a JSON file, by code (read once per path)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    common = {name: tuple(aliases) for name, aliases in data["common_fields"].items()}
    personal = tuple(data.get("personal_fields", ()))
    names = _catalogue_names(path.parent / "indicators.csv")
    sets = {}
    for raw in data["sets"]:
        rules = tuple(
            Rule(
                indicator=code,
                count=spec.get("count"),
                sum=spec.get("sum"),
                where=spec.get("where"),
                column=tuple(spec.get("column", ())),
                persons=bool(spec.get("count_persons", False)),
                distinct=spec.get("count_distinct"),
                age_from=spec.get("age_from"),
                age_to=spec.get("age_to"),
            )
            for code, spec in raw["indicators"].items()
        )
        # A set's own aliases of a common field come after the common ones.
        fields = dict(common)
        for name, aliases in raw.get("fields", {}).items():
            fields[name] = (*common.get(name, ()), *aliases)
        status = raw.get("status", {})
        sets[raw["code"]] = IndicatorSet(
            code=raw["code"],
            department=raw["department"],
            shape=raw["shape"],
            name_id=raw["name_id"],
            name_en=raw["name_en"],
            fields=fields,
            categories={k: tuple(v) for k, v in raw.get("categories", {}).items()},
            rules=rules,
            personal=personal,
            checks=tuple(
                Check(at_most=c["at_most"], sum_of=tuple(c["sum_of"]))
                for c in raw.get("checks", ())
            ),
            names={r.indicator: names[r.indicator] for r in rules if r.indicator in names},
            statuses_counted=tuple(status.get("counted", ())),
            statuses_left_out=tuple(status.get("left_out", ())),
        )
    return {code: _with_foreign(iset, sets.values()) for code, iset in sets.items()}


def _catalogue_names(path: Path) -> dict[str, tuple[str, str]]:
    """Indicator code → (name_id, name_en) from the catalogue CSV, if there is one."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: (row["name_id"], row["name_en"]) for row in csv.DictReader(handle)}


def _with_foreign(iset: IndicatorSet, sets) -> IndicatorSet:
    """The set, knowing the column indicators of every other department's sets."""
    foreign = tuple(
        ForeignIndicator(rule.indicator, other.department, rule.column)
        for other in sets
        if other.department != iset.department
        for rule in other.rules
        if rule.column
    )
    return replace(iset, foreign=foreign)
