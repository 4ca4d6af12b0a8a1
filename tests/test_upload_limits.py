"""Upload limits and names (battery UP-01, UP-05): an oversized body is refused before any
parsing with a friendly page, an account that floods uploads is stopped with 429, and a
hostile file name is kept only as harmless metadata."""

import io

import pytest
from sqlmodel import func, select

from tests.conftest import SAMPLE_KELURAHAN, SAMPLES, make_app
from tests.test_upload_web import confirm_suggestions
from transparency.models import AuditEvent, Upload, UploadFile

DEMO_KELURAHAN = SAMPLE_KELURAHAN
pytestmark = pytest.mark.demo_once

DISPENDIK = "dispendik_anak_sekolah_sinau_2026-10.xlsx"
DINSOS = "dinsos_gamis_pramis_2026-10.xlsx"  # has rejected rows, so a report workbook


def signed_in(app, username: str = "dispendik", password: str = "dispendik-demo-2026"):
    client = app.test_client()
    response = client.post("/masuk", data={"username": username, "password": password})
    assert response.status_code == 302
    return client


def send(client, content: bytes, filename: str = DISPENDIK, lang: str = "id"):
    data = {
        "indicator_set": "dispendik_anak_sekolah",
        "period": "2026-10",
        "mapping": "",
        "file": (io.BytesIO(content), filename),
    }
    response = client.post(f"/unggah/?lang={lang}", data=data, content_type="multipart/form-data")
    response.request.environ["wsgi.input"].close()
    return response


def stored(session) -> tuple[int, int]:
    """(uploads, kept files): what an upload leaves in the database."""
    return (
        session.exec(select(func.count()).select_from(Upload)).one(),
        session.exec(select(func.count()).select_from(UploadFile)).one(),
    )


def test_a_body_one_byte_over_the_limit_is_413_with_a_friendly_page_and_nothing_kept(
    engine, session
):
    limit = 64 * 1024
    app = make_app(engine, session, MAX_CONTENT_LENGTH=limit)
    client = signed_in(app)
    before = stored(session)
    response = send(client, b"0" * (limit + 1))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Berkas terlalu besar" in page
    assert "Ukuran berkas paling besar 1 MB" in page  # 64 KiB rounds up to the 1 MB shown
    assert "Traceback" not in page
    assert stored(session) == before
    english = send(client, b"0" * (limit + 1), lang="en").get_data(as_text=True)
    assert "Files may be at most 1 MB. Nothing of this file was kept." in english


def test_an_account_over_its_upload_quota_gets_429_and_nothing_more_is_kept(engine, session):
    app = make_app(engine, session, UPLOAD_LIMIT_ACCOUNT="3/minute")
    client = signed_in(app)
    content = (SAMPLES / DISPENDIK).read_bytes()
    before_uploads, _files = stored(session)
    for _ in range(3):
        assert send(client, content).status_code == 302
    assert stored(session)[0] == before_uploads + 3
    refused = send(client, content)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Terlalu banyak unggahan" in page
    assert "Berkas ini tidak disimpan sama sekali" in page
    assert stored(session)[0] == before_uploads + 3
    assert (
        session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "upload.throttled")
        ).one()
        == 1
    )
    # The quota is per account: another operator of the city still uploads.
    other = signed_in(app, "dinsos", "dinsos-demo-2026")
    assert other.get("/unggah/").status_code == 200
    # Looking at the upload page is not counted.
    assert client.get("/unggah/").status_code == 200


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../app/config.py", "config.py"),
        ("x.xlsx\x00.html", "x.xlsx_.html"),
        ("data.xlsx.exe", "data.xlsx.exe"),
        ("CON", "CON"),
        ("laporan\u202eslx.exe", "laporan_slx.exe"),
        ("x" * 300 + ".xlsx", "x" * 115 + ".xlsx"),
    ],
)
def test_a_hostile_file_name_is_kept_only_as_clean_metadata(app, session, sent, kept):
    client = signed_in(app)
    response = send(client, (SAMPLES / DISPENDIK).read_bytes(), filename=sent)
    assert response.status_code == 302
    upload = session.exec(select(Upload).order_by(Upload.id.desc())).first()
    assert upload.file_name == kept
    page = client.get(f"/unggah/{upload.id}").get_data(as_text=True)
    assert "\u202e" not in page and "\x00" not in page


def test_the_report_workbook_downloads_as_an_attachment_under_a_server_made_name(app, session):
    client = signed_in(app, "dinsos", "dinsos-demo-2026")
    data = {
        "indicator_set": "dinsos_gamis_pramis",
        "period": "2026-10",
        "file": (io.BytesIO((SAMPLES / DINSOS).read_bytes()), "<script>.xlsx"),
    }
    response = client.post("/unggah/", data=data, content_type="multipart/form-data")
    response.request.environ["wsgi.input"].close()
    upload_id = int(response.headers["Location"].rstrip("/").split("/")[-2])
    confirm_suggestions(client, f"/unggah/{upload_id}/pemetaan", save_as="")
    download = client.get(f"/unggah/{upload_id}/laporan.xlsx")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="laporan-unggah-{upload_id}.xlsx"'
    )
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
