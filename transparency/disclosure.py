"""Statistical disclosure control for published counts: what the public may see. Pure.

PRODUCT.md "Privacy", rule by rule, over a tree of areas (RT → RW → kelurahan →
kecamatan → kota) for one indicator and period:

1. a count from 1 to k−1 is hidden (primary suppression);
2. a count whose complement (households − count) is from 1 to k−1 is hidden;
3. an area with fewer than ``MIN_HOUSEHOLDS`` households shows no breakdowns: hidden;
4. within every parent, the hidden children are none, or at least three of which any two
   or more left after taking out one (the largest) still sum to k or more: otherwise the
   next smallest shown child is hidden too (all ties), and when no child is left to hide the
   parent itself is hidden. Repeated over the whole tree until nothing changes, so no hidden
   count can be recovered by subtracting shown children from a shown total (a hidden total
   has at least two hidden children, so it is not their sum either), not even by a
   reader who knows one of the children exactly (a ketua RT their own RT, a ketua RW their
   own RW among its siblings);
5. a percentage is shown only when both its parts are shown (``share``);
6. the same inputs, in any order, give the same output;
7. linked indicators are protected together (``Tree.protect_group``): counts that bound one
   another (PRODUCT.md, ``catalogue.LINKS``) are decided as one group, so that a count
   hidden in one member is not given away by a shown count of another; the versions of one
   release (a correction and what it corrects) are linked the same way, so that they hide
   the same cells and subtracting one from the other recovers nothing hidden.

Every hidden value is shown as the one ``MARKER``, whatever the reason. Whether the
result leaves anything recoverable is checked apart from this module, by the intruder
(``tests/intruder.py``): linear programming over everything the public sees, as an
outsider and as each kind of insider.

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
        return self.protect_group({"": leaf_values}, {"": k}, (), min_households)[""]

    def protect_group(
        self,
        leaf_values: Mapping[str, Mapping[str, int]],
        ks: Mapping[str, int],
        links: Iterable["Link"] = (),
        min_households: int = MIN_HOUSEHOLDS,
        forced: Mapping[str, Iterable[str]] | None = None,
    ) -> dict[str, Protected]:
        """The published counts of several linked members together (rule 7).

        ``leaf_values`` gives each member's leaf counts (member → code → count), ``ks``
        each member's k, ``links`` how they bound one another and ``forced`` cells that
        must stay hidden whatever their counts (cells an earlier publication hid). A
        member named in a link but absent here is left out of that link; a ``base``
        member counts the households (public: always shown, never hidden here).
        """
        members = sorted(leaf_values)
        values = {m: self._summed(leaf_values[m]) for m in members}
        households = self.households
        hidden: dict[str, set[str]] = {}
        for member in members:
            hidden[member] = {
                code
                for code, value in values[member].items()
                if is_sensitive(value, households[code], ks[member], min_households)
            }
            for code in sorted((forced or {}).get(member, ())):
                if code in values[member]:
                    hidden[member].add(code)
        links = [link for link in links if any(m in values for m in link.members)]
        changed = True
        while changed:
            changed = False
            for link in links:
                changed |= _apply_link(link, values, hidden, ks, households)
            for member in members:
                changed |= self._complement(values[member], hidden[member], ks[member])
        return {
            member: {
                code: (None if code in hidden[member] else value)
                for code, value in values[member].items()
            }
            for member in members
        }

    def _summed(self, leaf_values: Mapping[str, int]) -> dict[str, int]:
        """Leaf counts with every parent's sum over its children with data."""
        values = {code: value for code, value in leaf_values.items() if code not in self.children}
        for code, kids in self.children.items():  # deepest first
            counted = [c for c in kids if c in values]
            if counted:
                values[code] = sum(values[c] for c in counted)
        return values

    def _complement(self, values: dict[str, int], hidden: set[str], k: int) -> bool:
        """Rule 4 over the whole tree until nothing changes; True if anything was hidden."""
        changed_any = False
        changed = True
        while changed:
            changed = False
            for parent, kids in self.children.items():
                counted = [c for c in kids if c in values]
                if counted:
                    changed |= _protect_children(parent, counted, values, hidden, k)
            changed_any |= changed
        return changed_any


@dataclass(frozen=True)
class Link:
    """How members of a group bound one another in every area.

    ``members``: the parts count people in the households the whole counts (``kk_gamis``
    and ``jiwa_gamis``): zero together, parts ≤ whole; a count hidden in one is hidden in
    the other. ``within``: the parts sum to at most the whole (``kk_gamis + kk_pramis ≤
    kk_total``): a hidden part whose bound (the whole less the shown parts) would leave it
    less than k of room hides the shown parts, or the whole's members. ``versions``: the
    versions of one release: they hide the same cells. ``base`` names a whole member that
    is the public households (``kk_total``), always known to the reader.
    """

    kind: str
    parts: tuple[str, ...]
    whole: tuple[str, ...]
    base: str | None = None

    @property
    def members(self) -> tuple[str, ...]:
        return self.parts + self.whole


def _apply_link(link: Link, values, hidden, ks, households) -> bool:
    """One link's rule in every area; True if anything new was hidden."""
    present = [m for m in link.members if m in values and m != link.base]
    changed = False
    if link.kind in ("members", "versions"):
        codes = sorted(set().union(*(hidden[m] for m in present))) if present else []
        for code in codes:
            for member in present:
                if code in values[member] and code not in hidden[member]:
                    hidden[member].add(code)
                    changed = True
        return changed
    parts = [m for m in link.parts if m in values]
    wholes = [m for m in link.whole if m != link.base]
    if any(m not in values for m in wholes) or not parts:
        return False  # the whole is unknown to the reader here: it bounds nothing
    codes = sorted(set().union(*(hidden[p] for p in parts)))
    for code in codes:
        if any(code not in values[m] for m in parts + wholes):
            continue
        if any(code in hidden[m] for m in wholes):
            continue  # the whole is hidden: no bound
        whole = sum(values[m][code] for m in wholes)
        if link.base is not None:
            whole += households[code]
        shown_parts = sum(values[p][code] for p in parts if code not in hidden[p])
        for part in parts:
            if code not in hidden[part]:
                continue
            if whole - shown_parts - values[part][code] >= ks[part]:
                continue
            others = [p for p in parts if code not in hidden[p]]
            for member in others or wholes:
                hidden[member].add(code)
                changed = True
            break
    return changed


def _protect_children(
    parent: str, children: list[str], values: dict[str, int], hidden: set[str], k: int
) -> bool:
    """Rule 4 within one parent; True if anything new was hidden."""
    changed = False
    while True:
        group = [values[child] for child in children if child in hidden]
        enough = not group or (len(group) >= 3 and sum(group) - max(group) >= k)
        if enough and parent in hidden and len(group) < min(2, len(children)):
            enough = False  # a hidden total is the sum of its children: two must be hidden
        if enough:
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
