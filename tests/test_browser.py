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
    assert page.locator('[data-indicator="kk_total"]').inner_text() == "111"
    assert page.locator("[data-indicator]").count() == 12
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


# The dispute flow, in Bahasa Indonesia and in English: (language, the Dinsos figure the RT
# head disputes, labels on the way).
FLOWS = {
    "id": {
        "indicator": "kk_pramis",
        "report": "Laporkan angka ini salah",
        "send": "Kirim sanggahan",
        "disputed": "Disanggah",
        "sign_out": "Keluar",
        "disputes": "Sanggahan",
        "rejected": "Ditolak",
        "answer": "Kirim jawaban",
        "answered": "Sanggahan ditolak",
        "note": "Di RT kami ada 12 KK pra-miskin, bukan {value}",
        "reason": "Sesuai pendataan DTKS Oktober; silakan cek bersama RW.",
    },
    "en": {
        "indicator": "jiwa_gamis",
        "report": "Report the figure as wrong",
        "send": "Send the dispute",
        "disputed": "Disputed",
        "sign_out": "Sign out",
        "disputes": "Disputes",
        "rejected": "Rejected",
        "answer": "Send the answer",
        "answered": "Dispute rejected",
        "note": "Our RT has 30 people in Gamis households, not {value}",
        "reason": "As in the October DTKS survey; please check with the RW.",
    },
}
LOGIN_LABELS = {
    "id": ("Nama pengguna", "Kata sandi", "Masuk"),
    "en": ("Username", "Password", "Sign in"),
}
RT_HOME = "/dasbor/wilayah/35.78.03.1005.001.001"


def _sign_in_as(page, base: str, lang: str, username: str, password: str) -> None:
    page.goto(base + "/masuk")
    user_label, password_label, button = LOGIN_LABELS[lang]
    page.get_by_label(user_label).fill(username)
    page.get_by_label(password_label).fill(password)
    page.get_by_role("button", name=button, exact=True).click()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_rt_head_disputes_dinsos_answers_rt_head_reads_the_answer(phone, live_server, lang):
    page, base, flow = phone, live_server.url, FLOWS[lang]
    _sign_in_as(page, base, "id", "rt001.rw001.wonorejo", "ketuart-demo-2026")
    assert page.url.endswith(RT_HOME)
    if lang == "en":  # chosen once, remembered on the account (and in this browser's cookie)
        page.get_by_role("button", name="English").click()
        assert page.url.endswith(RT_HOME)
    card = page.locator(f"section#{flow['indicator']}")
    value = card.locator("[data-indicator]").inner_text()
    assert value.replace(".", "").replace(",", "").isdigit()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"rt-home-360-{lang}.png"), full_page=False)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    card.get_by_text(flow["report"]).click()
    note = flow["note"].format(value=value)
    card.locator("textarea[name=note]").fill(note)
    card.locator("input[name=claimed_value]").fill("12")
    card.get_by_role("button", name=flow["send"]).click()
    card = page.locator(f"section#{flow['indicator']}")
    assert card.locator(".badge-disputed").inner_text() == flow["disputed"]
    assert note in card.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"rt-disputed-360-{lang}.png"), full_page=False)
    page.get_by_role("button", name=flow["sign_out"]).click()

    _sign_in_as(page, base, lang, "dinsos", "dinsos-demo-2026")
    page.get_by_role("link", name=flow["disputes"], exact=True).click()
    dispute = page.locator("article.dispute", has_text=note)
    assert dispute.count() == 1
    dispute.locator("select[name=decision]").select_option(label=flow["rejected"])
    dispute.locator("textarea[name=reason]").fill(flow["reason"])
    dispute.get_by_role("button", name=flow["answer"]).click()
    dispute = page.locator("article.dispute", has_text=note)
    assert flow["reason"] in dispute.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name=flow["sign_out"]).click()

    page.context.clear_cookies()  # another phone: the language comes from the account
    _sign_in_as(page, base, "id", "rt001.rw001.wonorejo", "ketuart-demo-2026")
    card = page.locator(f"section#{flow['indicator']}")
    answer = card.locator(".answer").inner_text()
    assert answer == f"{flow['answered']}: {flow['reason']}"
    assert page.locator("html").get_attribute("lang") == lang
    page.screenshot(path=str(ARTIFACTS / f"rt-answered-360-{lang}.png"), full_page=False)
    if lang == "en":  # back to Indonesian for whoever runs after
        page.get_by_role("button", name="Bahasa Indonesia").click()


def test_notice_board_prints_on_one_a4_page(phone, live_server):
    from io import BytesIO

    from pypdf import PdfReader

    page = phone
    _sign_in_as(page, live_server.url, "id", "rt001.rw001.wonorejo", "ketuart-demo-2026")
    response = page.goto(live_server.url + RT_HOME + "/papan")
    assert response.status == 200
    assert page.locator("[data-board]").count() == 12
    assert page.locator(".qr svg").count() == 1
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (ARTIFACTS / "papan-rt.pdf").write_bytes(pdf)
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = reader.pages[0].extract_text()
    assert "PAPAN INFORMASI RT" in text and "Kelurahan Wonorejo · Kecamatan Rungkut" in text
    assert "September 2026" in text and "2026-09" not in text  # the period as a month
