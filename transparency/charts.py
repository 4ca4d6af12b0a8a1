"""Server-rendered inline SVG charts: no script, no CDN, no inline style. Pure.

Every text is escaped here; colours come from classes in ``static/site.css`` (the CSP
allows no inline style). A hidden count draws no bar or point and is labelled with the
marker, so a chart never shows more than the table beside it.
"""

from collections.abc import Callable, Sequence
from html import escape

from transparency.disclosure import MARKER

BAR_HEIGHT = 22
LABEL_WIDTH = 110
WIDTH = 320


def bar_chart(
    rows: Sequence[tuple[str, int | None]], label: str, fmt: Callable[[int], str] = str
) -> str:
    """Horizontal bars, one per (name, count); hidden counts show the marker."""
    top = max([value for _, value in rows if value is not None] or [0]) or 1
    height = BAR_HEIGHT * len(rows) + 4
    span = WIDTH - LABEL_WIDTH - 60
    parts = [
        f'<svg class="chart bars" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for index, (name, value) in enumerate(rows):
        y = index * BAR_HEIGHT + 2
        parts.append(
            f'<text class="label" x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">'
            f"{escape(name[:18])}</text>"
        )
        if value is None:
            parts.append(
                f'<text class="value hidden" x="{LABEL_WIDTH + 4}" y="{y + 15}">{MARKER}</text>'
            )
            continue
        width = round(span * value / top, 1)
        parts.append(
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 3}" width="{width}" '
            f'height="{BAR_HEIGHT - 6}"/><text class="value" x="{LABEL_WIDTH + width + 4}" '
            f'y="{y + 15}">{escape(fmt(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    points: Sequence[tuple[str, int | None]],
    label: str,
    fmt: Callable[[int], str] = str,
    height: int = 150,
) -> str:
    """A trend over periods: a line through shown counts, broken where a count is hidden."""
    left, bottom, right = 8, 24, 8
    values = [value for _, value in points if value is not None]
    if not points:
        return ""
    low, high = min(values or [0]), max(values or [1])
    low = 0 if low >= 0 and high > 0 and low / max(high, 1) < 0.5 else low
    span_y = (high - low) or 1
    step = (WIDTH - left - right) / max(len(points) - 1, 1)
    parts = [
        f'<svg class="chart trend" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    segment: list[str] = []
    segments: list[list[str]] = []
    for index, (_, value) in enumerate(points):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        x = left + index * step
        level = 0.5 if high == low else (value - low) / span_y  # a flat series mid-height
        y = 14 + (height - bottom - 14) * (1 - level)
        segment.append(f"{x:.1f},{y:.1f}")
    if segment:
        segments.append(segment)
    for line in segments:
        parts.append(f'<polyline class="line" points="{" ".join(line)}"/>')
        for point in line:
            x, y = point.split(",")
            parts.append(f'<circle class="dot" cx="{x}" cy="{y}" r="2.5"/>')
    for index, (name, _) in enumerate(points):
        if index in (0, len(points) - 1):
            anchor = "start" if index == 0 else "end"
            parts.append(
                f'<text class="axis" x="{left + index * step:.1f}" y="{height - 6}" '
                f'text-anchor="{anchor}">{escape(name)}</text>'
            )
    last = points[-1][1]
    parts.append(
        f'<text class="value" x="{WIDTH - right}" y="12" text-anchor="end">'
        f"{escape(fmt(last)) if last is not None else MARKER}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
