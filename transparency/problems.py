"""Problems found in an input file: a code with parameters, translated at the edge.

Pure: the pipeline creates ``Problem`` values; ``transparency.messages`` renders
them in Bahasa Indonesia or English.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, placed by sheet, Excel row and column where it has one."""

    code: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    sheet: str | None = None
    params: dict = field(default_factory=dict)
    severity: str = "error"  # "error" rejects; "warning" is reported only
    # A group of rows with this same problem (``grouped``): how many, and their ranges of
    # Excel rows ((first, last), ...; ``row`` is the first). One row: 1 and ().
    count: int = 1
    ranges: tuple = ()

    def sort_key(self) -> tuple:
        """Order problems as a reader meets them: by sheet, row, column."""
        return (self.sheet or "", self.row or 0, self.column or "")

    def same_as(self) -> tuple:
        """What makes two rows' problems one: the same sentence in the same column."""
        params = tuple(sorted((k, repr(v)) for k, v in self.params.items()))
        return (self.sheet, self.column, self.code, self.severity, self.value, params)


RANGES_KEPT = 10  # row ranges a group names; its count says how many rows there are


def grouped(problems: list[Problem], at_least: int = 2) -> list[Problem]:
    """The same problem in the same column on many rows as one entry ("rows 8–7,703
    (7,696 rows), column B: …"), so that the rows wrong for their own reasons are not
    lost among them: file-level problems first, then each row's own problem in reading
    order, then the groups of ``at_least`` rows or more, largest first."""
    by_kind: dict[tuple, list[Problem]] = {}
    for problem in problems:
        if problem.row is not None:
            by_kind.setdefault(problem.same_as(), []).append(problem)
    files = [p for p in problems if p.row is None]
    singles = [p for kind in by_kind.values() if len(kind) < at_least for p in kind]
    groups = [_group(kind) for kind in by_kind.values() if len(kind) >= at_least]
    groups.sort(key=lambda g: (-g.count, g.sort_key()))
    return files + sorted(singles, key=Problem.sort_key) + groups


def _group(kind: list[Problem]) -> Problem:
    rows = sorted(p.row for p in kind)
    ranges: list[list[int]] = []
    for row in rows:
        if ranges and row <= ranges[-1][1] + 1:
            ranges[-1][1] = row
        else:
            ranges.append([row, row])
    first = kind[0]
    return Problem(
        first.code,
        row=rows[0],
        column=first.column,
        value=first.value,
        sheet=first.sheet,
        params=first.params,
        severity=first.severity,
        count=len(rows),
        ranges=tuple(tuple(r) for r in ranges[:RANGES_KEPT]),
    )


class UnreadableFile(Exception):
    """The file could not be read as a spreadsheet at all."""

    def __init__(self, problem: Problem):
        super().__init__(problem.code)
        self.problem = problem
