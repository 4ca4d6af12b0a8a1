"""An operator uploads the sample workbooks as Dinsos and Dispendik would: the mapping is
confirmed once, the dry run shows every problem, the commit puts exactly the expected
figures in force, and the next month's upload with the saved mapping asks nothing."""

import csv
import io
import re
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlalchemy import update
from sqlmodel import select

from tests.conftest import SAMPLE_KELURAHAN, SAMPLES
from tests.test_import_service import (
    edited_dispendik,
    kenjeran_rts,
    sample_rows_only,
    unknown_rts,
    without_kenjeran,
    words_for_counts,
)
from transparency.models import (
    ActiveUpload,
    Area,
    Figure,
    Indicator,
    Period,
    Upload,
    UploadFile,
)
from transparency.queries import figure_in_force

DINSOS = "dinsos_gamis_pramis_2026-10.xlsx"
DISPENDIK = "dispendik_anak_sekolah_sinau_2026-10.xlsx"


DEMO_KELURAHAN = SAMPLE_KELURAHAN  # conftest's seeded_connection registers these


pytestmark = pytest.mark.demo_once


def expected(name: str) -> dict[tuple[str, str], int]:
    """The figures a correct import yields, per (RT code, indicator)."""
    with (SAMPLES / "expected" / name.replace(".xlsx", ".csv")).open(encoding="utf-8") as f:
        return {
            (row["rt_code"], key): int(value)
            for row in csv.DictReader(f)
            for key, value in row.items()
            if key != "rt_code"
        }


def in_force(session, indicators) -> dict[tuple[str, str], int]:
    """The figures in force for 2026-10 of the given indicators."""
    rows = session.exec(
        select(Area.code, Indicator.code, Figure.value)
        .join(Area, Area.id == Figure.area_id)
        .join(Indicator, Indicator.id == Figure.indicator_id)
        .join(Period, Period.id == Figure.period_id)
        .join(ActiveUpload, figure_in_force())
        .where(Period.code == "2026-10", Indicator.code.in_(indicators), Area.code.like("35.78.%"))
    )
    return {(rt, ind): value for rt, ind, value in rows if rt.rsplit(".", 2)[0] in SAMPLE_KELURAHAN}


def signed_in(app, username: str, password: str):
    client = app.test_client()
    assert (
        client.post("/masuk", data={"username": username, "password": password}).status_code == 302
    )
    return client


def send(client, iset: str, filename: str, mapping: str = "", content: bytes | None = None):
    """Post a sample (or ``content`` under the sample's name) to the upload form."""
    content = (SAMPLES / filename).read_bytes() if content is None else content
    data = {
        "indicator_set": iset,
        "period": "2026-10",
        "mapping": mapping,
        "file": (io.BytesIO(content), filename),
    }
    response = client.post("/unggah/", data=data, content_type="multipart/form-data")
    response.request.environ["wsgi.input"].close()  # the test client spools big bodies to disk
    return response


def confirm_suggestions(client, url: str, save_as: str):
    """Post the mapping page back with every suggestion as it was offered."""
    html = client.get(url).get_data(as_text=True)
    form = {"save_as": save_as}
    for name, body in re.findall(r'<select name="(\w+)">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]+)" selected', body)
        if chosen:
            form[name] = chosen.group(1)
    return client.post(url, data=form), form


def commit(client, report_url: str):
    html = client.get(report_url).get_data(as_text=True)
    sha = re.search(r'name="sha256" value="(\w+)"', html).group(1)
    return client.post(report_url + "/simpan", data={"sha256": sha})


def test_dinsos_sample_through_the_upload_pages(app, session):
    dinsos = signed_in(app, "dinsos", "dinsos-demo-2026")
    received = send(dinsos, "dinsos_gamis_pramis", DINSOS)
    assert received.status_code == 302 and received.headers["Location"].endswith("/pemetaan")
    confirmed, form = confirm_suggestions(dinsos, received.headers["Location"], "Data Gamis Pramis")
    # The suggestions the operator confirmed: columns by header, categories by value.
    assert {k: v for k, v in form.items() if k.startswith("col_")} == {
        "col_kelurahan": "7",
        "col_kecamatan": "8",
        "col_rw": "6",
        "col_rt": "5",
        "col_household_id": "1",
        "col_members": "9",
        "col_category": "10",
    }
    assert sorted(v for k, v in form.items() if k.startswith("val_")) == ["GAMIS", "PRAMIS"]
    report_url = confirmed.headers["Location"]
    html = dinsos.get(report_url).get_data(as_text=True)
    assert re.findall(r'id="rows-(\w+)">([\d.]+)<', html) == [
        ("read", "12.756"),
        ("accepted", "12.754"),
        ("rejected", "2"),
        ("warned", "1"),
    ]
    assert re.findall(r'<tr class="(\w+)"><td>(\d+)</td><td>(\w*)</td>', html) == [
        ("error", "17", "F"),
        ("error", "27", "K"),
        ("warning", "4264", "B"),
    ]
    assert "RT 099 / RW 001 tidak ada dalam register kelurahan 35.78.03.1005." in html
    # The largest change first, short enough for a phone: RT/RW over the kelurahan code,
    # the figure in force → the file's figure.
    rt, rw, kelurahan, indicator, _old, new = re.search(
        r'<table class="areas compact changes">.*?<tbody>\s*<tr><td>(\d{3})/(\d{3})<br>'
        r'<span class="code">([\d.]+)</span></td><td>([^<]+)</td>'
        r'<td class="num">([\d.]+) → ([\d.]+)</td>',
        html,
        re.S,
    ).groups()
    # The indicator by its name, never its code.
    code = {"KK miskin (Gamis)": "kk_gamis", "KK pra-miskin (Pramis)": "kk_pramis"}.get(
        indicator, {"Jiwa dalam KK Gamis": "jiwa_gamis"}.get(indicator)
    )
    assert expected(DINSOS)[(f"{kelurahan}.{rw}.{rt}", code)] == int(new.replace(".", ""))
    workbook_url = report_url + "/laporan.xlsx"
    marked = openpyxl.load_workbook(io.BytesIO(dinsos.get(workbook_url).data)).active
    reasons = {row: marked.cell(row, 13).value for row in (5, 16, 17, 27, 4264)}
    assert reasons[5] == "ALASAN" and reasons[16] is None
    assert reasons[17] == "RT 099 / RW 001 tidak ada dalam register kelurahan 35.78.03.1005."
    assert "MAMPU" in reasons[27] and "4263" in reasons[4264]
    fills = {ref: marked[ref].fill.start_color.rgb for ref in ("F17", "K27", "B4264", "F16")}
    assert fills == {"F17": "FFF4B6B6", "K27": "FFF4B6B6", "B4264": "FFFFE8A3", "F16": "00000000"}
    assert commit(dinsos, report_url).status_code == 302
    assert in_force(session, ("kk_gamis", "kk_pramis", "jiwa_gamis")) == expected(DINSOS)
    assert dinsos.get(workbook_url).status_code == 404  # the file went with the commit

    again = send(dinsos, "dinsos_gamis_pramis", DINSOS, mapping="Data Gamis Pramis")
    assert not again.headers["Location"].endswith("/pemetaan")  # the saved mapping asks nothing
    upload = session.get(Upload, int(again.headers["Location"].rsplit("/", 1)[1]))
    assert upload.status == "noop"


def test_dispendik_sample_through_the_upload_pages(app, session):
    dispendik = signed_in(app, "dispendik", "dispendik-demo-2026")
    received = send(dispendik, "dispendik_anak_sekolah", DISPENDIK)
    confirmed, _form = confirm_suggestions(dispendik, received.headers["Location"], "")
    report_url = confirmed.headers["Location"]
    html = dispendik.get(report_url).get_data(as_text=True)
    assert re.findall(r'id="rows-(\w+)">([\d.]+)<', html) == [
        ("read", "483"),
        ("accepted", "483"),
        ("rejected", "0"),
        ("warned", "0"),
    ]
    assert commit(dispendik, report_url).status_code == 302
    indicators = ("anak_sd", "anak_smp", "anak_sma", "anak_tidak_sekolah", "peserta_sinau_bareng")
    assert in_force(session, indicators) == expected(DISPENDIK)


def test_an_operator_cannot_upload_for_another_department(app, session):
    dispendik = signed_in(app, "dispendik", "dispendik-demo-2026")
    refused = send(dispendik, "dinsos_gamis_pramis", DINSOS)
    assert refused.status_code == 200
    assert (
        session.exec(select(Upload).where(Upload.indicator_set == "dinsos_gamis_pramis")).first()
        is None
    )


def test_a_new_upload_deletes_the_files_of_uploads_past_their_deadline(app, session):
    """A file is kept a day at most even where no cron runs `flask purge-uploads`."""
    dispendik = signed_in(app, "dispendik", "dispendik-demo-2026")
    left = send(dispendik, "dispendik_anak_sekolah", DISPENDIK)  # the operator walks away
    stale = int(left.headers["Location"].split("/")[-2])
    session.exec(
        update(UploadFile)
        .where(UploadFile.upload_id == stale)
        .values(expires_at=datetime(2026, 1, 1, tzinfo=UTC))
    )
    session.commit()
    assert kept_files(session) == [stale]

    nxt = send(dispendik, "dispendik_anak_sekolah", DISPENDIK)
    fresh = int(nxt.headers["Location"].split("/")[-2])
    session.expire_all()
    assert kept_files(session) == [fresh]
    assert session.get(Upload, stale).error == "import.expired"


def kept_files(session) -> list[int]:
    return list(session.exec(select(UploadFile.upload_id).order_by(UploadFile.upload_id)))


def test_a_column_of_another_departments_indicator_is_shown_and_nothing_can_be_saved(app, session):
    dispendik = signed_in(app, "dispendik", "dispendik-demo-2026")
    changed = edited_dispendik("J3", "BALITA STUNTING", J4=2)
    received = send(dispendik, "dispendik_anak_sekolah", DISPENDIK, content=changed)
    confirmed, _form = confirm_suggestions(dispendik, received.headers["Location"], "")
    html = dispendik.get(confirmed.headers["Location"]).get_data(as_text=True)
    upload = session.get(Upload, int(confirmed.headers["Location"].rsplit("/", 1)[1]))
    assert upload.status == "failed"
    assert re.findall(r'<tr class="(\w+)"><td>(\d+)</td><td>(\w*)</td>', html) == [
        ("error", "3", "J")
    ]
    assert "berisi angka Balita stunting, indikator milik DINKES" in html
    assert 'name="sha256"' not in html  # no commit form


def test_a_dry_run_with_no_accepted_row_shows_no_save_button_and_refuses_the_commit(app, session):
    dispendik = signed_in(app, "dispendik", "dispendik-demo-2026")
    before = in_force(session, ["anak_sd", "anak_smp"])
    received = send(dispendik, "dispendik_anak_sekolah", DISPENDIK, content=unknown_rts(486))
    confirmed, _form = confirm_suggestions(dispendik, received.headers["Location"], "")
    report_url = confirmed.headers["Location"]
    html = dispendik.get(report_url).get_data(as_text=True)
    upload = session.get(Upload, int(report_url.rsplit("/", 1)[1]))
    assert (upload.status, upload.rows_accepted, upload.rows_rejected) == ("ready", 0, 483)
    assert 'name="sha256"' not in html and "/simpan" not in html
    assert "Tidak satu baris pun dari berkas diterima" in html
    posted = dispendik.post(report_url + "/simpan", data={"sha256": upload.sha256})
    page = dispendik.get(posted.headers["Location"]).get_data(as_text=True)
    assert '<p class="error" role="status">Tidak satu baris pun dari berkas diterima' in page
    status = session.exec(select(Upload.status).where(Upload.id == upload.id)).one()
    assert status == "ready"
    assert in_force(session, ["anak_sd", "anak_smp"]) == before


def test_the_report_page_lists_the_same_problem_on_many_rows_once(app, session):
    dispendik = signed_in(app, "dispendik", "dispendik-demo-2026")
    received = send(dispendik, "dispendik_anak_sekolah", DISPENDIK, content=words_for_counts())
    confirmed, _form = confirm_suggestions(dispendik, received.headers["Location"], "")
    html = dispendik.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert re.findall(r'<tr class="(\w+)"><td>([^<]+)</td><td>(\w*)</td>', html) == [
        ("error", "20", "E"),
        ("error", "baris 4\u201319, 21\u2013486 (482 baris)", "E"),
    ]
    assert "Masalah (483)" in html


def test_a_commit_that_would_remove_figures_needs_the_confirmation_box(app, session):
    dispendik = signed_in(app, "dispendik", "dispendik-demo-2026")
    before, rts = in_force(session, ["anak_sd"]), kenjeran_rts()
    received = send(dispendik, "dispendik_anak_sekolah", DISPENDIK, content=without_kenjeran())
    confirmed, _form = confirm_suggestions(dispendik, received.headers["Location"], "")
    report_url = confirmed.headers["Location"]
    html = dispendik.get(report_url).get_data(as_text=True)
    coverage = re.search(r'<ul id="coverage">(.*?)</ul>', html, re.S).group(1)
    assert "Kecamatan Rungkut: Wonorejo" in coverage and "Kecamatan Bulak: Kenjeran" in coverage
    removals = re.search(r'<div class="notice" id="removals">(.*?)</div>', html, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", removals) == [
        f"Kelurahan Kenjeran (kecamatan Bulak): {rts} RT, {rts * 5} angka"
    ]
    assert 'name="confirm_removals" value="1" required' in html
    sha = re.search(r'name="sha256" value="(\w+)"', html).group(1)
    refused = dispendik.post(report_url + "/simpan", data={"sha256": sha})
    page = dispendik.get(refused.headers["Location"]).get_data(as_text=True)
    assert f"Unggahan ini akan menghapus {rts * 5} angka yang berlaku" in page
    assert in_force(session, ["anak_sd"]) == before
    dispendik.post(report_url + "/simpan", data={"sha256": sha, "confirm_removals": "1"})
    after = in_force(session, ["anak_sd"])
    assert len(after) == len(before) - rts
    assert not [rt for rt, _ in after if rt.startswith("35.78.29.1003.008.")]


def test_the_operator_widens_the_coverage_to_a_kecamatan_on_the_report_page(app, session):
    dispendik = signed_in(app, "dispendik", "dispendik-demo-2026")
    wonorejo_only = sample_rows_only(lambda code, rw: code == "35.78.03.1005")
    received = send(dispendik, "dispendik_anak_sekolah", DISPENDIK, content=wonorejo_only)
    confirmed, _form = confirm_suggestions(dispendik, received.headers["Location"], "")
    report_url = confirmed.headers["Location"]
    html = dispendik.get(report_url).get_data(as_text=True)
    assert re.findall(
        r"<li>(.*?)</li>", re.search(r'<ul id="coverage">(.*?)</ul>', html, re.S).group(1)
    ) == ["Kecamatan Rungkut: Wonorejo"]
    assert 'id="removals"' not in html  # the other kelurahan keep their figures
    posted = dispendik.post(report_url + "/cakupan", data={"coverage": "kecamatan:35.78.29"})
    assert posted.headers["Location"].endswith(report_url)
    html = dispendik.get(report_url).get_data(as_text=True)
    assert "Anda memilih mencakup kecamatan Bulak: angka semua kelurahannya diganti." in html
    coverage = re.search(r'<ul id="coverage">(.*?)</ul>', html, re.S).group(1)
    assert "Kecamatan Bulak: " in coverage and "Kenjeran" in coverage
    rts = sum(
        1 for rt, ind in expected(DISPENDIK) if ind == "anak_sd" and rt.startswith("35.78.29.1003.")
    )
    removals = re.search(r'<div class="notice" id="removals">(.*?)</div>', html, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", removals) == [
        f"Kelurahan Kenjeran (kecamatan Bulak): {rts} RT, {rts * 5} angka"
    ]
    sha = re.search(r'name="sha256" value="(\w+)"', html).group(1)
    dispendik.post(report_url + "/simpan", data={"sha256": sha, "confirm_removals": "1"})
    after = in_force(session, ["anak_sd"])
    assert not [rt for rt, _ in after if rt.startswith("35.78.29.1003.")]
    assert [rt for rt, _ in after if rt.startswith("35.78.05.1005.")]  # Tegalsari kept


def test_the_mapping_page_shows_no_personal_value_and_keeps_none_after_the_file(app, session):
    """Sample values help the operator read the columns, but never a person's data: the
    No. KK, NIK, name and address columns show 'personal data: not shown', and the samples
    of the other columns go when the file goes (here, the operator never came back and the
    upload expired)."""
    from datetime import timedelta

    from transparency.services.imports import purge_expired

    dinsos = signed_in(app, "dinsos", "dinsos-demo-2026")
    received = send(dinsos, "dinsos_gamis_pramis", DINSOS)
    page = dinsos.get(received.headers["Location"]).get_data(as_text=True)
    rows = re.findall(r"<tr><td>([A-Z]+)</td><td>([^<]*)</td><td>(.*?)</td></tr>", page)
    shown = {letter: values for letter, _header, values in rows}
    private = "<em>data pribadi: tidak ditampilkan</em>"
    assert [shown[c] for c in "BCDE"] == [private] * 4  # NO KK, NIK, NAMA, ALAMAT
    assert shown["H"] == "WONOREJO · WONOREJO · WONOREJO" and shown["F"].startswith("01 · ")
    for value in ("3578034857466635", "3578033242289950", "WARGA 1", "JL. CONTOH NO. 142"):
        assert value not in page
    upload_id = int(received.headers["Location"].split("/")[-2])
    kept = session.get(Upload, upload_id).summary["suggestion"]
    assert kept["samples"][1:5] == [[], [], [], []] and kept["private"] == [1, 2, 3, 4]
    assert kept["samples"][7] == ["WONOREJO"] * 3
    assert purge_expired(session, datetime.now(UTC) + timedelta(days=2)) >= 1
    upload = session.get(Upload, upload_id)
    assert upload.status == "failed"
    assert upload.summary["suggestion"]["samples"] == []
