"""Disclosure control (PRODUCT.md "Privacy"): worked examples and Hypothesis properties."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transparency.disclosure import MARKER, AreaCount, Link, Tree, display, protect, share


def rw_table(values, households=None, k=5):
    """One RW (code "RW") under a kota of one kelurahan, with RTs "RW.001"…"""
    households = households or [100] * len(values)
    areas = [AreaCount("K", None), AreaCount("RW", "K")]
    areas += [
        AreaCount(f"RW.{n:03d}", "RW", hh, value)
        for n, (value, hh) in enumerate(zip(values, households, strict=True), start=1)
    ]
    result = protect(areas, k)
    return [result[f"RW.{n:03d}"] for n in range(1, len(values) + 1)], result["RW"]


@pytest.mark.parametrize(
    ("values", "shown", "total"),
    [
        ([0, 5, 40, 60], [0, 5, 40, 60], 105),  # nothing small: all shown, 0 too
        # Two small ones that sum to 5: a reader who knows one (their own RT) would get the
        # other, so a third is hidden: any two left after taking out one sum to 5 or more.
        ([3, 2, 40, 60], [None, None, None, 60], 105),
        ([3, 20, 40, 60], [None, None, None, 60], 123),  # one small: the next two too
        ([1, 1, 40, 40], [None, None, None, None], 82),  # 1+1 < 5: the ties 40 and 40 too
        ([4, 30, 30, 50], [None, None, None, 50], 114),  # all ties of the next smallest
        ([1, 2, 2, 50, 60], [None, None, None, None, 60], 115),  # 1+2+2 less its 2 < 5
        ([3], [None], None),  # an only child hidden: the parent equals it, hidden too
        ([0, 0, 7], [0, 0, 7], 7),
    ],
)
def test_worked_examples(values, shown, total):
    assert rw_table(values) == (shown, total)


def test_the_complement_within_the_rt_is_protected_too():
    # 97 poor families out of 100: the other 3 would be known, so hidden; the next two too.
    assert rw_table([97, 50, 60], [100, 100, 100]) == ([None, None, None], 207)


def test_areas_under_20_households_show_no_breakdowns():
    assert rw_table([10, 10, 10], [19, 100, 100]) == ([None, None, None], 30)


def test_hiding_climbs_the_tree_until_nothing_can_be_subtracted():
    # Kelurahan K with RW A (one small RT) and RW B: RW A's only RT is hidden, so RW A is
    # hidden; then within K RW A is a lone hidden child, so RW B is hidden too; two hidden
    # children are too few (a reader who knows one gets the other from K), and no child is
    # left to hide, so K is hidden. B's total is hidden, so two of its RTs are hidden too
    # (a hidden total is never the sum of shown children): everything is hidden.
    areas = [
        AreaCount("K", None),
        AreaCount("K.A", "K"),
        AreaCount("K.B", "K"),
        AreaCount("K.A.001", "K.A", 100, 3),
        AreaCount("K.B.001", "K.B", 100, 30),
        AreaCount("K.B.002", "K.B", 100, 40),
    ]
    assert protect(areas, 5) == dict.fromkeys(
        ["K", "K.A", "K.B", "K.A.001", "K.B.001", "K.B.002"], None
    )


def test_areas_without_data_are_left_out_and_do_not_count():
    areas = [
        AreaCount("K", None),
        AreaCount("K.001", "K", 100, 30),
        AreaCount("K.002", "K", 100, None),
    ]
    assert protect(areas, 5) == {"K": 30, "K.001": 30}


def test_share_only_from_shown_parts_and_display_uses_one_marker():
    assert share(25, 200) == 12.5
    assert share(None, 200) is None
    assert share(3, 0) is None
    assert display(None) == MARKER == "*"
    assert display(0) == "0"


# --- properties ------------------------------------------------------------------------


@st.composite
def trees(draw):
    """A random city: kecamatan → kelurahan → RW → RT, counts biased towards small."""
    k = draw(st.sampled_from([3, 5, 10]))
    areas = [AreaCount("C", None)]
    for a in range(draw(st.integers(1, 2))):
        kec = f"C.{a}"
        areas.append(AreaCount(kec, "C"))
        for b in range(draw(st.integers(1, 2))):
            kel = f"{kec}.{b}"
            areas.append(AreaCount(kel, kec))
            for c in range(draw(st.integers(1, 3))):
                rw = f"{kel}.{c}"
                areas.append(AreaCount(rw, kel))
                for d in range(draw(st.integers(1, 5))):
                    households = draw(st.integers(10, 120))
                    value = draw(
                        st.one_of(
                            st.none(),
                            st.integers(0, k + 2),
                            st.integers(0, households),
                            st.integers(households - k, households).filter(lambda v: v >= 0),
                        )
                    )
                    areas.append(AreaCount(f"{rw}.{d:03d}", rw, households, value))
    return areas, k


def _children(areas):
    kids = {}
    for area in areas:
        if area.parent is not None:
            kids.setdefault(area.parent, []).append(area.code)
    return kids


def _true_values(areas):
    """Every area's true count (sum over the subtree's leaves with data)."""
    kids = _children(areas)
    leaves = {a.code: a.value for a in areas if a.code not in kids}

    def total(code):
        if code not in kids:
            return leaves[code]
        counted = [v for v in (total(c) for c in kids[code]) if v is not None]
        return sum(counted) if counted else None

    return {a.code: total(a.code) for a in areas}


PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(trees())
def test_every_shown_count_is_zero_or_at_least_k_and_true(tree):
    areas, k = tree
    published = protect(areas, k)
    truth = _true_values(areas)
    for code, value in published.items():
        if value is not None:
            assert value == 0 or value >= k, (code, value)
            assert value == truth[code]
    assert set(published) == {code for code, value in truth.items() if value is not None}


@PROPERTY_SETTINGS
@given(trees())
def test_every_hidden_group_survives_a_reader_who_knows_one_of_its_cells(tree):
    """Within every parent the hidden children are none, or at least three whose sum less
    the largest is k or more (so a reader who knows any one still faces two or more that
    sum to k); a hidden parent has two hidden children or more (or only one child)."""
    areas, k = tree
    published = protect(areas, k)
    truth = _true_values(areas)
    for parent, kids in _children(areas).items():
        with_data = [c for c in kids if c in published]
        hidden = [truth[c] for c in with_data if published[c] is None]
        if parent in published and published[parent] is None:
            assert len(hidden) >= min(2, len(with_data)), parent
        if not hidden:
            continue
        if len(hidden) >= 3 and sum(hidden) - max(hidden) >= k:
            continue
        # Only when every child is hidden and so is the parent (nothing to subtract from).
        assert len(hidden) == len(with_data) and published.get(parent) is None, (parent, hidden)


@PROPERTY_SETTINGS
@given(trees())
def test_complement_and_small_areas(tree):
    areas, k = tree
    published = protect(areas, k)
    for area in areas:
        if area.value is not None and published[area.code] is not None:
            assert not 0 < area.households - area.value < k
            assert area.households >= 20


@PROPERTY_SETTINGS
@given(trees(), st.randoms(use_true_random=False))
def test_deterministic_whatever_the_order(tree, rnd):
    areas, k = tree
    shuffled = list(areas)
    rnd.shuffle(shuffled)
    assert protect(shuffled, k) == protect(areas, k)


def test_city_scale_runs_in_a_fraction_of_a_second():
    """9,000 RTs in 1,300 RWs: one pass over the city is cheap enough to run at publication."""
    import time

    rng = random.Random(7)
    areas = [AreaCount("C", None)]
    for kel in range(150):
        areas.append(AreaCount(f"C.{kel}", "C"))
        for rw in range(9):
            areas.append(AreaCount(f"C.{kel}.{rw}", f"C.{kel}"))
            for rt in range(7):
                areas.append(
                    AreaCount(f"C.{kel}.{rw}.{rt}", f"C.{kel}.{rw}", 100, rng.randint(0, 12))
                )
    start = time.perf_counter()
    published = protect(areas, 5)
    assert time.perf_counter() - start < 5
    assert all(v is None or v == 0 or v >= 5 for v in published.values())


# --- linked indicators and versions (issue 12) ------------------------------------------


def _group_tree(households=(100, 100, 100, 100)):
    areas = [AreaCount("K", None), AreaCount("RW", "K")]
    areas += [AreaCount(f"RW.{n}", "RW", h) for n, h in enumerate(households, start=1)]
    return Tree(areas)


def test_a_poor_family_count_hidden_hides_the_people_in_them_and_the_reverse():
    tree = _group_tree()
    links = [Link("members", ("gamis",), ("jiwa",))]
    values = {
        "gamis": {"RW.1": 3, "RW.2": 20, "RW.3": 30, "RW.4": 40},  # RT 1 small
        "jiwa": {"RW.1": 60, "RW.2": 200, "RW.3": 90, "RW.4": 5},  # RT 4 small
    }
    shown = tree.protect_group(values, {"gamis": 10, "jiwa": 10}, links)
    # Alone, gamis would hide RT 1-3, jiwa RT 1, 3 and 4 (three each, the smallest
    # first); together both hide the union: all four RTs.
    assert [shown["gamis"][f"RW.{n}"] for n in (1, 2, 3, 4)] == [None] * 4
    assert [shown["jiwa"][f"RW.{n}"] for n in (1, 2, 3, 4)] == [None] * 4
    assert shown["gamis"]["RW"] == 93 and shown["jiwa"]["RW"] == 355
    jiwa_alone = tree.protect(values["jiwa"], 10)
    assert [jiwa_alone[f"RW.{n}"] for n in (1, 2, 3, 4)] == [None, 200, None, None]
    alone = tree.protect(values["gamis"], 10)
    assert [alone[f"RW.{n}"] for n in (1, 2, 3, 4)] == [None, None, None, 40]


def test_a_hidden_part_hides_what_would_bound_it_from_above():
    # gamis + pramis ≤ households (public): gamis hidden at 3 of 100 with pramis shown 90
    # would be bounded to 0..10, narrower than k: pramis is hidden there too (and two more
    # of its RTs, so that a reader who knows one hidden RT still faces two).
    tree = _group_tree()
    links = [Link("within", ("gamis", "pramis"), ("households",), "households")]
    values = {
        "gamis": {"RW.1": 3, "RW.2": 30, "RW.3": 30, "RW.4": 40},
        "pramis": {"RW.1": 90, "RW.2": 20, "RW.3": 30, "RW.4": 40},
    }
    assert set(tree.protect(values["pramis"], 10).values()) == {90, 20, 30, 40, 180}
    shown = tree.protect_group(values, {"gamis": 10, "pramis": 10}, links)
    assert [shown["pramis"][f"RW.{n}"] for n in (1, 2, 3, 4)] == [None, None, None, 40]
    # With room to spare (pramis 50: gamis could be up to 50), pramis stays as it was.
    values["pramis"]["RW.1"] = 50
    shown = tree.protect_group(values, {"gamis": 10, "pramis": 10}, links)
    assert shown["pramis"] == tree.protect(values["pramis"], 10)
    assert shown["pramis"]["RW.1"] == 50


def test_versions_hide_the_same_cells_and_what_was_hidden_stays_hidden():
    tree = _group_tree()
    old = {"RW.1": 2, "RW.2": 30, "RW.3": 40, "RW.4": 50}
    new = {"RW.1": 0, "RW.2": 30, "RW.3": 40, "RW.4": 50}  # the correction: RT 1 → 0
    alone = tree.protect(new, 5)
    assert alone["RW.1"] == 0  # alone the new version shows RT 1, which the old one hid
    links = [Link("versions", ("old", "new"), ())]
    shown = tree.protect_group({"old": old, "new": new}, {"old": 5, "new": 5}, links)
    hidden = {key: {c for c, v in shown[key].items() if v is None} for key in shown}
    assert hidden["old"] == hidden["new"] == {"RW.1", "RW.2", "RW.3"}
    forced = tree.protect_group({"new": new}, {"new": 5}, forced={"new": ["RW.4"]})
    assert forced["new"]["RW.4"] is None and forced["new"]["RW"] == 120


def test_the_group_is_the_same_whatever_the_order():
    tree = _group_tree()
    links = [Link("members", ("a",), ("b",))]
    values = {"a": {"RW.1": 3, "RW.2": 20, "RW.3": 30}, "b": {"RW.1": 6, "RW.2": 2, "RW.3": 60}}
    first = tree.protect_group(values, {"a": 5, "b": 5}, links)
    reordered = {key: dict(reversed(list(v.items()))) for key, v in reversed(values.items())}
    assert tree.protect_group(reordered, {"b": 5, "a": 5}, links) == first
