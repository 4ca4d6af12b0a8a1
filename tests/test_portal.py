"""Publication, corrections and the public portal: what the walidata does, what the public
sees, in every format, and how it is cached."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from tests.conftest import RT_A, login, walidata_scope
from transparency.disclosure import MARKER
from transparency.models import (
    ActiveUpload,
    AuditEvent,
    Correction,
    Figure,
    Indicator,
    Period,
    Publication,
    Upload,
    UploadStatus,
    User,
    Verification,
    VerificationStatus,
)
from transparency.services import publishing
from transparency.views.public import TABLE_HEADER

pytestmark = pytest.mark.demo_once
KELURAHAN = "35.78.03.1005"


def _ids(session, indicator: str, period: str):
    ind = session.exec(select(Indicator).where(Indicator.code == indicator)).one()
    per = session.exec(select(Period).where(Period.code == period)).one()
    return ind, per


def _pointers(session, ind, per) -> list[ActiveUpload]:
    """The upload in force for an indicator and period, one pointer per kelurahan."""
    return session.exec(
        select(ActiveUpload).where(
            ActiveUpload.indicator_id == ind.id, ActiveUpload.period_id == per.id
        )
    ).all()


def _new_version(session, indicator: str, period: str, change: dict[str, int]) -> Upload:
    """A committed upload that copies the version in force with some RT values changed."""
    ind, per = _ids(session, indicator, period)
    pointers = _pointers(session, ind, per)
    old = session.get(Upload, pointers[0].upload_id)
    upload = Upload(
        department_id=old.department_id,
        period_id=per.id,
        file_name="koreksi.xlsx",
        sha256="b" * 64,
        status=UploadStatus.COMMITTED,
        committed_at=datetime(2026, 11, 11, tzinfo=UTC),
    )
    session.add(upload)
    session.flush()
    from transparency.models import Area

    codes = {a.id: a.code for a in session.exec(select(Area))}
    for figure in session.exec(
        select(Figure).where(Figure.upload_id == old.id, Figure.indicator_id == ind.id)
    ).all():
        value = change.get(codes[figure.area_id], figure.value)
        session.add(
            Figure(
                area_id=figure.area_id,
                indicator_id=ind.id,
                period_id=per.id,
                upload_id=upload.id,
                value=value,
                kelurahan_id=figure.kelurahan_id,
            )
        )
    for active in pointers:
        active.upload_id = upload.id
        session.add(active)
    session.flush()
    return upload


def test_the_demo_publishes_every_month_but_the_latest(client, demo_city):
    session = demo_city
    periods = set(
        session.exec(
            select(Period.code).join(Publication, Publication.period_id == Period.id)
        ).all()
    )
    assert "2026-10" not in periods and {"2025-11", "2026-09"} <= periods
    assert len(periods) == 11
    html = client.get("/").get_data(as_text=True)
    assert 'data-period="2026-09"' in html and 'data-period="2026-10"' not in html
    assert client.get("/indikator/kk_gamis/2026-10").status_code == 404
    assert client.get("/api/v1/indicators/kk_gamis/periods/2026-10").get_json() == {
        "error": {"status": 404, "message": "Periode indikator ini belum dipublikasikan."}
    }


def test_walidata_sees_how_the_rts_answered_before_publishing(app, demo_city):
    session = demo_city
    ind, per = _ids(session, "kk_gamis", "2026-10")
    active = _pointers(session, ind, per)[0]
    rt_user = session.exec(select(User).where(User.username == "rt001.rw001.wonorejo")).one()
    from transparency.models import Area

    # RW 002: the demo's own confirmations and disputes are in RW 001.
    before = next(
        r
        for r in publishing.list_ready(session)
        if r.indicator.code == "kk_gamis" and r.period.code == "2026-10"
    )
    rts = session.exec(select(Area).where(Area.code.startswith(KELURAHAN + ".002."))).all()
    statuses = [VerificationStatus.CONFIRMED] * 3 + [VerificationStatus.DISPUTED] * 2
    for area, status in zip(rts, statuses, strict=False):
        session.add(
            Verification(
                area_id=area.id,
                indicator_id=ind.id,
                period_id=per.id,
                upload_id=active.upload_id,
                status=status,
                note="angka tidak sesuai" if status == VerificationStatus.DISPUTED else "",
                created_by_id=rt_user.id,
            )
        )
    session.commit()
    row = next(
        r
        for r in publishing.list_ready(session)
        if r.indicator.code == "kk_gamis" and r.period.code == "2026-10"
    )
    total_rts = session.exec(select(Area).where(Area.level == "rt")).all()
    assert (row.confirmed, row.disputed, row.silent, row.state) == (
        before.confirmed + 3,
        before.disputed + 2,
        len(total_rts) - before.confirmed - before.disputed - 5,
        "unpublished",
    )
    client = app.test_client()
    assert login(client, "walidata").status_code == 302
    html = client.get("/admin/publikasi/").get_data(as_text=True)
    assert 'data-publish="kk_gamis/2026-10" data-state="unpublished"' in html
    older = client.get("/admin/publikasi/?periode=2026-09").get_data(as_text=True)
    assert 'data-publish="kk_gamis/2026-09" data-state="published"' in older
    # Each row leads to its department's completeness page.
    row = html.split('data-publish="kk_gamis/2026-10"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'<a href="/dasbor/dinas/dinsos"[^>]*>Dinas Sosial</a>', row)
    assert client.get("/dasbor/dinas/dinsos").status_code == 200
    # Publishing goes through the confirmation page, which carries the version checked.
    page = client.get("/admin/publikasi/kk_gamis/2026-10").get_data(as_text=True)
    checked = re.search(r'name="upload" value="(\d+)"', page).group(1)
    assert int(checked) == active.upload_id
    response = client.post("/admin/publikasi/kk_gamis/2026-10", data={"upload": checked})
    assert response.status_code == 302
    assert client.get("/indikator/kk_gamis/2026-10").status_code == 200
    again = client.post("/admin/publikasi/kk_gamis/2026-10")
    assert again.status_code == 400
    assert "Versi ini sudah dipublikasikan." in again.get_data(as_text=True)
    assert client.post("/admin/publikasi/tidak_ada/2026-10").status_code == 404
    events = session.exec(
        select(AuditEvent.action, AuditEvent.actor_name).where(
            AuditEvent.action.startswith("publication.")
        )
    ).all()
    assert ("publication.publish", "walidata") in [tuple(e) for e in events]


def test_a_correction_needs_a_reason_and_shows_publicly_with_the_history(app, demo_city):
    session = demo_city
    user, scope = walidata_scope(session)
    rt = f"{KELURAHAN}.001.005"
    _new_version(session, "kk_total", "2026-09", {rt: 150})
    session.commit()
    client = app.test_client()
    # The new version is not public until it is published as a correction.
    before = client.get("/api/v1/indicators/kk_total/periods/2026-09?level=rt").get_json()
    old_value = next(r["value"] for r in before["rows"] if r["area"] == rt)
    assert old_value != 150
    now = datetime(2026, 11, 12, 4, tzinfo=UTC)
    with pytest.raises(publishing.PublishRefused) as refused:
        publishing.publish(session, scope, user, "kk_total", "2026-09", now)
    assert refused.value.code == "publish.reason_needed"
    with pytest.raises(publishing.PublishRefused) as refused:
        publishing.publish(session, scope, user, "kk_total", "2026-09", now, reason="x" * 2001)
    assert refused.value.code == "publish.reason_too_long"
    reason = "data RT 005 salah ketik di unggahan Dispendukcapil"
    publication = publishing.publish(session, scope, user, "kk_total", "2026-09", now, reason)
    session.commit()
    correction = session.exec(
        select(Correction).where(Correction.publication_id == publication.id)
    ).one()
    assert correction.reason == reason
    after = client.get("/api/v1/indicators/kk_total/periods/2026-09?level=rt").get_json()
    row = next(r for r in after["rows"] if r["area"] == rt)
    assert row["value"] == 150
    assert after["publication"]["correction"]["reason"] == reason
    page = client.get(f"/wilayah/{rt}").get_data(as_text=True)
    assert "Dikoreksi pada 12 November 2026 karena " + reason in page
    # The earlier version stays readable, marked as such.
    history = client.get("/indikator/kk_total").get_data(as_text=True)
    earlier = re.search(r'href="(/indikator/kk_total/2026-09\?versi=(\d+))"', history)
    assert earlier, "no link to the earlier version"
    old_page = client.get(earlier.group(1) + "&tingkat=rt").get_data(as_text=True)
    assert "Versi sebelumnya, sudah diganti oleh koreksi." in old_page
    old_json = client.get(
        f"/api/v1/indicators/kk_total/periods/2026-09?level=rt&version={earlier.group(2)}"
    ).get_json()
    assert next(r["value"] for r in old_json["rows"] if r["area"] == rt) == old_value
    assert old_json["publication"]["current"] is False
    # The workbook says so on its "about" sheet.
    book = load_workbook(io.BytesIO(client.get("/indikator/kk_total/2026-09/data.xlsx").data))
    assert book.sheetnames == ["kk_total-2026-09-kecamatan", "Keterangan"]
    about = dict(book["Keterangan"].iter_rows(values_only=True))
    assert about["Koreksi"] == reason
    assert about["Jumlah KK"] == (
        f"September 2026 · Dinas Kependudukan dan Pencatatan Sipil · dipublikasikan "
        f"12 November 2026 (publikasi {publication.id})"
    )


def test_public_pages_show_protected_figures_with_provenance(client, demo_city):
    html = client.get(f"/wilayah/{KELURAHAN}.001?indikator=balita_stunting").get_data(as_text=True)
    assert "Dinas Kesehatan" in html
    assert "diterima " in html and "dipublikasikan 10 Oktober 2026" in html
    assert "<svg" in html and "<script" not in html
    cells = re.findall(
        r'data-area="([^"]+)" data-indicator="balita_stunting" data-period="2026-09">([^<]*)<',
        html,
    )
    assert len(cells) > 3
    for _area, shown in cells:
        assert shown == MARKER or shown == "0" or int(shown.replace(".", "")) >= 10
    assert any(shown == MARKER for _area, shown in cells)  # small counts are common here


def test_completeness_counts_rts_without_data(client, demo_city):
    session = demo_city
    user, scope = walidata_scope(session)
    from transparency.models import Area

    ind, per = _ids(session, "lansia", "2026-10")
    active = _pointers(session, ind, per)[0]
    gone = session.exec(select(Area).where(Area.code.startswith(f"{KELURAHAN}.002."))).all()
    for figure in session.exec(
        select(Figure).where(
            Figure.upload_id == active.upload_id,
            Figure.indicator_id == ind.id,
            Figure.area_id.in_([a.id for a in gone[:3]]),
        )
    ):
        session.delete(figure)
    session.flush()
    publishing.publish(session, scope, user, "lansia", "2026-10", datetime.now(UTC))
    session.commit()
    html = client.get(f"/wilayah/{KELURAHAN}.002").get_data(as_text=True)
    assert "3 RT belum ada data" in html


def test_downloads_carry_one_marker_in_every_format(client, demo_city):
    base = "/indikator/balita_stunting/2026-09"
    html = client.get(base + "?tingkat=rt").get_data(as_text=True)
    hidden = re.findall(r'data-area="([^"]+)" data-indicator="balita_stunting"[^>]*>\*<', html)
    assert hidden
    code = hidden[0]
    data = client.get(base + "/data.json?tingkat=rt").get_json()
    row = next(r for r in data["rows"] if r["area_code"] == code)
    assert row["value"] == MARKER == data["marker"]
    api = client.get("/api/v1/indicators/balita_stunting/periods/2026-09?level=rt").get_json()
    cell = next(r for r in api["rows"] if r["area"] == code)
    assert (cell["value"], cell["display"], cell["hidden"]) == (None, MARKER, True)
    response = client.get(base + "/data.csv?tingkat=rt")
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert 'filename="balita_stunting-2026-09-rt.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert next(r for r in rows if r["area_code"] == code)["value"] == MARKER
    book = load_workbook(io.BytesIO(client.get(base + "/data.xlsx?tingkat=rt").data))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    value, note = header.index("Angka"), header.index("Catatan")
    found = [r for r in sheet.iter_rows(min_row=2) if r[0].value == code][0]
    assert found[value].value == MARKER
    assert found[note].value == "Disembunyikan untuk melindungi privasi keluarga"
    shown = [r for r in sheet.iter_rows(min_row=2) if r[value].value != MARKER]
    assert shown and all(r[value].data_type == "n" for r in shown)
    assert all(r[note].value is None for r in shown)
    excel = client.get(base + "/data.csv?tingkat=rt&untuk=excel")
    assert 'filename="balita_stunting-2026-09-rt-excel.csv"' in excel.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(excel.data.decode("utf-8-sig")), delimiter=";"))
    assert next(r for r in rows if r[0] == code)[6] == MARKER


def test_formula_like_area_names_are_escaped_in_downloads(client, demo_city):
    session = demo_city
    from transparency.models import Area

    area = session.exec(select(Area).where(Area.code == RT_A)).one()
    area.name = '=HYPERLINK("http://x","y")'
    session.add(area)
    session.commit()
    response = client.get(f"/wilayah/{KELURAHAN}.001/data.csv")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    names = {r["area_name"] for r in rows if r["area_code"] == RT_A}
    assert names == {'\'=HYPERLINK("http://x","y")'}
    html = client.get(f"/wilayah/{KELURAHAN}.001").get_data(as_text=True)
    assert "&#34;" in html or "&quot;" in html


def test_bad_input_gets_a_clear_message_never_a_500(client, demo_city):
    cases = {
        "/indikator/kk_gamis/2026-09?tingkat=provinsi": (400, "Tingkat harus salah satu dari"),
        "/indikator/kk_gamis/2026-09?versi=abc": (400, "Versi harus berupa nomor publikasi"),
        "/indikator/kk_gamis/2026-09?versi=999999": (404, "Halaman tidak ditemukan"),
        "/indikator/kk_gamis/bukan-periode": (404, "Halaman tidak ditemukan"),
        "/wilayah/35.78.03.1005?indikator=tidak_ada": (404, "Halaman tidak ditemukan"),
        "/api/v1/indicators/kk_gamis/periods/2026-09?level=x": (400, "Tingkat harus salah satu"),
        "/api/v1/areas/35.78.99": (404, "Tidak ada wilayah dengan kode ini."),
        "/cari?q=" + "%00%ff" * 80: (200, "Cari"),
        "/wilayah/35.78%00": (404, "Halaman tidak ditemukan"),
        "/indikator/kk_gamis%00/2026-09": (404, "Halaman tidak ditemukan"),
        "/indikator/kk_gamis/2026-09%00/data.csv": (404, "Halaman tidak ditemukan"),
        "/api/v1/areas/35.78%00": (404, "Tidak ada wilayah dengan kode ini."),
        "/api/v1/indicators/x%00/periods/2026-09": (404, "Tidak ada indikator"),
        "/api/v1/indicators/kk_gamis/periods/%00": (404, "belum dipublikasikan"),
    }
    for url, (status, text) in cases.items():
        response = client.get(url)
        assert response.status_code == status, url
        assert text in response.get_data(as_text=True), url


def test_search_finds_kelurahan_and_rts_by_name(client, demo_city):
    html = client.get("/cari?q=wonorejo").get_data(as_text=True)
    assert 'href="/wilayah/35.78.03.1005"' in html and 'href="/wilayah/35.78.05.1005"' in html
    html = client.get("/cari?q=RT+1+RW+1+Wonorejo").get_data(as_text=True)
    assert 'href="/wilayah/35.78.03.1005.001.001"' in html
    assert 'href="/wilayah/35.78.05.1005.001.001"' in html
    assert "0 hasil" in client.get("/cari?q=tidak-ada-kelurahan").get_data(as_text=True)


def test_pages_have_preview_tags_for_sharing(client, demo_city):
    html = client.get(f"/wilayah/{RT_A}").get_data(as_text=True)
    assert '<meta property="og:title" content="RT 001, RW 001, Wonorejo, Rungkut' in html
    assert f'<meta property="og:url" content="http://localhost/wilayah/{RT_A}">' in html
    assert '<meta property="og:description"' in html


def test_anonymous_public_answers_are_cacheable_with_etags(client, demo_city):
    for url in ("/", f"/wilayah/{KELURAHAN}", f"/api/v1/areas/{KELURAHAN}"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "max-age=300, public", url
        assert "Cookie" not in response.headers.get("Vary", ""), url
        assert "Set-Cookie" not in response.headers, url
        etag = response.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""


def test_signed_in_answers_are_never_stored_and_exact_figures_stay_in_scope(app, demo_city):
    client = app.test_client()
    assert login(client, "rt001.rw001.wonorejo").status_code == 302
    public = client.get(f"/wilayah/{RT_A}")
    assert public.headers["Cache-Control"] == "no-store" and "ETag" not in public.headers
    assert "Cookie" in public.headers["Vary"]
    dashboard = client.get(f"/dasbor/wilayah/{RT_A}")
    assert dashboard.headers["Cache-Control"] == "no-store"
    # The dashboard shows the exact count; the public page the protected one.
    exact = re.search(r'data-indicator="kk_gamis">([^<]+)<', dashboard.get_data(as_text=True))
    published = re.search(
        rf'data-area="{RT_A}" data-indicator="kk_gamis" data-period="2026-09">([^<]+)<',
        public.get_data(as_text=True),
    )
    assert exact and published
    assert client.get(f"/dasbor/wilayah/{KELURAHAN}.001.002").status_code == 404


def test_the_memo_replays_anonymous_answers_until_something_is_published(engine, demo_city):
    from tests.conftest import make_app

    session = demo_city
    app = make_app(engine, session, PUBLIC_MEMO_CHECK_SECONDS=3600)
    client = app.test_client()
    url = "/api/v1/indicators/lansia/periods/2026-09?level=kelurahan"
    first = client.get(url)
    rt = f"{KELURAHAN}.001.005"
    _new_version(session, "lansia", "2026-09", {rt: 999})
    user, scope = walidata_scope(session)
    publishing.publish(session, scope, user, "lansia", "2026-09", datetime.now(UTC), "koreksi")
    session.commit()
    # Within the check interval the worker replays what it computed ...
    assert client.get(url).data == first.data
    # ... a signed-in person is never served from the memo ...
    signed = app.test_client()
    assert login(signed, "walidata").status_code == 302
    assert signed.get(url).data != first.data
    # ... and once the version is checked again, everyone sees the correction.
    app.config["PUBLIC_MEMO_CHECK_SECONDS"] = 0
    fresh = client.get(url).get_json()
    assert fresh["publication"]["correction"]["reason"] == "koreksi"


def test_a_chosen_language_is_cached_by_the_browser_only(client, demo_city):
    chosen = client.get(f"/wilayah/{KELURAHAN}?lang=en")
    assert "lang=en" in chosen.headers["Set-Cookie"]
    assert chosen.headers["Cache-Control"] == "max-age=300, private"
    again = client.get(f"/wilayah/{KELURAHAN}")  # the cookie now says English
    assert again.headers["Cache-Control"] == "max-age=300, private"
    assert "Households" in again.get_data(as_text=True)


def test_the_rt_home_marks_a_figure_published_only_while_its_upload_is_published(client, demo_city):
    """Issue 5's "published" state: after the month is published the RT head's card says
    so; a correction uploaded afterwards is not published until the walidata republishes."""
    session = demo_city
    user, scope = walidata_scope(session)
    publishing.publish(session, scope, user, "lansia", "2026-10", datetime.now(UTC))
    session.commit()
    assert login(client, "rt001.rw001.wonorejo").status_code == 302
    rt = f"{KELURAHAN}.001.001"

    def lansia_badges() -> list[str]:
        html = client.get(f"/dasbor/wilayah/{rt}").get_data(as_text=True)
        card = html.split('id="lansia"', 1)[1].split("</section>", 1)[0]
        return re.findall(r'class="badge badge-([a-z]+)"', card)

    assert lansia_badges() == ["awaiting", "published"]
    _new_version(session, "lansia", "2026-10", {rt: 77})
    session.commit()
    assert lansia_badges() == ["awaiting"]
    publishing.publish(session, scope, user, "lansia", "2026-10", datetime.now(UTC), "koreksi")
    session.commit()
    assert lansia_badges() == ["awaiting", "published"]


EXCEL_HEADER_ID = [
    "Kode wilayah",
    "Wilayah",
    "Tingkat",
    "Kode indikator",
    "Indikator",
    "Periode",
    "Angka",
    "Satuan",
    "Persentase KK",
    "Jumlah KK",
    "RT tanpa data",
    "Dipublikasikan",
    "Publikasi",
    "Catatan",
]


def test_the_workbook_is_for_people_in_their_language(client, demo_city):
    base = "/indikator/kk_gamis/2026-09"
    machine = client.get(base + "/data.json").get_json()["rows"]
    rungkut = next(r for r in machine if r["area_code"] == "35.78.03")
    book = load_workbook(io.BytesIO(client.get(base + "/data.xlsx").data))
    assert book.sheetnames == ["kk_gamis-2026-09-kecamatan", "Keterangan"]
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == EXCEL_HEADER_ID
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["E"].width == 34
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "35.78.03")
    assert [c.value for c in row[:8]] == [
        "35.78.03",
        "Rungkut",
        "Kecamatan",
        "kk_gamis",
        "KK miskin (Gamis)",
        "September 2026",
        rungkut["value"],
        "KK",
    ]
    assert (row[6].number_format, row[9].number_format, row[11].number_format) == (
        "#,##0",
        "#,##0",
        "yyyy-mm-dd",
    )
    assert row[8].value == rungkut["share_of_households_pct"]
    assert row[11].value.date().isoformat() == rungkut["published_at"]
    about = dict(book["Keterangan"].iter_rows(values_only=True))
    assert about["Sumber"] == "Transparansi RT, data terbuka per RT Kota Surabaya"
    assert about["Diunduh dari"] == "http://localhost/indikator/kk_gamis/2026-09/data.xlsx"
    assert about["Aturan perlindungan"] == (
        "* = disembunyikan untuk melindungi privasi keluarga (angka kecil, atau angka yang "
        "dapat membuka angka kecil)."
    )
    assert about["KK miskin (Gamis)"].startswith("September 2026 · Dinas Sosial · dipublikasikan ")
    # In English on request; the machine CSV keeps its codes whatever the language.
    english = load_workbook(io.BytesIO(client.get(base + "/data.xlsx?lang=en").data))
    assert [c.value for c in english.worksheets[0][1]][:7] == [
        "Area code",
        "Area",
        "Level",
        "Indicator code",
        "Indicator",
        "Period",
        "Figure",
    ]
    assert english.sheetnames[1] == "About"
    header = client.get(base + "/data.csv?lang=en").data.decode("utf-8-sig").split("\r\n")[0]
    assert header == ",".join(TABLE_HEADER)
    excel = (
        client.get(base + "/data.csv?untuk=excel&lang=id").data.decode("utf-8-sig").split("\r\n")
    )
    assert excel[0] == ";".join(EXCEL_HEADER_ID)
    share = str(rungkut["share_of_households_pct"]).replace(".", ",")
    line = next(x for x in excel if x.startswith("35.78.03;"))
    assert line.split(";")[:9] == [
        "35.78.03",
        "Rungkut",
        "Kecamatan",
        "kk_gamis",
        "KK miskin (Gamis)",
        "September 2026",
        str(rungkut["value"]),
        "KK",
        share,
    ]
