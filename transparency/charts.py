"""Charts drawn by the app as inline SVG: no CDN, no JavaScript, readable in print.

Pure: functions take numbers and labels and return SVG markup (text); callers mark it
safe. Every chart carries a title for screen readers, and pages show the same numbers
in a table next to it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 300, 90
PAD_X, PAD_TOP, PAD_BOTTOM = 6, 12, 18


@dataclass(frozen=True)
class Point:
    """One period of a series: its label and value (None: no data)."""

    label: str
    value: int | None


def _scale(values: list[int]) -> int:
    """The top of the value axis: the largest value, at least 1."""
    return max([*values, 1])


def trend_svg(points: list[Point], title: str) -> str:
    """A line with dots over the periods; gaps where a period has no data."""
    known = [p.value for p in points if p.value is not None]
    top = _scale(known)
    step = (WIDTH - 2 * PAD_X) / max(len(points) - 1, 1)
    plot = HEIGHT - PAD_TOP - PAD_BOTTOM

    def xy(index: int, value: int) -> tuple[float, float]:
        return PAD_X + index * step, PAD_TOP + plot * (1 - value / top)

    segments: list[list[tuple[float, float]]] = [[]]
    for index, point in enumerate(points):
        if point.value is None:
            segments.append([])
        else:
            segments[-1].append(xy(index, point.value))
    segments = [segment for segment in segments if segment]
    lines = "".join(
        '<polyline fill="none" stroke="currentColor" stroke-width="2" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
        + '"/>'
        for segment in segments
    )
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="currentColor"/>'
        for segment in segments
        for x, y in segment
    )
    axis = f'<line x1="{PAD_X}" y1="{HEIGHT - PAD_BOTTOM}" x2="{WIDTH - PAD_X}" '
    axis += f'y2="{HEIGHT - PAD_BOTTOM}" stroke="#8a949e" stroke-width="1"/>'
    labels = ""
    if points:
        labels = _text(PAD_X, HEIGHT - 4, points[0].label, "start")
        labels += _text(WIDTH - PAD_X, HEIGHT - 4, points[-1].label, "end")
    return _svg(title, axis + lines + dots + labels)


def bars_svg(
    bars: list[Point], title: str, number: Callable[[int], str] = str, row_height: int = 18
) -> str:
    """Horizontal bars, one per label, longest = the largest value."""
    top = _scale([b.value for b in bars if b.value is not None])
    label_width, height = 110, row_height * max(len(bars), 1) + 4
    span = WIDTH - label_width - 50
    body = ""
    for index, bar in enumerate(bars):
        y = 2 + index * row_height
        body += _text(label_width - 4, y + row_height - 6, bar.label, "end")
        if bar.value is None:
            continue
        length = span * bar.value / top
        body += f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" '
        body += f'height="{row_height - 6}" fill="currentColor"/>'
        body += _text(label_width + length + 4, y + row_height - 6, number(bar.value), "start")
    return _svg(title, body, height)


def _text(x: float, y: float, content: str, anchor: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" text-anchor="{anchor}" '
        f'fill="#3b444d">{escape(content)}</text>'
    )


def _svg(title: str, body: str, height: int = HEIGHT) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )
