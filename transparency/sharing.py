"""Sharing a public page: the preview picture (og:image) and the WhatsApp link's text.

Pure: texts in (already translated, figures already protected and formatted), PNG bytes
or a URL out. Only published figures may be passed in; nothing here reads the database.
Fonts: DejaVu from Debian (fonts-dejavu-core) where installed, else Pillow's own.
"""

import io
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630  # the size WhatsApp, Facebook and X show large
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
INK, MUTED, BRAND, PAPER, RULE = "#1a1a1a", "#555b66", "#0b3d6e", "#ffffff", "#d0d5dd"
MARGIN = 60
MAX_LINES = 4


@lru_cache(maxsize=16)
def font(size: int, bold: bool = False) -> ImageFont.ImageFont:
    """DejaVu Sans (bold) at ``size`` px, or Pillow's default font on a bare machine."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)


def fit(draw: ImageDraw.ImageDraw, text: str, face, width: float) -> str:
    """The text, cut with an ellipsis where it would be wider than ``width``."""
    if draw.textlength(text, font=face) <= width:
        return text
    while text and draw.textlength(text + "…", font=face) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def headline_png(
    title: str, subtitle: str, figures: list[tuple[str, str]], footer: str, brand: str
) -> bytes:
    """A 1200×630 PNG: the brand band, the area or indicator, its period, up to four
    (label, figure) lines and a footer (where the figures come from)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 84), fill=BRAND)
    draw.text((MARGIN, 22), brand, font=font(34, bold=True), fill=PAPER)
    inner = WIDTH - 2 * MARGIN
    draw.text((MARGIN, 112), fit(draw, title, font(56, True), inner), font=font(56, True), fill=INK)
    draw.text((MARGIN, 186), fit(draw, subtitle, font(32), inner), font=font(32), fill=MUTED)
    top = 254
    for label, figure in figures[:MAX_LINES]:
        draw.line((MARGIN, top, WIDTH - MARGIN, top), fill=RULE, width=2)
        value = font(44, bold=True)
        figure_width = draw.textlength(figure, font=value)
        room = inner - figure_width - 30
        draw.text((MARGIN, top + 22), fit(draw, label, font(32), room), font=font(32), fill=INK)
        draw.text((WIDTH - MARGIN - figure_width, top + 14), figure, font=value, fill=BRAND)
        top += 78
    draw.text((MARGIN, HEIGHT - 52), fit(draw, footer, font(24), inner), font=font(24), fill=MUTED)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def whatsapp_url(parts: list[str], url: str) -> str:
    """A wa.me link that opens WhatsApp with the text ``part — part — … url``."""
    text = " — ".join(part for part in parts if part) + " " + url
    return "https://wa.me/?text=" + quote(text, safe="")
