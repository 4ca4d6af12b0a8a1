"""Charts drawn by the app as inline SVG: no CDN, no JavaScript, no inline style. Pure.

Functions take points (a label and a count) and return SVG markup (text, every label
escaped here); callers mark it safe. Every chart carries a ``<title>`` for screen readers
and pages show the same numbers in a table next to it. Shapes are drawn in
``currentColor`` (the page's colour, black in print); ``static/site.css`` styles the
classes (the CSP allows no inline style).

A point without a value draws no bar or dot: on the dashboards that is a period or area
without data; on public pages a count hidden by disclosure control, labelled with
``missing=disclosure.MARKER``, so a chart never shows more than the table beside it.
"""

from collections.abc import Callable, Sequence
from html import escape
from typing import NamedTuple

WIDTH, HEIGHT = 320, 90
PAD_X, PAD_TOP, PAD_BOTTOM = 6, 12, 18
LABEL_WIDTH, LABEL_CHARS = 110, 18
CHAR_WIDTH = 6  # about one digit at the charts' 10-11 px


class Point(NamedTuple):
    """One period or area of a chart: its label and count (None: no data, or hidden)."""

    label: str
    value: int | None


def trend_svg(
    points: Sequence[tuple[str, int | None]],
    title: str,
    number: Callable[[int], str] = str,
    missing: str = "",
    height: int = HEIGHT,
) -> str:
    """A line with dots over the periods, broken where a period has no value, over a value
    axis that always starts at zero and is labelled with 0 and the largest count (a large
    steady count is a flat line high up, not a dive: the axis says where zero is). The
    latest value is written beside its dot. Where a point is hidden (``missing`` given, the
    public's disclosure marker) the marker is written at its place above the axis, so the
    chart shows what the table beside it shows."""
    points = [Point(*point) for point in points]
    known = [p.value for p in points if p.value is not None]
    high = max(known or [0]) or 1
    top_label = number(max(known)) if known else ""
    left = PAD_X + CHAR_WIDTH * max(len(top_label), 1) + 4  # room for the axis labels
    step = (WIDTH - left - PAD_X) / max(len(points) - 1, 1)
    plot = height - PAD_TOP - PAD_BOTTOM
    bottom = height - PAD_BOTTOM

    def xy(index: int, value: int) -> tuple[float, float]:
        return left + index * step, PAD_TOP + plot * (1 - value / high)

    segments: list[list[tuple[float, float]]] = [[]]
    for index, point in enumerate(points):
        if point.value is None:
            segments.append([])
        else:
            segments[-1].append(xy(index, point.value))
    segments = [segment for segment in segments if segment]
    lines = "".join(
        '<polyline class="line" fill="none" stroke="currentColor" stroke-width="2" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
        + '"/>'
        for segment in segments
    )
    dots = "".join(
        f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="currentColor"/>'
        for segment in segments
        for x, y in segment
    )
    axis = _axis(left, bottom, top_label)
    labels = ""
    if points:
        labels = _text(left, height - 4, points[0].label, "start")
        labels += _text(WIDTH - PAD_X, height - 4, points[-1].label, "end")
        last = points[-1].value
        if last is not None:
            y = max(xy(len(points) - 1, last)[1] - 5, 9)
            labels += _text(WIDTH - PAD_X, y, number(last), "end", "value")
    hidden = ""
    if missing:
        hidden = "".join(
            _text(left + index * step, bottom - 4, missing, "middle", "value hidden")
            for index, point in enumerate(points)
            if point.value is None
        )
    return _svg(title, axis + lines + dots + hidden + labels, height)


def _axis(left: float, bottom: float, top_label: str) -> str:
    """The value axis from zero (at the bottom) to the largest count (at the top), labelled,
    with a faint line at the top and the baseline across the plot."""
    axis = _line("axis", left, PAD_TOP, left, bottom) + _line("axis", left, bottom, WIDTH - PAD_X)
    axis += _text(left - 3, bottom + 3, "0", "end", "tick")
    if top_label:
        axis += _line("grid", left, PAD_TOP, WIDTH - PAD_X, colour="#d6dbe0")
        axis += _text(left - 3, PAD_TOP + 3, top_label, "end", "tick")
    return axis


def _line(css: str, x1: float, y1: float, x2: float, y2: float | None = None, colour="#8a949e"):
    y2 = y1 if y2 is None else y2
    return (
        f'<line class="{css}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
        f'stroke="{colour}" stroke-width="1"/>'
    )


def bars_svg(
    bars: Sequence[tuple[str, int | None]],
    title: str,
    number: Callable[[int], str] = str,
    missing: str = "",
    row_height: int = 18,
) -> str:
    """Horizontal bars, one per label, longest = the largest value; a bar without a value
    is labelled ``missing`` (nothing by default)."""
    bars = [Point(*bar) for bar in bars]
    top = max([b.value for b in bars if b.value is not None] or [0]) or 1
    height = row_height * max(len(bars), 1) + 4
    span = WIDTH - LABEL_WIDTH - 60
    body = ""
    for index, bar in enumerate(bars):
        y = 2 + index * row_height
        baseline = y + row_height - 6
        body += _text(LABEL_WIDTH - 4, baseline, bar.label[:LABEL_CHARS], "end")
        if bar.value is None:
            if missing:
                body += _text(LABEL_WIDTH + 4, baseline, missing, "start", "value hidden")
            continue
        length = span * bar.value / top
        body += f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" '
        body += f'height="{row_height - 6}" fill="currentColor"/>'
        body += _text(LABEL_WIDTH + length + 4, baseline, number(bar.value), "start", "value")
    return _svg(title, body, height)


def _text(x: float, y: float, content: str, anchor: str, css: str = "label") -> str:
    return (
        f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" font-size="10" text-anchor="{anchor}" '
        f'fill="#3b444d">{escape(content)}</text>'
    )


def _svg(title: str, body: str, height: int = HEIGHT) -> str:
    """The chart at its own size in CSS pixels (``width``/``height``): CSS lets it shrink to
    a phone's width but never grows it, so its text stays 10-11 px on a desktop."""
    return (
        f'<svg class="chart" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )
