"""The upload report while the file is checked: rows checked of the sheet's rows, from a
small status endpoint, with no "Problems (0)" before the count is known."""

from datetime import UTC, datetime

from sqlmodel import select

from tests.conftest import login
from transparency.models import Department, Period, Upload, UploadStatus, User


def running_upload(session, status=UploadStatus.PARSING, **summary) -> Upload:
    """A Dinsos upload the job is checking: a 12,757-row sheet (header on row 1)."""
    upload = Upload(
        department_id=session.exec(select(Department.id).where(Department.code == "dinsos")).one(),
        period_id=session.exec(select(Period.id).where(Period.code == "2026-10")).one(),
        uploaded_by_id=session.exec(select(User.id).where(User.username == "dinsos")).one(),
        file_name="gamis-oktober.xlsx",
        sha256="c" * 64,
        status=status,
        indicator_set="dinsos_gamis_pramis",
        mapping_applied={
            "sheet": "Data",
            "header_row": 1,
            "columns": {},
            "headers": {},
            "values": {},
            "ignored": [],
        },
        summary={"heartbeat": datetime.now(UTC).isoformat(), **summary},
    )
    session.add(upload)
    session.commit()
    return upload


def test_the_status_says_rows_checked_of_the_sheets_rows(client, demo_city):
    upload = running_upload(demo_city, rows_checked=1234, sheet_rows={"Data": 12757, "Lain": 3})
    assert login(client, "dinsos").status_code == 302
    response = client.get(f"/unggah/{upload.id}/status.json")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "status": "parsing",
        "running": True,
        "rows_checked": 1234,
        "rows_total": 12756,
        "text": "1.234 dari 12.756 baris diperiksa",
    }
    page = client.get(f"/unggah/{upload.id}").get_data(as_text=True)
    assert (
        '<progress id="progress-bar" max="12756" value="1234" aria-labelledby="progress-text">'
        in page
    )
    assert (
        '<span id="progress-text" aria-live="polite">1.234 dari 12.756 baris diperiksa</span>'
        in page
    )
    assert f'data-status-url="/unggah/{upload.id}/status.json"' in page
    # Updated in place by a script; only without JavaScript does the page reload itself.
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert '<script src="/static/progress.js" defer></script>' in page
    assert page.count('http-equiv="refresh"') == 1
    assert "Masalah (" not in page
    # Another department's upload is not there at all.
    other = client.application.test_client()
    assert login(other, "dispendik").status_code == 302
    assert other.get(f"/unggah/{upload.id}/status.json").status_code == 404


def test_without_the_sheets_extent_the_rows_checked_are_counted_alone(client, demo_city):
    upload = running_upload(demo_city, status=UploadStatus.QUEUED, rows_checked=0)
    assert login(client, "dinsos").status_code == 302
    state = client.get(f"/unggah/{upload.id}/status.json").get_json()
    assert (state["rows_total"], state["text"], state["running"]) == (
        None,
        "0 baris diperiksa",
        True,
    )
    page = client.get(f"/unggah/{upload.id}").get_data(as_text=True)
    assert '<progress id="progress-bar" aria-labelledby="progress-text"></progress>' in page


def test_an_ended_check_shows_its_problems_and_no_progress(client, demo_city):
    upload = running_upload(demo_city, status=UploadStatus.FAILED, rows_checked=10)
    assert login(client, "dinsos").status_code == 302
    assert client.get(f"/unggah/{upload.id}/status.json").get_json()["running"] is False
    page = client.get(f"/unggah/{upload.id}").get_data(as_text=True)
    assert "<h2>Masalah (0)</h2>" in page
    assert "progress-bar" not in page and "progress.js" not in page
