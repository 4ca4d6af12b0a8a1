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

    def sort_key(self) -> tuple:
        """Order problems as a reader meets them: by sheet, row, column."""
        return (self.sheet or "", self.row or 0, self.column or "")


class UnreadableFile(Exception):
    """The file could not be read as a spreadsheet at all."""

    def __init__(self, problem: Problem):
        super().__init__(problem.code)
        self.problem = problem
