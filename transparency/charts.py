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
STEADY_FROM = 100  # counts from here may be drawn over their own range (see trend_svg)


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
    """A line with dots over the periods, broken where a period has no value. The value
    axis starts at zero unless the counts are large (``STEADY_FROM`` or more) and every one
    lies in the upper half of the range: then it spans the values, so a large steady count
    still shows its changes, and the axis line is dashed to say it is not zero. Small
    counts always start at zero (5 after 6 must not look like a fall to nothing). The
    latest value is written beside its dot (``missing`` at the top right when it has
    none)."""
    points = [Point(*point) for point in points]
    known = [p.value for p in points if p.value is not None]
    low, high = min(known or [0]), max(known or [1])
    if low < STEADY_FROM or low / high < 0.5:
        low = min(low, 0)
    span = (high - low) or 1
    step = (WIDTH - 2 * PAD_X) / max(len(points) - 1, 1)
    plot = height - PAD_TOP - PAD_BOTTOM

    def xy(index: int, value: int) -> tuple[float, float]:
        level = 0.5 if high == low and low != 0 else (value - low) / span  # flat: mid-height
        return PAD_X + index * step, PAD_TOP + plot * (1 - level)

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
    bottom = height - PAD_BOTTOM
    axis = f'<line class="axis" x1="{PAD_X}" y1="{bottom}" x2="{WIDTH - PAD_X}" y2="{bottom}" '
    axis += 'stroke="#8a949e" stroke-width="1"'
    axis += ' stroke-dasharray="4 3"/>' if low > 0 else "/>"
    labels = ""
    if points:
        labels = _text(PAD_X, height - 4, points[0].label, "start")
        labels += _text(WIDTH - PAD_X, height - 4, points[-1].label, "end")
        last = points[-1].value
        latest = number(last) if last is not None else missing
        y = PAD_TOP - 2 if last is None else max(xy(len(points) - 1, last)[1] - 5, 9)
        if latest:
            labels += _text(WIDTH - PAD_X, y, latest, "end", "value")
    return _svg(title, axis + lines + dots + labels, height)


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
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )
