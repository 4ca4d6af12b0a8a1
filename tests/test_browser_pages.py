"""Issue 13 in headless Chromium, at 360 px and 1280 px, in Indonesian and English: tables
whose figure column stays on screen, words people use (month names, WIB, translated
statuses and units), honest charts, search with context, and the printable Papan.

Screenshots go to ``test-artifacts/`` (kept out of git) so that a person can look at them.
"""

import re
from pathlib import Path

import pytest

from tests.browser import CHROMIUM_FLAGS, LiveServer, chromium_path, seeded_app
from tests.conftest import RT_A, SEED, register_subset
from transparency.disclosure import MARKER

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
WIDTHS = (360, 1280)
ACCOUNTS = {
    "lurah": ("lurah.wonorejo", "lurah-demo-2026"),
    "camat": ("camat.rungkut", "camat-demo-2026"),
    "dinsos": ("dinsos", "dinsos-demo-2026"),
    "ketua_rt": ("rt001.rw001.wonorejo", "ketuart-demo-2026"),
    "walidata": ("walidata", "walidata-demo-2026"),
}
OFFICIAL = "td[data-child], td[data-change], td[data-confirmed], td[data-indicator]"
TABLE_PAGES = {  # page: (path, account or None, the cells of the column a person came for)
    "home": ("/", None, "td[data-indicator]"),
    "kecamatan": ("/wilayah/35.78.03", None, "td[data-indicator]"),
    "kelurahan": ("/wilayah/35.78.03.1005", None, "td[data-indicator]"),
    "rw": ("/wilayah/35.78.03.1005.001", None, "td[data-indicator]"),
    "rt": (f"/wilayah/{RT_A}", None, "td[data-indicator]"),
    "table": ("/indikator/kk_gamis/2026-09?tingkat=kelurahan", None, "td[data-area]"),
    "lurah": ("/dasbor/wilayah/35.78.03.1005", "lurah", OFFICIAL),
    "lurah-rw": ("/dasbor/wilayah/35.78.03.1005.001", "lurah", OFFICIAL),
    "camat": ("/dasbor/wilayah/35.78.03", "camat", OFFICIAL),
    "department": ("/dasbor/dinas/dinsos", "dinsos", 'td[data-complete$=":kk_gamis"]'),
    "department-kecamatan": (
        "/dasbor/dinas/dinsos?kecamatan=35.78.03&indikator=kk_pramis",
        "dinsos",
        'td[data-complete$=":kk_pramis"]',
    ),
}

# Each cell's left and right edge, and where the box that scrolls it sideways stops showing.
VISIBLE_EDGES = """cells => cells.map(cell => {
  const box = cell.getBoundingClientRect();
  let shownUntil = window.innerWidth;
  for (let up = cell.parentElement; up; up = up.parentElement) {
    if (getComputedStyle(up).overflowX !== "visible") {
      shownUntil = Math.min(shownUntil, up.getBoundingClientRect().right);
    }
  }
  return [box.left, box.right, shownUntil];
})"""

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The demo city (three kelurahan registered, all months but the latest published)."""
    folder = tmp_path_factory.mktemp("pages")
    app = seeded_app(folder / "demo.sqlite3", SEED, register_subset(folder / "register.csv"))
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module (each test gets its own context)."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def sessions(browser, live_server):
    """Each demo account's signed-in cookies, signed in once for the module."""
    states = {}
    for key, (username, password) in ACCOUNTS.items():
        context = browser.new_context()
        page = context.new_page()
        page.goto(live_server.url + "/masuk")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("main form button[type=submit]")
        assert "/masuk" not in page.url, f"{username} could not sign in"
        states[key] = context.storage_state()
        context.close()
    return states


@pytest.fixture
def open_page(browser, sessions):
    """A function giving a page of the given width, signed in as an account (or not)."""
    contexts = []

    def make(width: int, account: str | None = None, javascript: bool = False):
        phone = width < 600
        context = browser.new_context(
            viewport={"width": width, "height": 740 if phone else 800},
            device_scale_factor=2 if phone else 1,
            is_mobile=phone,
            has_touch=phone,
            java_script_enabled=javascript,  # every page must work without JavaScript
            storage_state=sessions[account] if account else None,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


def with_lang(path: str, lang: str) -> str:
    """The path with ``lang=`` added to its query."""
    return path + ("&" if "?" in path else "?") + "lang=" + lang


def shoot(page, name: str) -> None:
    """A full-page screenshot in test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# Item 3: the column a person came for stays on screen, and no page scrolls sideways.


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("name", list(TABLE_PAGES))
def test_the_figure_column_is_on_screen_without_sideways_scrolling(
    open_page, live_server, name, lang, width
):
    path, account, selector = TABLE_PAGES[name]
    page = open_page(width, account)
    response = page.goto(live_server.url + with_lang(path, lang))
    assert response.status == 200
    shoot(page, f"tables-{name}-{lang}-{width}")
    inner = page.evaluate("window.innerWidth")
    assert inner == width
    assert page.evaluate("document.documentElement.scrollWidth") <= inner
    edges = page.eval_on_selector_all(selector, VISIBLE_EDGES)
    assert len(edges) >= 3, f"no figure column found on {path}"
    for left, right, shown_until in edges:
        assert left >= 0 and right <= inner, f"figure column off screen on {path}"
        assert right <= shown_until + 0.5, f"figure column scrolled out of view on {path}"


# Item 5: periods as month names, times in WIB, statuses, actions and units in words.

MONTHS = {
    "id": "Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November|Desember",
    "en": "January|February|March|April|May|June|July|August|September|October|November|December",
}
PERIOD_CODE = re.compile(r"\b20\d\d-(0[1-9]|1[0-2])\b")
FILE_NAME = re.compile(r"\S+\.(xlsx|xls|csv)\b")  # the name a department gave its file
US_DATE = re.compile(r"\b(" + MONTHS["en"] + r") \d{1,2}, \d{4}\b")


def month_name(lang: str) -> re.Pattern:
    """``Oktober 2026`` / ``October 2026``, the whole text."""
    return re.compile(rf"({MONTHS[lang]}) 20\d\d")


def visible_text(page) -> str:
    """What a person reads in the page's main part."""
    return page.locator("main").inner_text()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_rt_home_shows_month_names_units_in_words_and_no_rt_rt(open_page, live_server, lang):
    page = open_page(360, "ketua_rt")
    page.goto(live_server.url + with_lang(f"/dasbor/wilayah/{RT_A}", lang))
    shoot(page, f"words-rt-home-{lang}-360")
    periods = page.locator(".figure .period").all_inner_texts()
    assert len(periods) == 12
    assert all(month_name(lang).fullmatch(text) for text in periods), periods
    units = set(page.locator(".figure .unit").all_inner_texts())
    expected = {
        "id": {"KK", "jiwa", "anak", "balita"},
        "en": {"households", "people", "children", "children under five"},
    }
    assert units == expected[lang]
    text = FILE_NAME.sub("", visible_text(page))  # a file's own name may hold anything
    assert not PERIOD_CODE.search(text), PERIOD_CODE.search(text)
    assert "RT RT" not in page.title() and "RT RT" not in text
    assert page.title().startswith("RT 001 / RW 001")
    if lang == "en":
        assert not US_DATE.search(text)
        assert re.search(r"uploaded \d{1,2} (" + MONTHS["en"] + r") 20\d\d", text)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_lurah_page_names_periods_by_month(open_page, live_server, lang, width):
    page = open_page(width, "lurah")
    page.goto(live_server.url + with_lang("/dasbor/wilayah/35.78.03.1005", lang))
    shoot(page, f"words-lurah-{lang}-{width}")
    heading = page.locator("section.overview h2").inner_text()
    assert month_name(lang).search(heading), heading
    text = FILE_NAME.sub("", visible_text(page))  # a file's own name may hold anything
    assert not PERIOD_CODE.search(text), PERIOD_CODE.search(text)
    chart_labels = page.locator("section.overview svg.chart text.label").all_text_contents()
    assert chart_labels and all(month_name(lang).fullmatch(t) for t in chart_labels)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_audit_trail_shows_wib_times_and_translated_actions(
    open_page, live_server, lang, width
):
    page = open_page(width, "walidata")
    page.goto(live_server.url + with_lang("/admin/audit?aksi=login", lang))
    shoot(page, f"words-audit-{lang}-{width}")
    signed_in = {"id": "Masuk", "en": "Sign-in"}[lang]  # the module's own sign-ins
    actions = page.locator("td[data-action]").all_inner_texts()
    assert len(actions) >= 5 and set(actions) == {signed_in}
    outcomes = set(page.locator("td[data-outcome]").all_inner_texts())
    assert outcomes == {{"id": "berhasil", "en": "done"}[lang]}
    times = page.locator("td[data-at]").all_inner_texts()
    assert all(
        re.fullmatch(r"\d{1,2} (" + MONTHS[lang] + r") 20\d\d,? \d\d[.:]\d\d WIB", t) for t in times
    ), times[:3]
    # The module signed in minutes ago: the newest sign-in is now, in Jakarta (UTC would be
    # seven hours off), and it is shown as that time.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    jakarta = ZoneInfo("Asia/Jakarta")
    stored = page.locator("td[data-at]").first.get_attribute("data-at")
    at = datetime.strptime(stored, "%Y-%m-%d %H:%M:%S").replace(tzinfo=jakarta)
    assert abs((datetime.now(jakarta) - at).total_seconds()) < 1800
    assert times[0].endswith(f"{stored[11:13]}{'.' if lang == 'id' else ':'}{stored[14:16]} WIB")
    text = visible_text(page)
    assert "login" not in text and "(WIB)" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_upload_history_says_statuses_in_words_and_times_in_wib(
    open_page, live_server, lang, width
):
    page = open_page(width, "dinsos")
    page.goto(live_server.url + with_lang("/unggah/riwayat", lang))
    shoot(page, f"words-uploads-{lang}-{width}")
    statuses = page.locator("td[data-status]")
    assert statuses.count() >= 1
    committed = page.locator('td[data-status="committed"]').first.inner_text()
    assert committed.startswith({"id": "tersimpan", "en": "saved"}[lang])
    text = visible_text(page)
    assert "committed" not in text and " UTC" not in text
    assert re.search(r"\d\d[.:]\d\d WIB", text)
    periods = page.locator("td[data-period]").all_inner_texts()
    assert periods and all(month_name(lang).fullmatch(t) for t in periods), periods[:3]


# Item 7: trend charts on a labelled axis from zero, the marker where a point is hidden, and
# text that keeps its size on a desktop.

CHART_GEOMETRY = """svg => {
  const box = svg.getBoundingClientRect(), scale = box.width / svg.viewBox.baseVal.width;
  const size = t => parseFloat(getComputedStyle(t).fontSize) * scale;
  const all = css => Array.from(svg.querySelectorAll(css));
  return {
    scale: scale,
    text_px: all("text").map(size),
    ticks: all("text.tick").map(t => [t.textContent, +t.getAttribute("y")]),
    baseline: Math.max(...all("line.axis").map(l => +l.getAttribute("y2"))),
    hidden: all("text.hidden").map(t => t.textContent),
    dots: svg.querySelectorAll("circle.dot").length,
    dot_ys: all("circle.dot").map(c => +c.getAttribute("cy")),
  };
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_a_public_trend_starts_at_zero_and_marks_the_hidden_months(open_page, live_server, width):
    page = open_page(width)
    page.goto(live_server.url + f"/wilayah/{RT_A}?indikator=kk_pramis")
    chart = page.locator("svg.chart")
    assert chart.count() == 1  # an RT has no children: the trend only
    ARTIFACTS.mkdir(exist_ok=True)
    chart.screenshot(path=str(ARTIFACTS / f"charts-public-trend-{width}.png"))
    shape = chart.evaluate(CHART_GEOMETRY)
    # Each of the 11 published months is a dot or, where it is protected (small counts and
    # what linked indicators protect), the marker: the demo hides some of them, not all.
    hidden = len(shape["hidden"])
    assert 0 < hidden < 11 and shape["hidden"] == [MARKER] * hidden
    assert shape["dots"] + hidden == 11
    (zero, zero_y), (top, top_y) = shape["ticks"]
    assert zero == "0" and zero_y == shape["baseline"] + 3  # the axis is labelled from zero
    assert top.isdigit() and int(top) >= 5  # the largest shown month, at the top of the axis
    assert min(shape["dot_ys"]) == pytest.approx(top_y - 3, abs=0.06)
    assert max(shape["dot_ys"]) < shape["baseline"]  # no shown month is zero: none on the axis
    if width >= 1280:
        assert shape["scale"] == pytest.approx(1, abs=0.01)  # drawn at its own size
        assert all(10 <= px <= 11.01 for px in shape["text_px"]), shape["text_px"]
    else:
        assert 0.85 <= shape["scale"] <= 1  # shrunk a little to fit a phone
        assert all(8.5 <= px <= 11.01 for px in shape["text_px"]), shape["text_px"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.goto(live_server.url + "/")  # the twelve headline trends of the city
    scales = page.eval_on_selector_all(
        ".headline svg.chart", "all => all.map(s => s.clientWidth / s.viewBox.baseVal.width)"
    )
    assert len(scales) == 12
    assert all(0.85 <= scale <= 1.001 for scale in scales), scales
    if width >= 1280:
        assert scales == pytest.approx([1] * 12, abs=0.01)


@pytest.mark.parametrize("width", WIDTHS)
def test_dashboard_trends_start_at_zero_with_text_at_a_fixed_size(open_page, live_server, width):
    page = open_page(width, "lurah")
    page.goto(live_server.url + "/dasbor/wilayah/35.78.03.1005?indikator=kk_total")
    chart = page.locator("section.overview svg.chart")
    chart.screenshot(path=str(ARTIFACTS / f"charts-lurah-trend-{width}.png"))
    shape = chart.evaluate(CHART_GEOMETRY)
    assert shape["ticks"][0] == ["0", shape["baseline"] + 3]
    assert shape["hidden"] == []  # exact figures: nothing is hidden on a dashboard
    total = page.locator('dd[data-total="kk_total"]').inner_text()
    assert shape["ticks"][1][0] == total  # households only grow in the demo: the latest is the top
    if width >= 1280:
        assert shape["scale"] == pytest.approx(1, abs=0.01)
        assert all(10 <= px <= 11.01 for px in shape["text_px"])


# Item 8: search results say where an area lies, the box keeps the query, and indicators are
# found by name.

SEARCHES = {  # query: (lang, the results' texts, in order)
    "RT 1 RW 1 Wonorejo": (
        "id",
        ["RT 001 / RW 001, Wonorejo, Rungkut", "RT 001 / RW 001, Wonorejo, Tegalsari"],
    ),
    "wonorejo": ("id", ["Kelurahan Wonorejo, Rungkut", "Kelurahan Wonorejo, Tegalsari"]),
    "RW 2 Wonorejo": ("en", ["RW 002, Wonorejo, Rungkut", "RW 002, Wonorejo, Tegalsari"]),
    "stunting": ("id", ["Balita stunting"]),
    "sinau": ("en", ["Sinau Bareng participants"]),
    "Stunted children": ("en", ["Stunted children under five"]),
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("query", list(SEARCHES))
def test_search_results_name_where_an_area_lies_and_find_indicators(
    open_page, live_server, query, width
):
    lang, expected = SEARCHES[query]
    page = open_page(width)
    page.goto(live_server.url + with_lang("/", lang))
    page.get_by_role("searchbox").fill(query)
    page.get_by_role("button", name={"id": "Cari", "en": "Search"}[lang]).click()
    assert "/cari?" in page.url
    shoot(page, f"search-{query.replace(' ', '_')}-{width}")
    assert page.get_by_role("searchbox").input_value() == query  # the box keeps the query
    found = [" ".join(text.split()) for text in page.locator("ul.results li").all_inner_texts()]
    assert found == expected
    first = page.locator("ul.results li a").first
    first.click()
    heading = page.locator("h1").inner_text()
    assert heading.startswith(expected[0].split(",")[0].split(" / ")[0])
    assert page.evaluate("document.documentElement.scrollWidth") <= width


# Item 9: the Papan: a way back and a Print button, the period as a month, the date printed,
# type for a wall on A4, and nothing wider than a phone.

PAPAN = f"/dasbor/wilayah/{RT_A}/papan"
SMALLEST_TEXT = """() => Array.from(document.body.querySelectorAll("*"))
  .filter(e => e.offsetParent !== null || e === document.body)
  .filter(e => Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim()))
  .map(e => [parseFloat(getComputedStyle(e).fontSize), e.textContent.trim().slice(0, 30)])
  .sort((a, b) => a[0] - b[0])[0]"""
WIDEST_RIGHT = "() => Math.max(...Array.from(document.body.querySelectorAll('*'))"
WIDEST_RIGHT += ".map(e => e.getBoundingClientRect().right))"


def today_in_jakarta(lang: str) -> str:
    """Today's date as the Papan prints it."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from babel.dates import format_date

    return format_date(datetime.now(ZoneInfo("Asia/Jakarta")).date(), "d MMMM yyyy", locale=lang)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_papan_on_a_phone_has_a_way_back_a_print_button_the_month_and_the_date(
    open_page, live_server, lang
):
    page = open_page(360, "ketua_rt", javascript=True)
    page.add_init_script("window.printed = 0; window.print = () => { window.printed += 1; };")
    page.goto(live_server.url + with_lang(PAPAN, lang))
    shoot(page, f"papan-{lang}-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(WIDEST_RIGHT) <= 360  # nothing sticks out, not even clipped
    assert page.locator("[data-board]").count() == 12
    period = page.locator("caption .board-period").inner_text()
    assert period == {"id": "September 2026", "en": "September 2026"}[lang]
    assert not PERIOD_CODE.search(page.locator("body").inner_text())
    printed = {"id": "Dicetak ", "en": "Printed on "}[lang] + today_in_jakarta(lang)
    assert page.locator(".printed").inner_text() == printed
    button = page.get_by_role("button", name={"id": "Cetak", "en": "Print"}[lang])
    assert button.is_visible() and not page.locator(".print-hint").is_visible()
    button.click()
    assert page.evaluate("window.printed") == 1
    page.get_by_role(
        "link", name={"id": "Kembali ke halaman RT", "en": "Back to the RT page"}[lang]
    ).click()
    assert page.url.split("?")[0] == live_server.url + f"/dasbor/wilayah/{RT_A}"


def test_the_papan_without_javascript_says_how_to_print(open_page, live_server):
    page = open_page(360, "ketua_rt")
    page.goto(live_server.url + PAPAN)
    assert page.locator(".print-hint").is_visible()
    assert not page.locator("button[data-print]").is_visible()
    assert page.locator("a.back").get_attribute("href") == f"/dasbor/wilayah/{RT_A}"


def test_the_papan_prints_large_type_on_one_a4_page(open_page, live_server):
    from io import BytesIO

    from pypdf import PdfReader

    page = open_page(794, "ketua_rt")  # an A4 page is 794 px wide at 96 px per inch
    page.goto(live_server.url + PAPAN)
    page.emulate_media(media="print")
    shoot(page, "papan-print-a4")
    assert not page.locator(".board-actions").is_visible()  # no buttons on paper
    figures = page.eval_on_selector_all(
        "td[data-board]", "cells => cells.map(c => parseFloat(getComputedStyle(c).fontSize))"
    )
    assert len(figures) == 12 and min(figures) >= 32  # 24 pt = 32 px
    smallest, where = page.evaluate(SMALLEST_TEXT)
    assert smallest >= 14 * 4 / 3 - 0.01, f"{smallest:.1f} px at {where!r}"  # 14 pt
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (ARTIFACTS / "papan-a4.pdf").write_bytes(pdf)
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "September 2026" in text and f"Dicetak {today_in_jakarta('id')}" in text
