"""Charts as inline SVG (pure) and the stand-in disclosure rule."""

import re

import pytest

from transparency.charts import HEIGHT, PAD_BOTTOM, PAD_TOP, Point, bars_svg, trend_svg
from transparency.disclosure import Shown, protect


def test_trend_draws_one_dot_per_known_period_with_a_gap_for_missing_ones():
    points = [
        Point("2026-07", 10),
        Point("2026-08", 20),
        Point("2026-09", None),
        Point("2026-10", 5),
    ]
    svg = trend_svg(points, "KK miskin <RT 001>")
    assert svg.count("<polyline") == 2  # broken where 2026-09 has no data
    assert svg.count("<circle") == 3
    ys = [float(y) for y in re.findall(r'cy="([\d.]+)"', svg)]
    bottom = HEIGHT - PAD_BOTTOM
    assert ys[1] == PAD_TOP  # the largest value touches the top
    assert ys[0] == pytest.approx(PAD_TOP + (bottom - PAD_TOP) / 2, abs=0.05)
    assert "<title>KK miskin &lt;RT 001&gt;</title>" in svg
    assert ">2026-07<" in svg and ">2026-10<" in svg
    assert 'role="img"' in svg and "<script" not in svg


def test_trend_of_nothing_is_an_empty_chart_not_an_error():
    svg = trend_svg([], "kosong")
    assert "<polyline" not in svg and svg.startswith("<svg")


def test_bars_are_proportional_and_labelled_in_the_given_number_format():
    svg = bars_svg(
        [Point("RW 001", 1200), Point("RW 002", 600), Point("RW 003", None)],
        "KK",
        number=lambda v: f"{v:,}".replace(",", "."),
    )
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert len(widths) == 2 and widths[0] == pytest.approx(2 * widths[1])
    assert ">1.200<" in svg and ">RW 003<" in svg


@pytest.mark.parametrize(
    ("value", "k", "expected"),
    [
        (None, 5, None),
        (0, 5, Shown(0)),
        (1, 5, Shown(None, "<5")),
        (4, 5, Shown(None, "<5")),
        (5, 5, Shown(5)),
        (9, 10, Shown(None, "<10")),
        (1234, 10, Shown(1234)),
    ],
)
def test_small_counts_are_hidden_behind_one_marker(value, k, expected):
    assert protect(value, k) == expected
