"""The public pages walk the tree from the city down to one RT, in Bahasa Indonesia first."""

import re

import pytest

from transparency import create_app

pytestmark = pytest.mark.demo_once


def _rows(html: str) -> list[str]:
    """Link texts of the area table, in order."""
    return re.findall(r'<td><a href="/wilayah/[^"]+">([^<]+)</a>', html)


def test_home_lists_the_31_kecamatan(client, demo_city):
    html = client.get("/").get_data(as_text=True)
    kecamatan = _rows(html)
    assert len(kecamatan) == 31
    assert kecamatan[:3] == ["Karang Pilang", "Wonocolo", "Rungkut"]
    assert "Pabean Cantian" in kecamatan


def test_tanjung_perak_is_under_pabean_cantian(client, demo_city):
    html = client.get("/wilayah/35.78.12").get_data(as_text=True)
    assert "<h1>Kecamatan Pabean Cantian</h1>" in html
    assert "Tanjung Perak" in _rows(html)


@pytest.mark.parametrize(
    ("kecamatan", "code"), [("35.78.03", "35.78.03.1005"), ("35.78.05", "35.78.05.1005")]
)
def test_each_wonorejo_is_under_its_own_kecamatan(client, demo_city, kecamatan, code):
    html = client.get(f"/wilayah/{kecamatan}").get_data(as_text=True)
    assert f'<a href="/wilayah/{code}">Wonorejo</a>' in html


def test_walk_down_to_an_rt_and_see_its_households(client, demo_city):
    kelurahan = client.get("/wilayah/35.78.03.1005").get_data(as_text=True)
    assert "RW 001" in _rows(kelurahan)
    rw = client.get("/wilayah/35.78.03.1005.001").get_data(as_text=True)
    assert "RT 001" in _rows(rw)
    rt = client.get("/wilayah/35.78.03.1005.001.001").get_data(as_text=True)
    # Register: 35.78.03.1005, RW 001, RT 001 has 111 households and 351 residents.
    assert "<dt>Jumlah KK</dt><dd>111</dd>" in rt
    assert "<dt>Jumlah jiwa</dt><dd>351</dd>" in rt
    assert '<a href="/wilayah/35.78.03">Rungkut</a>' in rt


def test_numbers_use_the_indonesian_format(client, demo_city):
    html = client.get("/wilayah/35.78.03.1005").get_data(as_text=True)
    totals = re.search(r"<dt>Jumlah KK</dt><dd>([\d.]+)</dd>", html).group(1)
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+", totals)


def test_english_is_a_choice_and_is_remembered(client, demo_city):
    response = client.get("/wilayah/35.78.03.1005.001.001?lang=en")
    assert "<dt>Households</dt><dd>111</dd>" in response.get_data(as_text=True)
    assert "lang=en" in response.headers["Set-Cookie"]
    again = client.get("/wilayah/35.78.03.1005.001.001").get_data(as_text=True)
    assert "<dt>Households</dt>" in again


def test_unknown_area_is_a_404_page_in_indonesian(client, demo_city):
    response = client.get("/wilayah/35.78.99")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.get_data(as_text=True)


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "up"}


def test_healthz_reports_a_database_that_is_down():
    app = create_app(
        {"TESTING": True, "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "down"
