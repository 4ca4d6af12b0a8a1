"""Charts as inline SVG (pure), for the dashboards and the public portal."""

import re

import pytest

from transparency.charts import HEIGHT, PAD_BOTTOM, PAD_TOP, Point, bars_svg, trend_svg
from transparency.disclosure import MARKER


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


def test_bars_without_a_value_draw_nothing_or_the_marker_when_asked():
    bars = [Point("RT 001", 12), Point("RT 002", None)]
    plain = bars_svg(bars, "KK")
    assert plain.count("<rect") == 1 and MARKER not in plain
    public = bars_svg(bars, "KK", missing=MARKER)
    assert public.count("<rect") == 1
    assert re.search(rf'<text class="value hidden"[^>]*>{re.escape(MARKER)}</text>', public)


def test_trend_labels_the_latest_value_or_the_marker_when_it_is_hidden():
    shown = trend_svg([Point("Sep", 3), Point("Okt", 1234)], "KK", number=lambda v: f"{v:,}")
    assert ">1,234</text>" in shown
    hidden = trend_svg([Point("Sep", 30), Point("Okt", None)], "KK", missing=MARKER)
    assert hidden.count("<circle") == 1 and f">{MARKER}</text>" in hidden
    assert MARKER not in trend_svg([Point("Sep", 30), Point("Okt", None)], "KK")


def dots(svg: str) -> list[float]:
    return [float(y) for y in re.findall(r'cy="([\d.]+)"', svg)]


def test_every_trend_starts_at_zero_on_a_labelled_axis():
    """A large steady count is a flat line high up, not a dive to the axis (issue 13)."""
    steady = trend_svg([("a", 900), ("b", 1000)], "", number=lambda v: f"{v:,}".replace(",", "."))
    plot = HEIGHT - PAD_BOTTOM - PAD_TOP
    assert dots(steady) == pytest.approx([PAD_TOP + plot / 10, PAD_TOP])  # 900 of 0..1000
    ticks = re.findall(r'<text class="tick" x="[\d.]+" y="([\d.]+)"[^>]*>([^<]+)</text>', steady)
    assert [(float(y), label) for y, label in ticks] == [
        (HEIGHT - PAD_BOTTOM + 3, "0"),
        (PAD_TOP + 3, "1.000"),
    ]
    assert "stroke-dasharray" not in steady
    flat = dots(trend_svg([("a", 700), ("b", 700)], ""))
    assert flat == [PAD_TOP, PAD_TOP]  # 700 of 0..700


def test_a_hidden_point_shows_the_marker_at_its_place_and_no_dot():
    points = [("Agu", 12), ("Sep", None), ("Okt", 14)]
    svg = trend_svg(points, "KK", missing=MARKER)
    assert svg.count("<circle") == 2 and svg.count("<polyline") == 2
    xs = [float(x) for x in re.findall(r'<circle class="dot" cx="([\d.]+)"', svg)]
    marker = re.search(
        rf'<text class="value hidden" x="([\d.]+)" y="([\d.]+)"[^>]*>{re.escape(MARKER)}</text>',
        svg,
    )
    assert marker and float(marker.group(1)) == pytest.approx((xs[0] + xs[1]) / 2)
    assert float(marker.group(2)) == HEIGHT - PAD_BOTTOM - 4  # just above the axis
    assert MARKER not in trend_svg(points, "KK")  # the dashboards: no data, no marker


def test_charts_are_drawn_at_their_own_size_so_text_is_not_scaled_up():
    for svg in (
        trend_svg([("a", 1)], ""),
        trend_svg([("a", 1)], "", height=150),
        bars_svg([("a", 1)], ""),
    ):
        width, height, box = re.search(
            r'<svg class="chart" width="(\d+)" height="(\d+)" viewBox="0 0 (\d+ \d+)"', svg
        ).groups()
        assert box == f"{width} {height}" and width == "320"


def test_small_counts_start_at_zero_so_a_step_down_is_not_a_fall_to_nothing():
    """The RT home showed 6, 6, 6, 5 … as a drop onto the axis: 5 of 6 is near the top."""
    svg = trend_svg([("a", 6), ("b", 5), ("c", 0)], "", number=str)
    plot = HEIGHT - PAD_BOTTOM - PAD_TOP
    assert dots(svg) == pytest.approx(
        [PAD_TOP, PAD_TOP + plot / 6, HEIGHT - PAD_BOTTOM]  # 6 at the top, 0 on the axis
    )
    assert "stroke-dasharray" not in svg
    assert dots(trend_svg([("a", 7), ("b", 7)], "")) == [PAD_TOP, PAD_TOP]


def test_the_latest_value_is_written_beside_its_dot():
    svg = trend_svg([("a", 6), ("b", 0)], "", number=str)
    label = re.search(r'<text class="value" x="[\d.]+" y="([\d.]+)"[^>]*>0</text>', svg)
    assert label and float(label.group(1)) == HEIGHT - PAD_BOTTOM - 5


def test_labels_are_escaped_and_no_style_or_script_is_emitted():
    svg = bars_svg([Point("<script>", 1)], '" onload="x') + trend_svg([("<b>", 1)], "<t>")
    assert "<script" not in svg and "style=" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg
