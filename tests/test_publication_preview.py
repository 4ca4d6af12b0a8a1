"""What the walidata sees before publishing (issue 13, item 1): per indicator of the chosen
period the RTs with data, the city total and its change, the kelurahan that moved most,
warnings on sharp movements, a confirmation naming the figures, and a whole period at once."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, update
from sqlmodel import select

from tests.conftest import login, walidata_scope
from transparency.models import (
    ActiveUpload,
    Area,
    AreaLevel,
    Figure,
    Indicator,
    Period,
    Publication,
    Upload,
    UploadStatus,
)
from transparency.services import publication_preview, publishing
from transparency.services.publication_preview import Alert, sharp_movements

pytestmark = pytest.mark.demo_once
WONOREJO = "35.78.03.1005"


def _cell(session, indicator: str, period: str) -> tuple[Indicator, Period, int]:
    ind = session.exec(select(Indicator).where(Indicator.code == indicator)).one()
    per = session.exec(select(Period).where(Period.code == period)).one()
    pointer = select(ActiveUpload.upload_id).where(
        ActiveUpload.indicator_id == ind.id, ActiveUpload.period_id == per.id
    )
    return ind, per, session.exec(pointer).first()  # the demo's uploads cover the city


def _total(session, indicator: str, period: str, under: str = "35.78") -> tuple[int, int]:
    """The exact sum and the number of RTs with a figure of the version in force."""
    ind, _, upload = _cell(session, indicator, period)
    return session.exec(
        select(func.coalesce(func.sum(Figure.value), 0), func.count(Figure.id))
        .join(Area, Area.id == Figure.area_id)
        .where(
            Figure.upload_id == upload,
            Figure.indicator_id == ind.id,
            Area.path.startswith(under),
        )
    ).one()


def _copy_version(session, indicator: str, period: str, keep=lambda code: True, change=None):
    """The id of a committed upload in force that copies the version in force: RTs whose code
    ``keep`` refuses are left out, values in ``change`` replaced."""
    ind, per, old_id = _cell(session, indicator, period)
    old = session.get(Upload, old_id)
    upload = Upload(
        department_id=old.department_id,
        period_id=per.id,
        file_name="ulang.xlsx",
        sha256="c" * 64,
        status=UploadStatus.COMMITTED,
        committed_at=datetime(2026, 11, 12, tzinfo=UTC),
    )
    session.add(upload)
    session.flush()
    codes = {a.id: a.code for a in session.exec(select(Area).where(Area.level == AreaLevel.RT))}
    for figure in session.exec(
        select(Figure).where(Figure.upload_id == old.id, Figure.indicator_id == ind.id)
    ).all():
        code = codes[figure.area_id]
        if keep(code):
            value = (change or {}).get(code, figure.value)
            session.add(
                Figure(
                    area_id=figure.area_id,
                    kelurahan_id=figure.kelurahan_id,
                    indicator_id=ind.id,
                    period_id=per.id,
                    upload_id=upload.id,
                    value=value,
                )
            )
    session.exec(
        update(ActiveUpload)
        .where(ActiveUpload.indicator_id == ind.id, ActiveUpload.period_id == per.id)
        .values(upload_id=upload.id)
    )
    session.commit()
    return upload.id


def _rts(session) -> int:
    return session.exec(select(func.count(Area.id)).where(Area.level == AreaLevel.RT)).one()


@pytest.mark.parametrize(
    ("before", "now", "rts_before", "rts", "codes"),
    [
        (1000, 1000, 300, 300, []),
        (1000, 500, 300, 150, []),  # exactly half is not "more than half"
        (1000, 499, 300, 300, ["total_drop"]),
        (1000, 2001, 300, 300, ["total_rise"]),
        (1000, 2000, 300, 149, ["coverage_drop"]),
        (1000, 100, 300, 20, ["coverage_drop", "total_drop"]),
        (0, 50, 0, 10, []),  # nothing before: nothing to compare with
    ],
)
def test_sharp_movements_are_a_fall_below_half_or_a_doubling(before, now, rts_before, rts, codes):
    found = sharp_movements(before, now, rts_before, rts)
    assert [alert.code for alert in found] == codes


def test_the_overview_shows_one_period_with_coverage_totals_and_changes(app, demo_city):
    session = demo_city
    client = app.test_client()
    assert login(client, "walidata").status_code == 302
    html = client.get("/admin/publikasi/").get_data(as_text=True)
    # The period waiting to be published is chosen; the others are a filter away.
    assert "<h1>Publikasi · Oktober 2026</h1>" in html
    assert len(re.findall(r'data-publish="[a-z_]+/2026-10"', html)) == 12
    assert 'data-publish="kk_gamis/2026-09"' not in html
    assert '<option value="2026-10" selected>Oktober 2026 — 12 menunggu</option>' in html
    assert '<option value="2026-09">September 2026</option>' in html
    rts = _rts(session)
    total, with_data = _total(session, "kk_gamis", "2026-10")
    before, _ = _total(session, "kk_gamis", "2026-09")
    row = html.split('data-publish="kk_gamis/2026-10"', 1)[1].split("</tr>", 1)[0]
    assert f">{with_data} dari {rts}<" in row and with_data == rts
    assert f'data-fact="total">{total:,}<'.replace(",", ".") in row
    change = total - before
    sign = "+" if change > 0 else "−"
    assert f'data-fact="change">{sign}{abs(change):,}'.replace(",", ".") in row
    assert "terhadap September 2026" in row
    assert "Periksa dan publikasikan" in row
    assert 'data-bulk="2026-10"' in html and "Publikasikan semua 12 indikator siap" in html
    # Another period by the filter; an unknown or malformed one is not found.
    older = client.get("/admin/publikasi/?periode=2026-09").get_data(as_text=True)
    assert len(re.findall(r'data-state="published"', older)) == 12
    assert "data-bulk" not in older
    assert client.get("/admin/publikasi/?periode=1999-01").status_code == 404
    assert client.get("/admin/publikasi/?periode=%00").status_code == 404


def test_a_sharp_drop_is_flagged_and_must_be_acknowledged(app, demo_city):
    session = demo_city
    # Only Wonorejo (Rungkut) sends kk_gamis for 2026-10 again: most RTs lose their figure.
    upload_id = _copy_version(session, "kk_gamis", "2026-10", keep=lambda c: c.startswith(WONOREJO))
    rts = _rts(session)
    total, with_data = _total(session, "kk_gamis", "2026-10")
    before_total, before_rts = _total(session, "kk_gamis", "2026-09")
    assert with_data * 2 < before_rts and total * 2 < before_total
    client = app.test_client()
    assert login(client, "walidata").status_code == 302
    html = client.get("/admin/publikasi/?periode=2026-10").get_data(as_text=True)
    row = html.split('data-publish="kk_gamis/2026-10"', 1)[1].split("</tr>", 1)[0]
    assert 'class="warn"' in html.split('data-publish="kk_gamis/2026-10"', 1)[1][:40]
    assert (
        f"RT dengan data turun dari {before_rts} menjadi {with_data}: lebih dari separuh hilang."
        in row
    )
    page = client.get("/admin/publikasi/kk_gamis/2026-10").get_data(as_text=True)
    assert "<h1>KK miskin (Gamis) · Oktober 2026</h1>" in page
    assert f'data-fact="coverage">{with_data} dari {rts}<' in page
    dotted = f"{total:,}".replace(",", ".")
    change = f"−{before_total - total:,}".replace(",", ".")
    assert (
        f"Anda mempublikasikan KK miskin (Gamis) untuk Oktober 2026: total kota {dotted}, "
        f"{with_data} dari {rts} RT berdata, {change} terhadap September 2026." in page
    )
    assert 'data-warning="coverage_drop"' in page and 'data-warning="total_drop"' in page
    # The largest kelurahan changes: the two kelurahan without data now, largest first.
    changes = page.split('data-changes="kk_gamis"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<tr><td>([^<]+)<span class="code">Kecamatan ([^<]+)</span></td>\s*'
        r'<td class="num">([^<]+)</td>\s*<td class="num">([^<]+)</td>',
        changes,
    )
    assert sorted((name, kecamatan, now) for name, kecamatan, _, now in rows[:2]) == [
        ("Tanjung Perak", "Pabean Cantian", "belum ada data"),
        ("Wonorejo", "Tegalsari", "belum ada data"),
    ]
    # Then Wonorejo (Rungkut), which sent its figures: its own month-on-month change.
    kept_now, _ = _total(session, "kk_gamis", "2026-10", WONOREJO)
    kept_before, _ = _total(session, "kk_gamis", "2026-09", WONOREJO)
    assert rows[2][:2] == ("Wonorejo", "Rungkut")
    assert rows[2][2:] == (f"{kept_before:,}".replace(",", "."), f"{kept_now:,}".replace(",", "."))
    assert f'name="upload" value="{upload_id}"' in page
    # Without ticking the warnings nothing is published.
    refused = client.post("/admin/publikasi/kk_gamis/2026-10", data={"upload": str(upload_id)})
    assert refused.status_code == 400
    assert "Centang kotak untuk menyatakan Anda sudah memeriksa peringatan" in refused.get_data(
        as_text=True
    )
    ind, per, _ = _cell(session, "kk_gamis", "2026-10")
    published = select(Publication).where(
        Publication.indicator_id == ind.id, Publication.period_id == per.id
    )
    assert session.exec(published).first() is None
    done = client.post(
        "/admin/publikasi/kk_gamis/2026-10",
        data={"upload": str(upload_id), "acknowledge": "1"},
        follow_redirects=True,
    )
    assert "Dipublikasikan: KK miskin (Gamis), Oktober 2026." in done.get_data(as_text=True)
    assert session.exec(published).one().upload_id == upload_id


def test_a_version_other_than_the_one_checked_is_not_published(app, demo_city):
    session = demo_city
    _, _, checked = _cell(session, "lansia", "2026-10")
    client = app.test_client()
    assert login(client, "walidata").status_code == 302
    page = client.get("/admin/publikasi/lansia/2026-10").get_data(as_text=True)
    assert f'name="upload" value="{checked}"' in page
    newer = _copy_version(session, "lansia", "2026-10", change={f"{WONOREJO}.001.001": 3})
    response = client.post("/admin/publikasi/lansia/2026-10", data={"upload": str(checked)})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Angka berubah sejak halaman ini ditampilkan" in body
    assert f'name="upload" value="{newer}"' in body  # the page shows the new version
    # A POST that never saw the confirmation carries no version: refused the same way.
    assert client.post("/admin/publikasi/lansia/2026-10").status_code == 400
    ind, per, _ = _cell(session, "lansia", "2026-10")
    assert (
        session.exec(
            select(Publication).where(
                Publication.indicator_id == ind.id, Publication.period_id == per.id
            )
        ).first()
        is None
    )


def test_a_correction_is_compared_with_the_version_published_now(app, demo_city):
    session = demo_city
    rt = f"{WONOREJO}.002.003"
    ind, per, old = _cell(session, "kk_total", "2026-09")
    before = session.exec(
        select(Figure.value)
        .join(Area, Area.id == Figure.area_id)
        .where(Figure.upload_id == old, Figure.indicator_id == ind.id, Area.code == rt)
    ).one()
    _copy_version(session, "kk_total", "2026-09", change={rt: before + 40})
    user, scope = walidata_scope(session)
    rows = [r for r in publishing.list_ready(session, per.id) if r.indicator.code == "kk_total"]
    (preview,) = publication_preview.preview(session, scope, rows)
    assert preview.ready.state == "changed" and preview.baseline_is_published_version
    assert preview.change == 40 and preview.warnings == []
    (change,) = preview.changes
    assert (change.name, change.kecamatan, change.change) == ("Wonorejo", "Rungkut", 40)
    client = app.test_client()
    assert login(client, "walidata").status_code == 302
    page = client.get("/admin/publikasi/kk_total/2026-09").get_data(as_text=True)
    assert "+40 terhadap versi yang dipublikasikan sekarang" in page
    assert 'name="reason" required' in page
    assert "Ya, publikasikan koreksi" in page


def test_a_whole_period_is_published_in_one_action_as_confirmed(app, demo_city):
    session = demo_city
    client = app.test_client()
    assert login(client, "walidata").status_code == 302
    page = client.get("/admin/publikasi/bulan/2026-10").get_data(as_text=True)
    items = re.findall(r'name="item" value="([a-z_]+):(\d+)"', page)
    assert len(items) == 12 and len(re.findall(r'data-item="', page)) == 12
    assert "Anda mempublikasikan untuk Oktober 2026: Jumlah KK, Jumlah jiwa, KK miskin" in page
    assert "Ya, publikasikan semuanya (12)" in page
    # One indicator less than is waiting: nothing at all is published.
    partial = client.post(
        "/admin/publikasi/bulan/2026-10", data={"item": [f"{c}:{u}" for c, u in items[1:]]}
    )
    assert partial.status_code == 400
    assert "Tidak ada yang dipublikasikan" in partial.get_data(as_text=True)
    period = session.exec(select(Period).where(Period.code == "2026-10")).one()
    in_period = select(func.count(Publication.id)).where(Publication.period_id == period.id)
    assert session.exec(in_period).one() == 0
    done = client.post(
        "/admin/publikasi/bulan/2026-10",
        data={"item": [f"{c}:{u}" for c, u in items]},
        follow_redirects=True,
    )
    text = done.get_data(as_text=True)
    assert "Dipublikasikan 12 indikator untuk Oktober 2026: Jumlah KK, Jumlah jiwa," in text
    assert "kk_total" not in text.split('role="status"', 1)[1].split("</p>", 1)[0]
    assert session.exec(in_period).one() == 12
    published = {
        (p.indicator_id, p.upload_id)
        for p in session.exec(select(Publication).where(Publication.period_id == period.id))
    }
    codes = {i.id: i.code for i in session.exec(select(Indicator))}
    assert {(codes[i], str(u)) for i, u in published} == set(items)
    # Nothing waits any more: the bulk action is gone and a second POST is refused.
    assert "data-bulk" not in client.get("/admin/publikasi/?periode=2026-10").get_data(as_text=True)
    again = client.post("/admin/publikasi/bulan/2026-10", data={"item": items[0][0]})
    assert again.status_code == 400
    assert "Tidak ada indikator periode ini yang menunggu dipublikasikan." in again.get_data(
        as_text=True
    )
    assert client.get("/admin/publikasi/bulan/1999-01").status_code == 404


def test_alerts_carry_the_figures_before_and_now():
    assert sharp_movements(10, 2, 10, 10) == [Alert("total_drop", 10, 2)]
