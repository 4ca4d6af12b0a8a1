"""In headless Chromium at 360×740 and 1280×800 (issue 13): the walidata's publication
page, the lurah's and camat's verification overview, and odd numbers in addresses.
Screenshots go to test-artifacts/."""

import re
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.browser import CHROMIUM_FLAGS, LiveServer, chromium_path, seeded_app
from tests.conftest import PASSWORDS, SEED, register_subset

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The demo city (three kelurahan registered) served on a free port."""
    folder = tmp_path_factory.mktemp("browser-admin")
    app = seeded_app(folder / "demo.sqlite3", SEED, register_subset(folder / "register.csv"))
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def chromium(live_server):
    """A function opening a new signed-out page of the given size."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)

        @contextmanager
        def open_page(viewport):
            phone = viewport["width"] < 600
            context = browser.new_context(
                viewport=viewport, device_scale_factor=2 if phone else 1, is_mobile=phone
            )
            page = context.new_page()
            page.set_default_timeout(10_000)
            try:
                yield page
            finally:
                context.close()

        yield open_page
        browser.close()


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORDS[username])
    page.get_by_role("button", name="Masuk").click()
    assert "/masuk" not in page.url


def shot(page, name: str) -> None:
    """The whole page, and on a phone also the first screen as one sees it."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    if page.viewport_size["width"] < 600:
        page.screenshot(path=str(ARTIFACTS / name.replace(".png", "-screen.png")))


def no_sideways_scroll(page) -> None:
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def within_viewport(locator, page) -> None:
    """The element lies within the page's width (nothing to scroll to see it)."""
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0
    assert box["x"] + box["width"] <= page.evaluate("window.innerWidth") + 0.5


def test_the_walidata_checks_and_publishes_on_a_desktop_and_a_phone(chromium, live_server):
    base = live_server.url
    with chromium(DESKTOP) as page:
        sign_in(page, base, "walidata")
        page.goto(base + "/admin/publikasi/")
        assert page.locator("h1").inner_text() == "Publikasi · Oktober 2026"
        rows = page.locator("table.publishing tbody tr")
        assert rows.count() == 12
        gamis = page.locator('tr[data-publish="kk_gamis/2026-10"]')
        coverage = gamis.locator('[data-fact="coverage"]').inner_text()
        assert re.fullmatch(r"(\d+) dari \1", coverage)  # every RT of the demo has data
        assert "terhadap September 2026" in gamis.locator('[data-fact="change"]').inner_text()
        no_sideways_scroll(page)
        # On a desktop the figures sit side by side in one row of the table.
        boxes = [gamis.locator(f'[data-fact="{f}"]').bounding_box() for f in ("coverage", "total")]
        assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2
        shot(page, "publikasi-1280.png")
        total = gamis.locator('[data-fact="total"]').inner_text()
        gamis.get_by_role("link", name="Periksa dan publikasikan").click()
        assert page.locator("h1").inner_text() == "KK miskin (Gamis) · Oktober 2026"
        sentence = page.locator(".confirm-text").inner_text()
        assert sentence.startswith(
            f"Anda mempublikasikan KK miskin (Gamis) untuk Oktober 2026: total kota {total}, "
            f"{coverage} RT berdata,"
        )
        no_sideways_scroll(page)
        shot(page, "publikasi-konfirmasi-1280.png")
        page.get_by_role("button", name="Ya, publikasikan").click()
        assert page.locator('p[role="status"]').inner_text() == (
            "Dipublikasikan: KK miskin (Gamis), Oktober 2026."
        )
        assert gamis.get_attribute("data-state") == "published"

    with chromium(PHONE) as page:
        sign_in(page, base, "walidata")
        page.goto(base + "/admin/publikasi/?periode=2026-10")
        no_sideways_scroll(page)
        # On a phone each indicator is a card: its figures one under the other, in view.
        lansia = page.locator('tr[data-publish="lansia/2026-10"]')
        for fact in ("coverage", "total", "change"):
            within_viewport(lansia.locator(f'[data-fact="{fact}"]'), page)
        label = lansia.locator('[data-fact="total"]')
        assert label.evaluate("e => getComputedStyle(e, '::before').content") == '"Total kota"'
        shot(page, "publikasi-360.png")
        page.get_by_role(
            "link", name="Publikasikan semua 11 indikator siap untuk Oktober 2026"
        ).click()
        assert (
            page.locator("h1").inner_text()
            == "Publikasikan semua indikator siap untuk Oktober 2026"
        )
        assert page.locator("section.publish-item").count() == 11
        no_sideways_scroll(page)
        shot(page, "publikasi-semua-360.png")
        page.get_by_role("button", name="Ya, publikasikan semuanya (11)").click()
        message = page.locator('p[role="status"]').inner_text()
        assert message.startswith("Dipublikasikan 11 indikator untuk Oktober 2026: Jumlah KK, ")
        assert "kk_" not in message
        assert page.locator('tr[data-state="published"]').count() == 12


def grid_fits(page) -> None:
    """No sideways scrolling, and every row's last state mark lies within the screen."""
    no_sideways_scroll(page)
    for row in page.locator("table.state-grid tbody tr[data-row]").all()[:40]:
        within_viewport(row.locator("td").last, page)
    within_viewport(page.locator("table.state-grid th.ind").last, page)


def test_the_lurah_reads_the_overview_of_every_rt_on_a_phone(chromium, live_server):
    base = live_server.url
    with chromium(PHONE) as page:
        sign_in(page, base, "lurah.wonorejo")
        page.get_by_role("link", name="Ikhtisar verifikasi: semua RT dan indikator").click()
        assert page.url.endswith("/dasbor/wilayah/35.78.03.1005/ikhtisar")
        assert page.locator("h1").inner_text() == "Ikhtisar verifikasi · Kelurahan Wonorejo"
        legend = page.locator("ul.legend").inner_text().split("\n")
        assert legend == ["✓ dikonfirmasi", "! disanggah", "… menunggu", "– belum ada data"]
        rt2 = page.locator('tr[data-row="35.78.03.1005.001.002"]')
        marks = rt2.locator("td").all_inner_texts()
        assert len(marks) == 12 and marks[0] == "✓" and marks[2] == "!"
        assert marks.count("…") == 10
        # Counts per RW: RW 001 holds the demo's 4 confirmations and 3 disputes.
        rw1 = page.locator('tr[data-group="35.78.03.1005.001"] td').all_inner_texts()
        assert rw1[:2] == ["4", "3"] and rw1[3] == "0"
        grid_fits(page)
        shot(page, "ikhtisar-lurah-360.png")
        page.locator("table.state-grid").screenshot(path=str(ARTIFACTS / "ikhtisar-grid-360.png"))
        page.goto(base + "/dasbor/wilayah/35.78.03.1005/ikhtisar?lang=en")
        assert page.locator("h1").inner_text() == "Verification overview · Kelurahan Wonorejo"
        grid_fits(page)
        shot(page, "ikhtisar-lurah-en-360.png")


def test_the_camat_reads_the_overview_by_kelurahan_on_a_phone(chromium, live_server):
    base = live_server.url
    with chromium(PHONE) as page:
        sign_in(page, base, "camat.rungkut")
        page.goto(base + "/dasbor/wilayah/35.78.03/ikhtisar")
        assert page.locator("h1").inner_text() == "Ikhtisar verifikasi · Kecamatan Rungkut"
        wonorejo = page.locator('tr[data-row="35.78.03.1005"]')
        assert wonorejo.locator('td[data-cell="kk_gamis"]').inner_text() == "!"
        assert wonorejo.locator('td[data-cell="kk_total"]').inner_text() == "…"
        grid_fits(page)
        shot(page, "ikhtisar-camat-360.png")
        wonorejo.get_by_role("link", name="Wonorejo").click()
        assert page.locator("h1").inner_text() == "Ikhtisar verifikasi · Kelurahan Wonorejo"
        grid_fits(page)


def test_odd_numbers_and_a_crooked_next_on_a_phone(chromium, live_server):
    base = live_server.url
    with chromium(PHONE) as page:
        # Sign-in with ?next=/.//evil.example: refused, the person lands at home instead.
        page.goto(base + "/masuk?next=/.//evil.example")
        page.get_by_label("Nama pengguna").fill("walidata")
        page.get_by_label("Kata sandi").fill(PASSWORDS["walidata"])
        page.get_by_role("button", name="Masuk").click()
        assert page.url.startswith(base + "/")
        assert "evil" not in page.url
        for path in (
            "/admin/pengguna/?hal=99999999999999999999999",
            "/admin/audit?hal=99999999999999999999999",
            "/indikator/kk_gamis/2026-10?versi=99999999999999999999999",
            "/admin/pengguna/99999999999999999999999",
        ):
            response = page.goto(base + path)
            assert response.status == 404, path
            assert page.locator("h1").inner_text() == "Halaman tidak ditemukan"
            no_sideways_scroll(page)
        shot(page, "angka-ganjil-360.png")
        response = page.goto(
            base + "/api/v1/indicators/kk_gamis/periods/2026-09?version=" + "9" * 25
        )
        assert response.status == 404
        assert response.json()["error"]["status"] == 404
