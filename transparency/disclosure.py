"""Published figures as the public sees them: small counts hidden behind one marker.

A stand-in for the full statistical disclosure control of issue 6 (complements,
secondary suppression over the tree, small areas), which will replace this module
behind the same function. Pure: no database, no Flask.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Shown:
    """A published count: the value, or None when it is hidden (``marker`` says how)."""

    value: int | None
    marker: str = ""

    @property
    def hidden(self) -> bool:
        """True when the count may not be shown."""
        return self.value is None


def protect(value: int | None, k: int) -> Shown | None:
    """The count as published: None without data, ``<k`` for 1..k−1, else the count."""
    if value is None:
        return None
    if 0 < value < k:
        return Shown(None, f"<{k}")
    return Shown(value)
