"""The public portal in headless Chromium, on a phone (360×740) and a laptop (1280×800):
from the home page down to an RT and its CSV; the ketua RT's exact and public views."""

from pathlib import Path

import pytest

from tests.browser import CHROMIUM_FLAGS, LiveServer, chromium_path, seeded_app
from tests.conftest import RT_A, SEED, register_subset
from transparency.disclosure import MARKER

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
SIZES = {"phone": (360, 740), "laptop": (1280, 800)}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The demo city (three kelurahan registered, all months but the latest published)."""
    folder = tmp_path_factory.mktemp("portal")
    app = seeded_app(folder / "demo.sqlite3", SEED, register_subset(folder / "register.csv"))
    with LiveServer(app) as server:
        yield server


@pytest.fixture(params=list(SIZES))
def page(request, live_server):
    """A Chromium page at one of the two sizes."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    width, height = SIZES[request.param]
    phone = request.param == "phone"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        context = browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=2 if phone else 1,
            is_mobile=phone,
            has_touch=phone,
            accept_downloads=True,
            java_script_enabled=False,  # every page must work without JavaScript
        )
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        tab.size_name = request.param
        yield tab
        context.close()
        browser.close()


def test_walk_from_the_home_page_to_an_rt_and_download_its_csv(page, live_server):
    width = SIZES[page.size_name][0]
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Kota Surabaya"
    assert page.locator(".headline").count() == 12
    assert page.locator("svg.chart").count() >= 12
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"portal-home-{page.size_name}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("link", name="Rungkut", exact=True).click()
    page.get_by_role("link", name="Wonorejo", exact=True).click()
    assert page.locator("h1").inner_text() == "Kelurahan Wonorejo"
    page.get_by_role("link", name="RW 001", exact=True).click()
    page.get_by_role("link", name="RT 001", exact=True).click()
    assert page.url.endswith(f"/wilayah/{RT_A}")
    cell = page.locator(f'td[data-area="{RT_A}"][data-indicator="kk_total"]')
    assert cell.inner_text() == "111"
    assert page.locator("td[data-indicator]").count() == 12
    assert "RT" in page.title() and "Wonorejo" in page.title()
    page.screenshot(path=str(ARTIFACTS / f"portal-rt-{page.size_name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = info.value
    assert download.suggested_filename == f"data-{RT_A}.csv"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("area_code,area_name,level,indicator,period,value")
    assert f"{RT_A},RT 001,rt,kk_total,2026-09,111," in text


def test_search_finds_an_rt_without_javascript(page, live_server):
    page.goto(live_server.url + "/")
    page.get_by_role("searchbox").fill("RT 1 RW 1 Wonorejo")
    page.get_by_role("button", name="Cari").click()
    page.get_by_role("link", name="RT 001").first.click()
    assert page.url.endswith(f"/wilayah/{RT_A}") or page.url.endswith(
        "/wilayah/35.78.05.1005.001.001"
    )


def _sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def test_ketua_rt_sees_the_own_rt_exact_on_the_dashboard_and_protected_in_public(page, live_server):
    if page.size_name != "phone":
        pytest.skip("the ketua RT works on a phone")
    _sign_in(page, live_server.url, "rt001.rw001.wonorejo", "ketuart-demo-2026")
    assert page.url.endswith(f"/dasbor/wilayah/{RT_A}")
    exact = page.locator('.big[data-indicator="balita_stunting"]').inner_text()
    assert exact.isdigit() and 0 < int(exact) < 10  # a small count: exact for the ketua RT
    page.screenshot(path=str(ARTIFACTS / "ketua-rt-exact-360.png"), full_page=True)
    page.goto(live_server.url + f"/wilayah/{RT_A}")
    protected = page.locator(f'td[data-area="{RT_A}"][data-indicator="balita_stunting"]')
    assert protected.inner_text() == MARKER
    assert page.locator(".hint", has_text="disembunyikan").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "ketua-rt-public-360.png"), full_page=True)
