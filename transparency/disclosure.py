"""Statistical disclosure control for published counts: what the public may see. Pure.

PRODUCT.md "Privacy", rule by rule, over a tree of areas (RT → RW → kelurahan →
kecamatan → kota) for one indicator and period:

1. a count from 1 to k−1 is hidden (primary suppression);
2. a count whose complement (households − count) is from 1 to k−1 is hidden;
3. an area with fewer than ``MIN_HOUSEHOLDS`` households shows no breakdowns: hidden;
4. within every parent, the hidden children are none, or at least two that sum to k or
   more: otherwise the next smallest shown child is hidden too (all ties), and when no
   child is left to hide the parent itself is hidden. Repeated over the whole tree until
   nothing changes, so no hidden count can be recovered by subtracting shown children from a
   shown total;
5. a percentage is shown only when both its parts are shown (``share``);
6. the same inputs, in any order, give the same output.

Every hidden value is shown as the one ``MARKER``, whatever the reason. The decisions use
only shown values and the sums of hidden groups, so replacing hidden values by others that
keep the published totals leaves the output unchanged (``tests/test_disclosure.py``).

Use::

    from transparency.disclosure import AreaCount, protect, display
    shown = protect([AreaCount("35.78", None, 0), AreaCount(rt_code, rw_code, hh, 3), ...], k=5)
    shown[rt_code]      # None: hidden; an int: may be published
    display(shown[rt_code])  # "*" or "3"

Parents' counts are the sums of their children (computed here: give ``value`` on the leaves
only). An area whose subtree has no data is left out of the result.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MARKER = "*"
MIN_HOUSEHOLDS = 20


@dataclass(frozen=True)
class AreaCount:
    """One area of the tree: its parent's code, its households (leaves; parents are summed)
    and, on leaves, the count (None: no data for this area)."""

    code: str
    parent: str | None
    households: int = 0
    value: int | None = None


Protected = dict[str, int | None]  # area code → the count to publish, None when hidden


def is_sensitive(value: int, households: int, k: int, min_households: int = MIN_HOUSEHOLDS):
    """True if a count must be hidden on its own (rules 1–3)."""
    return 0 < value < k or 0 < households - value < k or households < min_households


def protect(areas: Iterable[AreaCount], k: int, min_households: int = MIN_HOUSEHOLDS) -> Protected:
    """The published count of every area with data: an int, or None where it is hidden."""
    areas = list(areas)
    values = {area.code: area.value for area in areas if area.value is not None}
    return Tree(areas).protect(values, k, min_households)


class Tree:
    """The shape of the area tree (codes, parents, households), built once and reused for
    every indicator and period published over it. Leaves carry the households."""

    def __init__(self, areas: Iterable[AreaCount]):
        areas = sorted(areas, key=lambda area: area.code)
        self.parent = {area.code: area.parent for area in areas}
        children: dict[str, list[str]] = defaultdict(list)
        for area in areas:
            if area.parent is not None:
                if area.parent not in self.parent:
                    raise ValueError(f"unknown parent {area.parent!r} of {area.code!r}")
                children[area.parent].append(area.code)
        depth: dict[str, int] = {}
        for area in areas:  # sorted by code is not parent-first in general: walk up once
            chain, node = [], area.code
            while node is not None and node not in depth:
                chain.append(node)
                node = self.parent[node]
                if len(chain) > len(areas):
                    raise ValueError("the areas do not form a tree")
            base = -1 if node is None else depth[node]
            for offset, code in enumerate(reversed(chain), start=1):
                depth[code] = base + offset
        order = sorted(self.parent, key=lambda code: (-depth[code], code))  # leaves first
        self.children = {code: children[code] for code in order if children[code]}
        self.households = {area.code: area.households for area in areas}
        for code in self.children:  # deepest parents first, so children are summed already
            self.households[code] = sum(self.households[c] for c in self.children[code])

    def protect(
        self, leaf_values: Mapping[str, int], k: int, min_households: int = MIN_HOUSEHOLDS
    ) -> Protected:
        """The published counts given the leaves' counts (code → count, leaves with data)."""
        values = {code: value for code, value in leaf_values.items() if code not in self.children}
        with_data: dict[str, list[str]] = {}
        for code, kids in self.children.items():
            counted = [c for c in kids if c in values]
            with_data[code] = counted
            if counted:
                values[code] = sum(values[c] for c in counted)
        households = self.households
        hidden = {
            code
            for code, value in values.items()
            if is_sensitive(value, households[code], k, min_households)
        }
        changed = True
        while changed:
            changed = False
            for parent, counted in with_data.items():
                if counted:
                    changed |= _protect_children(parent, counted, values, hidden, k)
        return {code: (None if code in hidden else value) for code, value in values.items()}


def _protect_children(
    parent: str, children: list[str], values: dict[str, int], hidden: set[str], k: int
) -> bool:
    """Rule 4 within one parent; True if anything new was hidden."""
    changed = False
    while True:
        group = [child for child in children if child in hidden]
        if not group or (len(group) >= 2 and sum(values[c] for c in group) >= k):
            return changed
        shown = [child for child in children if child not in hidden]
        if not shown:
            if parent in values and parent not in hidden:
                hidden.add(parent)
                changed = True
            return changed
        smallest = min(values[child] for child in shown)
        hidden.update(child for child in shown if values[child] == smallest)
        changed = True


def share(value: int | None, households: int) -> float | None:
    """The percentage of households (rule 5): only when the count is shown."""
    if value is None or households <= 0:
        return None
    return round(100 * value / households, 1)


def display(value: int | None) -> str:
    """The text of a published count in any format: the marker when hidden."""
    return MARKER if value is None else str(value)


def hidden_codes(protected: Mapping[str, int | None]) -> set[str]:
    """The areas whose count is hidden."""
    return {code for code, value in protected.items() if value is None}
