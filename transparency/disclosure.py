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
    tree = _Tree(areas)
    hidden = {
        code
        for code, value in tree.values.items()
        if is_sensitive(value, tree.households[code], k, min_households)
    }
    changed = True
    while changed:
        changed = False
        for parent in tree.parents_bottom_up:
            changed |= _protect_children(tree, parent, hidden, k)
    return {code: (None if code in hidden else value) for code, value in tree.values.items()}


def _protect_children(tree: "_Tree", parent: str, hidden: set[str], k: int) -> bool:
    """Rule 4 within one parent; True if anything new was hidden."""
    children = tree.children_with_data[parent]
    changed = False
    while True:
        group = [child for child in children if child in hidden]
        if not group or (len(group) >= 2 and sum(tree.values[c] for c in group) >= k):
            return changed
        shown = [child for child in children if child not in hidden]
        if not shown:
            if parent in tree.values and parent not in hidden:
                hidden.add(parent)
                changed = True
            return changed
        smallest = min(tree.values[child] for child in shown)
        hidden.update(child for child in shown if tree.values[child] == smallest)
        changed = True


class _Tree:
    """The areas indexed for ``protect``: children, depth order, summed counts."""

    def __init__(self, areas: Iterable[AreaCount]):
        areas = sorted(areas, key=lambda area: area.code)
        self.parent = {area.code: area.parent for area in areas}
        children: dict[str, list[str]] = defaultdict(list)
        for area in areas:
            if area.parent is not None:
                children[area.parent].append(area.code)
        depth = {code: self._depth(code) for code in self.parent}
        order = sorted(self.parent, key=lambda code: (-depth[code], code))  # leaves first
        self.households: dict[str, int] = {a.code: a.households for a in areas if a.code}
        self.values: dict[str, int] = {a.code: a.value for a in areas if a.value is not None}
        for code in order:
            if children[code]:
                self.households[code] = sum(self.households[c] for c in children[code])
                counted = [self.values[c] for c in children[code] if c in self.values]
                if counted:
                    self.values[code] = sum(counted)
        self.children_with_data = {
            code: [c for c in kids if c in self.values] for code, kids in children.items()
        }
        self.parents_bottom_up = [code for code in order if children[code]]

    def _depth(self, code: str) -> int:
        depth = 0
        while (code := self.parent.get(code)) is not None:
            depth += 1
            if depth > len(self.parent):
                raise ValueError("the areas do not form a tree")
        return depth


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
