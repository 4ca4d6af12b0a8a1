"""In headless Chromium at phone size: walk from the city down to one RT."""

from pathlib import Path

import pytest

from tests.browser import CHROMIUM_FLAGS, LiveServer, chromium_path, seeded_app
from tests.conftest import SEED, register_subset

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The demo city (three kelurahan registered) served on a free port."""
    folder = tmp_path_factory.mktemp("browser")
    app = seeded_app(folder / "demo.sqlite3", SEED, register_subset(folder / "register.csv"))
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def phone(live_server):
    """A Chromium page 360×740 px, as on a mid-range Android phone."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        context = browser.new_context(
            viewport={"width": 360, "height": 740},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        context.close()
        browser.close()


def test_click_from_the_city_down_to_an_rt_on_a_phone(phone, live_server):
    page = phone
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Kota Surabaya"
    assert page.locator("table.areas tbody tr").count() == 31
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-360.png"), full_page=False)
    # Nothing is wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("link", name="Rungkut", exact=True).click()
    assert page.locator("h1").inner_text() == "Kecamatan Rungkut"
    page.get_by_role("link", name="Wonorejo", exact=True).click()
    assert page.locator("h1").inner_text() == "Kelurahan Wonorejo"
    page.get_by_role("link", name="RW 001", exact=True).click()
    page.get_by_role("link", name="RT 001", exact=True).click()
    assert page.url.endswith("/wilayah/35.78.03.1005.001.001")
    households = page.locator("dt", has_text="Jumlah KK").locator("xpath=following-sibling::dd")
    assert households.inner_text() == "111"
    page.screenshot(path=str(ARTIFACTS / "rt-360.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_both_wonorejo_each_under_its_own_kecamatan(phone, live_server):
    page = phone
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Tegalsari", exact=True).click()
    page.get_by_role("link", name="Wonorejo", exact=True).click()
    assert page.url.endswith("/wilayah/35.78.05.1005")
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Pabean Cantian", exact=True).click()
    page.get_by_role("link", name="Tanjung Perak", exact=True).click()
    assert page.url.endswith("/wilayah/35.78.12.1006")


def _sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def test_ketua_rt_sees_their_own_rt_and_no_other(phone, live_server):
    page = phone
    _sign_in(page, live_server.url, "rt001.rw001.wonorejo", "ketuart-demo-2026")
    assert page.url.endswith("/dasbor/wilayah/35.78.03.1005.001.001")
    assert page.locator("h1").inner_text() == "RT 001"
    # The RT's exact figures, straight from the demo register and figures.
    assert page.locator('td[data-indicator="kk_total"]').inner_text() == "111"
    assert page.locator("td[data-indicator]").count() == 12
    page.screenshot(path=str(ARTIFACTS / "ketua-rt-360.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    response = page.goto(live_server.url + "/dasbor/wilayah/35.78.03.1005.001.002")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Halaman tidak ditemukan"
    response = page.goto(live_server.url + "/admin/pengguna/")
    assert response.status == 403

    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Keluar").click()
    response = page.goto(live_server.url + "/dasbor/")
    assert page.url.startswith(live_server.url + "/masuk")


def test_lurah_sees_the_kelurahan_and_drills_down_to_an_rt(phone, live_server):
    page = phone
    _sign_in(page, live_server.url, "lurah.wonorejo", "lurah-demo-2026")
    assert page.url.endswith("/dasbor/wilayah/35.78.03.1005")
    assert page.locator("h1").inner_text() == "Kelurahan Wonorejo"
    page.get_by_role("link", name="RW 001", exact=True).click()
    page.get_by_role("link", name="RT 002", exact=True).click()
    assert page.url.endswith("/dasbor/wilayah/35.78.03.1005.001.002")
    assert page.goto(live_server.url + "/dasbor/wilayah/35.78.05.1005").status == 404
    assert page.goto(live_server.url + "/admin/pengguna/").status == 200
    assert page.goto(live_server.url + "/admin/pengguna/baru").status == 403
