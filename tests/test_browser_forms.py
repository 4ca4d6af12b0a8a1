"""In headless Chromium (issue 13): refused forms come back open, with the message next to
the field and the entry kept; downloads, upload progress and sharing as people meet them."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.browser import CHROMIUM_FLAGS, LiveServer, chromium_path, seeded_app
from tests.conftest import SEED, register_subset

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
RT_HOME = "/dasbor/wilayah/35.78.03.1005.001.001"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The demo city (three kelurahan registered) served on a free port, for this module."""
    folder = tmp_path_factory.mktemp("browser-forms")
    app = seeded_app(folder / "demo.sqlite3", SEED, register_subset(folder / "register.csv"))
    with LiveServer(app) as server:
        server.app = app
        yield server


@pytest.fixture(scope="module")
def chromium():
    """One Chromium for the module."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium):
    """A function giving a fresh page of the given viewport (phone or desktop)."""
    contexts = []

    def make(viewport: dict, javascript: bool = True):
        phone = viewport["width"] < 600
        context = chromium.new_context(
            java_script_enabled=javascript,
            viewport=viewport,
            device_scale_factor=2 if phone else 1,
            is_mobile=phone,
            has_touch=phone,
            accept_downloads=True,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=False)


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def in_viewport(page, selector: str) -> bool:
    """The element's box lies within the visible part of the page."""
    return page.evaluate(
        """(selector) => { const r = document.querySelector(selector).getBoundingClientRect();
        return r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth; }""",
        selector,
    )


# --- item 4: mistakes are seen and kept ------------------------------------------------------


def test_an_empty_dispute_note_comes_back_open_with_the_message_at_the_note(open_page, live_server):
    page, base = open_page(PHONE), live_server.url
    sign_in(page, base, "rt001.rw001.wonorejo", "ketuart-demo-2026")
    card = page.locator("section#kk_pramis")
    card.get_by_text("Laporkan angka ini salah").click()
    card.locator("input[name=claimed_value]").fill("12")
    card.get_by_role("button", name="Kirim sanggahan").click()

    assert page.url.endswith(RT_HOME + "/verifikasi")
    card = page.locator("section#kk_pramis")
    assert card.locator("form.verify details").get_attribute("open") == ""
    message = card.locator("#fout-kk_pramis")
    assert message.inner_text() == (
        "Tulis apa yang salah, misalnya: di RT kami ada 12 KK miskin, bukan 19."
    )
    note = card.locator("textarea[name=note]")
    assert note.get_attribute("aria-describedby") == "fout-kk_pramis"
    assert page.evaluate("document.activeElement.id") == "note-kk_pramis"
    assert card.locator("input[name=claimed_value]").input_value() == "12"
    assert in_viewport(page, "#fout-kk_pramis")
    assert in_viewport(page, "#note-kk_pramis")
    # No other card is opened or carries a message.
    assert page.locator("[role=alert]").count() == 1
    assert page.locator("section#kk_gamis form.verify details").get_attribute("open") is None
    shot(page, "item4-dispute-refused-360.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    note.fill("Di RT kami ada 12 KK pra-miskin")
    card.get_by_role("button", name="Kirim sanggahan").click()
    card = page.locator("section#kk_pramis")
    assert card.locator(".badge-disputed").inner_text() == "Disanggah"
    assert "Di RT kami ada 12 KK pra-miskin (angka yang benar: 12)" in card.inner_text()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
def test_a_rejection_without_reason_keeps_ditolak_and_a_resend_never_accepts(
    open_page, live_server, viewport
):
    page, base = open_page(viewport), live_server.url
    width = viewport["width"]
    indicator = "kk_gamis" if width == 360 else "jiwa_gamis"
    note = f"Angka {indicator} salah menurut catatan RT ({width})"
    sign_in(page, base, "rt001.rw001.wonorejo", "ketuart-demo-2026")
    card = page.locator(f"section#{indicator}")
    card.get_by_text("Laporkan angka ini salah").click()
    card.locator("textarea[name=note]").fill(note)
    card.get_by_role("button", name="Kirim sanggahan").click()
    page.get_by_role("button", name="Keluar").click()

    sign_in(page, base, "dinsos", "dinsos-demo-2026")
    page.goto(base + "/dasbor/sanggahan")
    dispute = page.locator("article.dispute", has_text=note)
    anchor = dispute.get_attribute("id")
    assert dispute.locator("select[name=decision]").input_value() == ""  # nothing chosen yet
    dispute.locator("select[name=decision]").select_option(label="Ditolak")
    dispute.get_by_role("button", name="Kirim jawaban").click()

    assert page.url.endswith("/jawab")
    dispute = page.locator("article.dispute", has_text=note)
    assert dispute.locator("select[name=decision]").input_value() == "rejected"
    assert dispute.locator(f"#fout-{anchor}").inner_text() == "Tuliskan alasan menolak sanggahan."
    assert page.evaluate("document.activeElement.name") == "reason"
    assert in_viewport(page, f"#fout-{anchor}")
    shot(page, f"item4-answer-refused-{width}.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # Sent again as it stands: refused again, still "Ditolak", never accepted.
    dispute.get_by_role("button", name="Kirim jawaban").click()
    dispute = page.locator("article.dispute", has_text=note)
    assert dispute.locator("select[name=decision]").input_value() == "rejected"
    assert dispute.locator(".state").inner_text() == "Disanggah"

    dispute.locator("textarea[name=reason]").fill("Sesuai DTKS Oktober.")
    dispute.get_by_role("button", name="Kirim jawaban").click()
    dispute = page.locator("article.dispute", has_text=note)
    assert dispute.locator(".state").inner_text().startswith("Sanggahan ditolak")
    assert dispute.locator(".answer").inner_text() == "Jawaban: Sesuai DTKS Oktober."


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
def test_bulk_accounts_clear_the_old_error_and_say_what_was_made(open_page, live_server, viewport):
    page, base = open_page(viewport), live_server.url
    width = viewport["width"]
    sign_in(page, base, "walidata", "walidata-demo-2026")
    page.goto(base + "/admin/pengguna/massal")
    page.get_by_label("Kode wilayah").fill("35.78.03.1005.001")
    page.get_by_role("button", name="Buat akun").click()
    assert page.locator("#fout-area_code").inner_text() == (
        "Masukkan kode kota, kecamatan, atau kelurahan."
    )
    field = page.get_by_label("Kode wilayah")
    assert field.input_value() == "35.78.03.1005.001"
    assert field.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "area_code"
    shot(page, f"item4-bulk-refused-{width}.png")

    code = "35.78.03.1005" if width == 360 else "35.78.12.1006"
    field.fill(code)
    page.get_by_role("button", name="Buat akun").click()
    assert page.locator("[role=alert]").count() == 0
    done = page.locator("[role=status].done")
    message = done.locator("strong").inner_text()
    shot(page, f"item4-bulk-done-{width}.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    with page.expect_download() as info:
        done.get_by_role("link", name="Unduh berkas Excel berisi kode aktivasi").click()
    download = info.value
    assert download.suggested_filename == f"aktivasi-ketua-rt-{code}.xlsx"
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))[3:]
    count = len(rows)
    assert count > 0
    assert message == f"{count} akun ketua RT baru untuk {rows[0][1]}."
    assert {row[1] for row in rows} == {"Wonorejo" if width == 360 else "Tanjung Perak"}


# --- item 6: downloads Excel users open ------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
def test_the_table_offers_excel_downloads_people_can_read(open_page, live_server, viewport):
    page, width = open_page(viewport), viewport["width"]
    page.goto(live_server.url + "/indikator/kk_gamis/2026-09")
    downloads = page.locator("p.downloads")
    assert downloads.inner_text() == "Unduh: Excel (XLSX) · CSV untuk Excel · CSV · JSON"
    downloads.scroll_into_view_if_needed()
    shot(page, f"item6-downloads-{width}.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    with page.expect_download() as info:
        downloads.get_by_role("link", name="CSV untuk Excel").click()
    assert info.value.suggested_filename == "kk_gamis-2026-09-kecamatan-excel.csv"
    text = Path(info.value.path()).read_bytes().decode("utf-8")
    lines = text.lstrip("\ufeff").split("\r\n")
    assert text.startswith("\ufeffKode wilayah;Wilayah;Tingkat;Kode indikator;Indikator;")
    rungkut = next(line for line in lines if line.startswith("35.78.03;")).split(";")
    assert rungkut[:6] == [
        "35.78.03",
        "Rungkut",
        "Kecamatan",
        "kk_gamis",
        "KK miskin (Gamis)",
        "September 2026",
    ]
    assert "," in rungkut[8] and "." not in rungkut[8]  # the share with a decimal comma

    with page.expect_download() as info:
        downloads.get_by_role("link", name="Excel (XLSX)").click()
    book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert book.sheetnames == ["kk_gamis-2026-09-kecamatan", "Keterangan"]
    assert book.worksheets[0].freeze_panes == "A2"
    assert book.worksheets[0]["E1"].value == "Indikator"


def test_the_upload_template_has_no_kk_as_text_and_a_kategori_list(open_page, live_server):
    page = open_page(DESKTOP)
    sign_in(page, live_server.url, "dinsos", "dinsos-demo-2026")
    page.goto(live_server.url + "/unggah/")
    shot(page, "item6-upload-templates-1280.png")
    with page.expect_download() as info:
        page.get_by_role("link", name="Keluarga miskin (Gamis) dan pra-miskin (Pramis)").click()
    assert info.value.suggested_filename == "templat-dinsos_gamis_pramis.xlsx"
    data = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))["Data"]
    assert data.column_dimensions["A"].number_format == "@"
    [choices] = data.data_validations.dataValidation
    assert choices.formula1 == '"GAMIS,PRAMIS"'


# --- item 10: progress that means something ---------------------------------------------------


def _running_upload(app, rows_checked: int) -> int:
    """A Dinsos upload being checked: a sheet of 12,757 rows (header on row 1)."""
    from datetime import UTC, datetime

    from sqlmodel import Session, select

    from transparency.db import get_engine
    from transparency.models import Department, Period, Upload, UploadStatus, User

    with app.app_context(), Session(get_engine()) as session:
        upload = Upload(
            department_id=session.exec(
                select(Department.id).where(Department.code == "dinsos")
            ).one(),
            period_id=session.exec(select(Period.id).where(Period.code == "2026-10")).one(),
            uploaded_by_id=session.exec(select(User.id).where(User.username == "dinsos")).one(),
            file_name="gamis-oktober.xlsx",
            sha256="d" * 64,
            status=UploadStatus.PARSING,
            indicator_set="dinsos_gamis_pramis",
            mapping_applied={
                "sheet": "Data",
                "header_row": 1,
                "columns": {},
                "headers": {},
                "values": {},
                "ignored": [],
            },
            summary={
                "heartbeat": datetime.now(UTC).isoformat(),
                "rows_checked": rows_checked,
                "sheet_rows": {"Data": 12757},
            },
        )
        session.add(upload)
        session.commit()
        return upload.id


def _set_upload(app, upload_id: int, rows_checked: int, status=None) -> None:
    from datetime import UTC, datetime

    from sqlmodel import Session

    from transparency.db import get_engine
    from transparency.models import Upload

    with app.app_context(), Session(get_engine()) as session:
        upload = session.get(Upload, upload_id)
        upload.summary = {
            **upload.summary,
            "rows_checked": rows_checked,
            "heartbeat": datetime.now(UTC).isoformat(),
        }
        if status is not None:
            upload.status = status
        session.add(upload)
        session.commit()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
def test_the_bar_counts_rows_of_the_sheet_and_moves_without_a_reload(
    open_page, live_server, viewport
):
    from transparency.models import UploadStatus

    page, width, app = open_page(viewport), viewport["width"], live_server.app
    upload_id = _running_upload(app, 1234)
    sign_in(page, live_server.url, "dinsos", "dinsos-demo-2026")
    page.goto(f"{live_server.url}/unggah/{upload_id}")
    bar = page.locator("progress#progress-bar")
    assert (bar.get_attribute("max"), bar.get_attribute("value")) == ("12756", "1234")
    assert page.locator("#progress-text").inner_text() == "1.234 dari 12.756 baris diperiksa"
    assert page.get_by_text("Masalah (").count() == 0
    shot(page, f"item10-progress-{width}.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.evaluate("window.sameDocument = true")

    _set_upload(app, upload_id, 6500)
    page.locator("#progress-text", has_text="6.500 dari 12.756 baris diperiksa").wait_for(
        timeout=8000
    )
    assert page.evaluate("window.sameDocument") is True  # moved in place, not reloaded
    assert page.evaluate("document.getElementById('progress-bar').value") == 6500

    _set_upload(app, upload_id, 12756, UploadStatus.FAILED)
    page.wait_for_selector("h2:has-text('Masalah (0)')", timeout=8000)
    assert page.locator("progress").count() == 0


def test_without_javascript_the_page_reloads_itself(open_page, live_server):
    page, app = open_page(PHONE, javascript=False), live_server.app
    upload_id = _running_upload(app, 100)
    sign_in(page, live_server.url, "dinsos", "dinsos-demo-2026")
    page.goto(f"{live_server.url}/unggah/{upload_id}")
    assert page.locator("#progress-text").inner_text() == "100 dari 12.756 baris diperiksa"
    _set_upload(app, upload_id, 2000)
    page.wait_for_selector("text=2.000 dari 12.756 baris diperiksa", timeout=8000)


# --- item 11: sharing ------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
@pytest.mark.parametrize(
    ("path", "starts"),
    [
        ("/wilayah/35.78.03.1005", "Kelurahan Wonorejo, Rungkut — September 2026 — KK miskin"),
        ("/indikator/kk_gamis", "KK miskin (Gamis) — Kota Surabaya — September 2026 — "),
    ],
    ids=["area", "indicator"],
)
def test_share_on_whatsapp_and_the_preview_picture(open_page, live_server, viewport, path, starts):
    from urllib.parse import parse_qs, urlsplit

    from PIL import Image

    page, width, base = open_page(viewport), viewport["width"], live_server.url
    page.goto(base + path)
    link = page.get_by_role("link", name="Bagikan ke WhatsApp")
    link.scroll_into_view_if_needed()
    assert link.is_visible()
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    href = link.get_attribute("href")
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc) == ("https", "wa.me")
    text = parse_qs(parts.query)["text"][0]
    assert text.startswith(starts)
    assert text.endswith(" " + base + path)
    assert page.evaluate("document.scripts.length") == 0  # a plain link, no script
    name = path.strip("/").replace("/", "-")
    shot(page, f"item11-share-{name}-{width}.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    image_url = page.locator('meta[property="og:image"]').get_attribute("content")
    assert image_url == base + path + "/og.png"
    response = page.request.get(image_url)
    assert (response.status, response.headers["content-type"]) == (200, "image/png")
    image = Image.open(io.BytesIO(response.body()))
    assert image.size == (1200, 630)
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / f"item11-og-{name}.png")
