"""Sharing a public page: the preview picture made by the app and the WhatsApp link."""

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from sqlmodel import select

from transparency import sharing
from transparency.disclosure import MARKER
from transparency.models import Indicator

pytestmark = pytest.mark.demo_once
KELURAHAN = "35.78.03.1005"


def _text_of(link: str) -> str:
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/")
    return parse_qs(parts.query)["text"][0]


def test_whatsapp_url_encodes_the_whole_text():
    link = sharing.whatsapp_url(["RT 001 & 002", "", "Oktober 2026"], "http://x/wilayah/1?a=b#c")
    assert link == (
        "https://wa.me/?text=RT%20001%20%26%20002%20%E2%80%94%20Oktober%202026%20"
        "http%3A%2F%2Fx%2Fwilayah%2F1%3Fa%3Db%23c"
    )
    assert _text_of(link) == "RT 001 & 002 — Oktober 2026 http://x/wilayah/1?a=b#c"


@pytest.mark.parametrize("fonts", ["dejavu", "none"])
def test_the_picture_is_a_1200_by_630_png_with_or_without_fonts(monkeypatch, tmp_path, fonts):
    if fonts == "none":  # a fresh machine without fonts-dejavu-core: Pillow's own font
        monkeypatch.setattr(sharing, "FONT_DIRS", (tmp_path,))
        sharing.font.cache_clear()
    try:
        body = sharing.headline_png(
            "Kelurahan Wonorejo", "Oktober 2026", [("KK", "375 KK")] * 6, "x", "T"
        )
    finally:
        sharing.font.cache_clear()
    image = Image.open(io.BytesIO(body))
    assert (image.format, image.size) == ("PNG", (1200, 630))
    # The figure is drawn in the brand colour at the right margin of the first line.
    colours = {image.getpixel((x, y)) for x in range(1000, 1140) for y in range(270, 320)}
    assert (11, 61, 110) in colours


def test_a_long_label_is_cut_with_an_ellipsis():
    draw = sharing.ImageDraw.Draw(sharing.Image.new("RGB", (10, 10)))
    face = sharing.font(32)
    cut = sharing.fit(draw, "Balita stunting " * 10, face, 300)
    assert cut.endswith("…") and draw.textlength(cut, font=face) <= 300
    assert sharing.fit(draw, "KK", face, 300) == "KK"


def test_area_page_shares_area_period_figure_and_url(client, demo_city):
    html = client.get(f"/wilayah/{KELURAHAN}").get_data(as_text=True)
    assert (
        f'<meta property="og:image" content="http://localhost/wilayah/{KELURAHAN}/og.png">' in html
    )
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    link = re.search(r'<a class="whatsapp" href="([^"]+)"', html).group(1)
    api = client.get(f"/api/v1/areas/{KELURAHAN}").get_json()
    gamis = next(f for f in api["figures"] if f["indicator"] == "kk_gamis")
    assert _text_of(link.replace("&amp;", "&")) == (
        f"Kelurahan Wonorejo, Rungkut — September 2026 — KK miskin (Gamis): "
        f"{gamis['value']} KK http://localhost/wilayah/{KELURAHAN}"
    )
    assert ">Bagikan ke WhatsApp</a>" in html and "<script" not in html


def test_preview_pictures_show_only_published_protected_figures(client, demo_city, monkeypatch):
    drawn = []
    real = sharing.headline_png
    monkeypatch.setattr(sharing, "headline_png", lambda *a: drawn.append(a) or real(*a))
    rt = f"{KELURAHAN}.001.001"
    response = client.get(f"/wilayah/{rt}/og.png")
    assert (response.status_code, response.mimetype) == (200, "image/png")
    assert Image.open(io.BytesIO(response.data)).size == (1200, 630)
    title, subtitle, lines, footer, brand = drawn[-1]
    assert (title, subtitle) == (
        "RT 001, RW 001, Wonorejo, Rungkut",
        "Angka terbitan, September 2026",
    )
    api = client.get(f"/api/v1/areas/{rt}").get_json()
    units = dict(demo_city.exec(select(Indicator.code, Indicator.unit)).all())
    expected = []
    for figure in api["figures"]:
        shown = (
            "disembunyikan (jumlah kecil)"
            if figure["value"] is None
            else f"{figure['value']:,}".replace(",", ".") + " " + units[figure["indicator"]]
        )
        expected.append(shown)
    assert [figure for _, figure in lines] == expected
    assert "disembunyikan (jumlah kecil)" in expected  # a hidden count stays hidden
    assert footer.endswith(f"{MARKER} = disembunyikan untuk melindungi privasi keluarga")
    # The indicator's picture: the city and its three largest kecamatan.
    response = client.get("/indikator/kk_gamis/og.png")
    assert response.status_code == 200
    title, subtitle, lines, _footer, _brand = drawn[-1]
    assert (title, subtitle) == ("KK miskin (Gamis)", "Kota Surabaya · September 2026")
    assert lines[0][0] == "Kota Surabaya" and len(lines) == 4
    assert client.get("/wilayah/35.78.99/og.png").status_code == 404


def test_indicator_page_shares_the_city_figure(client, demo_city):
    html = client.get("/indikator/kk_gamis").get_data(as_text=True)
    assert '<meta property="og:image" content="http://localhost/indikator/kk_gamis/og.png">' in html
    link = re.search(r'<a class="whatsapp" href="([^"]+)"', html).group(1)
    text = _text_of(link.replace("&amp;", "&"))
    assert text.startswith("KK miskin (Gamis) — Kota Surabaya — September 2026 — ")
    assert text.endswith(" KK http://localhost/indikator/kk_gamis")
