"""The ketua RT's home, verification and answers, officials' and department pages, the
notice board and the language remembered per account, on the seeded demo."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.conftest import RT_A, RT_B, login
from transparency.models import (
    ActiveUpload,
    Area,
    AuditEvent,
    Figure,
    Indicator,
    Period,
    Publication,
    PublishedFigure,
    User,
    Verification,
    VerificationStatus,
)
from transparency.queries import figure_in_force

pytestmark = pytest.mark.demo_once

KETUA_RT = "rt001.rw001.wonorejo"
RW_A = "35.78.03.1005.001"
KELURAHAN = "35.78.03.1005"


def value_of(session, code: str, indicator: str, period: str, area_prefix: str | None = None):
    """The figure in force of an RT (or the sum over a subtree) from the database."""
    statement = (
        select(func.sum(Figure.value))
        .join(Area, Area.id == Figure.area_id)
        .join(Indicator, Indicator.id == Figure.indicator_id)
        .join(Period, Period.id == Figure.period_id)
        .join(ActiveUpload, figure_in_force())
        .where(Indicator.code == indicator, Period.code == period)
    )
    if area_prefix:
        statement = statement.where(Area.path.startswith(area_prefix + "."))
    else:
        statement = statement.where(Area.code == code)
    return session.exec(statement).one()


def published_value(session, code: str, indicator: str, period: str) -> int | None:
    """The area's count in the current publication, as the public portal shows it (None:
    hidden by disclosure control)."""
    return session.exec(
        select(PublishedFigure.value)
        .join(Publication, Publication.id == PublishedFigure.publication_id)
        .join(Area, Area.id == PublishedFigure.area_id)
        .join(Indicator, Indicator.id == Publication.indicator_id)
        .join(Period, Period.id == Publication.period_id)
        .where(
            Area.code == code,
            Indicator.code == indicator,
            Period.code == period,
            Publication.is_current,
        )
    ).one()


def dotted(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def reload(session, model, key):
    """A row as the database has it now (the request closed the shared session)."""
    session.expire_all()
    return session.get(model, key)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def card_of(html: str, indicator: str) -> str:
    """One indicator's card on the RT home."""
    match = re.search(rf'<section class="card[^"]*" id="{indicator}".*?</section>', html, re.S)
    assert match, f"no card {indicator}"
    return match.group(0)


def dispute_of(html: str, verification_id: int) -> str:
    """One dispute's article on the disputes page."""
    match = re.search(rf'<article [^>]*id="sanggahan-{verification_id}".*?</article>', html, re.S)
    assert match, f"no dispute {verification_id}"
    return match.group(0)


def cell(html: str, attribute: str, key: str) -> str:
    match = re.search(rf'{attribute}="{re.escape(key)}"[^>]*>([^<]*)<', html)
    assert match, f"{attribute}={key} not on the page"
    return match.group(1).strip()


def active_upload_id(session, indicator: str, period: str) -> int:
    return session.exec(
        select(ActiveUpload.upload_id)
        .join(Indicator, Indicator.id == ActiveUpload.indicator_id)
        .join(Period, Period.id == ActiveUpload.period_id)
        .where(Indicator.code == indicator, Period.code == period)
        .distinct()
    ).one()  # the demo's upload is in force in every kelurahan


def test_rt_home_shows_latest_figures_change_share_state_and_published_context(client, demo_city):
    session = demo_city
    assert login(client, KETUA_RT).status_code == 302
    html = text_of(client.get(f"/dasbor/wilayah/{RT_A}"))
    assert len(re.findall(r'class="big" data-indicator="', html)) == 12
    gamis = value_of(session, RT_A, "kk_gamis", "2026-10")
    before = value_of(session, RT_A, "kk_gamis", "2026-09")
    assert cell(html, "data-indicator", "kk_gamis") == dotted(gamis)
    households = session.exec(select(Area.households).where(Area.code == RT_A)).one()
    share = f"{100 * gamis / households:.1f}".replace(".", ",")
    assert f"{share}% dari KK" in html
    change = gamis - before
    sign = "+" if change > 0 else ("−" if change < 0 else "")
    assert f"{sign}{abs(change)} sejak September 2026" in html
    # States: two confirmed in the demo, the rest awaiting; 2026-10 is not yet published.
    assert html.count('badge badge-confirmed">Dikonfirmasi') == 2
    assert html.count('badge badge-awaiting">Menunggu konfirmasi') == 10
    assert "2 dari 12 angka sudah diperiksa ketua RT." in html
    # Published context: the RW's and kelurahan's counts of 2026-09, the published month, as
    # the public portal shows them (here not hidden, so their exact sums).
    rw = published_value(session, RW_A, "kk_gamis", "2026-09")
    kelurahan = published_value(session, KELURAHAN, "kk_gamis", "2026-09")
    assert rw == value_of(session, None, "kk_gamis", "2026-09", RW_A)
    assert kelurahan == value_of(session, None, "kk_gamis", "2026-09", KELURAHAN)
    assert (
        f"Dipublikasikan untuk September 2026: RW 001 {dotted(rw)} · Kelurahan {dotted(kelurahan)}"
        in html
    )
    # Provenance and a 12-period trend chart with its table.
    assert "Dinas Sosial · data-demo-2026-10.xlsx · diunggah 5 November 2026" in html
    assert html.count('<svg class="chart"') == 12
    assert html.count("<td>November 2025</td>") == 12


def test_dispute_answer_and_the_rt_head_sees_the_answer(app, demo_city):
    session = demo_city
    head = app.test_client()
    assert login(head, KETUA_RT).status_code == 302
    upload = active_upload_id(session, "kk_gamis", "2026-10")
    form = {"indicator": "kk_gamis", "period": "2026-10", "upload": upload}
    before = session.exec(select(func.count()).select_from(Verification)).one()
    # A dispute needs a note: refused with the message next to the note, the form open and
    # the right figure typed kept; nothing stored.
    response = head.post(
        f"/dasbor/wilayah/{RT_A}/verifikasi",
        data={**form, "action": "dispute", "note": "  ", "claimed_value": "12"},
    )
    assert response.status_code == 422
    card = card_of(text_of(response), "kk_gamis")
    assert "<details open><summary>Laporkan angka ini salah</summary>" in card
    assert '<textarea id="note-kk_gamis" name="note" rows="3" maxlength="2000" placeholder=' in card
    assert 'aria-invalid="true" aria-describedby="fout-kk_gamis" autofocus>  </textarea>' in card
    assert (
        '<p class="error field-error" id="fout-kk_gamis" role="alert">Tulis apa yang salah, '
        "misalnya: di RT kami ada 12 KK miskin, bukan 19.</p>" in card
    )
    assert 'name="claimed_value" min="0" inputmode="numeric" value="12">' in card
    assert 'action="/dasbor/wilayah/35.78.03.1005.001.001/verifikasi"' in card
    # Only that card has the message; the others stay folded.
    assert text_of(response).count('role="alert"') == 1
    assert session.exec(select(func.count()).select_from(Verification)).one() == before
    note = "Di RT kami ada 12 KK miskin, bukan 19"
    response = head.post(
        f"/dasbor/wilayah/{RT_A}/verifikasi",
        data={**form, "action": "dispute", "note": note, "claimed_value": "12"},
    )
    assert response.status_code == 302
    row = session.exec(
        select(Verification).where(Verification.note == note, Verification.upload_id == upload)
    ).one()
    assert (row.status, row.claimed_value) == (VerificationStatus.DISPUTED, 12)
    # The Dinsos operator sees it and answers; Dispendik may not (another department).
    operator = app.test_client()
    assert login(operator, "dinsos").status_code == 302
    assert note in text_of(operator.get("/dasbor/sanggahan"))
    other = app.test_client()
    assert login(other, "dispendik").status_code == 302
    assert note not in text_of(other.get("/dasbor/sanggahan"))
    denied = other.post(f"/dasbor/sanggahan/{row.id}/jawab", data={"decision": "accepted"})
    assert denied.status_code == 404
    # Rejecting needs a reason: the answer comes back with "Ditolak" still chosen and the
    # message next to the reason; nothing stored.
    refused = operator.post(f"/dasbor/sanggahan/{row.id}/jawab", data={"decision": "rejected"})
    assert refused.status_code == 422
    card = dispute_of(text_of(refused), row.id)
    assert '<option value="rejected" selected>Ditolak</option>' in card
    assert '<option value="accepted">' in card and 'accepted" selected' not in card
    assert (
        f'aria-describedby="fout-sanggahan-{row.id}" autofocus></textarea>' in card
        and "Tuliskan alasan menolak sanggahan." in card
    )
    row = reload(session, Verification, row.id)
    assert row.status == VerificationStatus.DISPUTED
    # No outcome chosen is refused too, never taken as "accepted".
    refused = operator.post(f"/dasbor/sanggahan/{row.id}/jawab", data={"reason": "x"})
    assert refused.status_code == 422
    card = dispute_of(text_of(refused), row.id)
    assert '<option value="" selected disabled>Pilih…</option>' in card
    assert "Pilih apakah sanggahan diterima atau ditolak." in card
    assert ">x</textarea>" in card
    row = reload(session, Verification, row.id)
    assert row.status == VerificationStatus.DISPUTED
    reason = "Data sesuai DTKS Oktober."
    operator.post(
        f"/dasbor/sanggahan/{row.id}/jawab", data={"decision": "rejected", "reason": reason}
    )
    row = reload(session, Verification, row.id)
    assert (row.status, row.answer) == (VerificationStatus.REJECTED, reason)
    assert (
        row.answered_by_id == session.exec(select(User.id).where(User.username == "dinsos")).one()
    )
    page = text_of(head.get(f"/dasbor/wilayah/{RT_A}"))
    assert f"Sanggahan ditolak</strong>: {reason}" in page
    # Answered: the RT head can no longer change it.
    head.post(f"/dasbor/wilayah/{RT_A}/verifikasi", data={**form, "action": "confirm"})
    row = reload(session, Verification, row.id)
    assert row.status == VerificationStatus.REJECTED
    actions = session.exec(
        select(AuditEvent.action, AuditEvent.actor_name, AuditEvent.outcome)
        .where(AuditEvent.action.startswith("verification."))
        .order_by(AuditEvent.id)
    ).all()
    assert [tuple(a) for a in actions] == [
        ("verification.dispute", KETUA_RT, "ok"),
        ("verification.answer", "dinsos", "rejected"),
    ]


def test_confirm_only_the_version_seen_and_only_ones_own_rt(app, demo_city):
    session = demo_city
    head = app.test_client()
    assert login(head, KETUA_RT).status_code == 302
    upload = active_upload_id(session, "lansia", "2026-10")
    stale = {"indicator": "lansia", "period": "2026-10", "upload": upload + 999}
    head.post(f"/dasbor/wilayah/{RT_A}/verifikasi", data={**stale, "action": "confirm"})
    assert "Dinas mengirim angka baru" in text_of(head.get(f"/dasbor/wilayah/{RT_A}"))
    fine = {**stale, "upload": upload, "action": "confirm"}
    assert head.post(f"/dasbor/wilayah/{RT_B}/verifikasi", data=fine).status_code == 404
    assert head.post(f"/dasbor/wilayah/{RT_A}/verifikasi", data=fine).status_code == 302
    statuses = session.exec(
        select(Area.code, Verification.status)
        .join(Area, Area.id == Verification.area_id)
        .join(Indicator, Indicator.id == Verification.indicator_id)
        .where(Indicator.code == "lansia")
    ).all()
    # RT 004's demo dispute, and RT A's confirmation; nothing for RT B.
    assert sorted(map(tuple, statuses)) == [
        (RT_A, VerificationStatus.CONFIRMED),
        ("35.78.03.1005.001.004", VerificationStatus.DISPUTED),
    ]
    # The lurah cannot confirm an RT's figure: verifying is the RT head's alone.
    lurah = app.test_client()
    assert login(lurah, "lurah.wonorejo").status_code == 302
    assert lurah.post(f"/dasbor/wilayah/{RT_A}/verifikasi", data=fine).status_code == 403


def test_kelurahan_page_children_progress_and_disputes(client, demo_city):
    session = demo_city
    assert login(client, "lurah.wonorejo").status_code == 302
    html = text_of(
        client.get(f"/dasbor/wilayah/{KELURAHAN}?indikator=kk_total&urut=value&arah=turun")
    )
    rws = session.exec(
        select(Area.code).where(
            Area.parent_id == select(Area.id).where(Area.code == KELURAHAN).scalar_subquery()
        )
    ).all()
    values = {code: value_of(session, None, "kk_total", "2026-10", code) for code in rws}
    shown = re.findall(r'data-child="([^"]+)">([^<]*)<', html)
    assert [code for code, _ in shown] == sorted(values, key=lambda c: -values[c])
    assert {code: text for code, text in shown} == {c: dotted(v) for c, v in values.items()}
    rts = session.exec(
        select(func.count())
        .select_from(Area)
        .where(Area.path.startswith(KELURAHAN + "."), Area.level == "rt")
    ).one()
    # kk_total 2026-10 is confirmed by RT 001, 002 and 003 of RW 001 in the demo.
    assert f"3 dari {rts} RT sudah mengonfirmasi" in html
    # Open disputes of the kelurahan: RT 002's kk_gamis and RT 004's lansia.
    assert "Di RT kami ada 12 KK miskin" in html and "Dua lansia sudah meninggal" in html
    assert html.count('answer-form"') == 2  # the lurah may answer both


def test_department_page_completeness_and_waiting_disputes(client, demo_city):
    session = demo_city
    assert login(client, "dinsos").status_code == 302
    html = text_of(client.get("/dasbor/dinas/dinsos"))
    rungkut_rts = session.exec(
        select(func.count())
        .select_from(Area)
        .where(Area.path.startswith("35.78.03."), Area.level == "rt")
    ).one()
    assert cell(html, "data-complete", "35.78.03:kk_gamis").startswith(dotted(rungkut_rts))
    assert "Di RT kami ada 12 KK miskin" in html
    assert "Dua lansia" not in html  # a Dispendukcapil figure: not Dinsos's to answer
    assert client.get("/dasbor/dinas/dispendik").status_code == 404
    html = text_of(client.get("/dasbor/dinas/dinsos?kecamatan=35.78.03"))
    wonorejo = session.exec(
        select(func.count())
        .select_from(Area)
        .where(Area.path.startswith(KELURAHAN + "."), Area.level == "rt")
    ).one()
    assert cell(
        html, "data-complete", f"{KELURAHAN}:kk_total" if False else f"{KELURAHAN}:kk_gamis"
    ).startswith(dotted(wonorejo))


def test_notice_board_shows_published_protected_figures_and_a_qr_code(client, demo_city):
    session = demo_city
    assert login(client, KETUA_RT).status_code == 302
    html = text_of(client.get(f"/dasbor/wilayah/{RT_A}/papan"))
    # Each figure exactly as the public page of the RT shows it: the same protected count
    # of the same publication, the marker where the portal hides it.
    public = text_of(client.get(f"/wilayah/{RT_A}"))
    codes = re.findall(r'data-board="([a-z_]+)"', html)
    assert len(codes) == 12
    for code in codes:
        value = published_value(session, RT_A, code, "2026-09")
        expected = "*" if value is None else dotted(value)
        assert cell(html, "data-board", code) == expected, code
        shown = re.search(
            rf'data-area="{RT_A}" data-indicator="{code}" data-period="2026-09">([^<]*)<', public
        )
        assert shown and shown.group(1).strip() == expected, code
    assert "2026-10" not in html  # not published yet
    assert "<svg" in html and "/wilayah/35.78.03.1005.001.001" in html
    assert client.get(f"/dasbor/wilayah/{RW_A}/papan").status_code == 404


def test_dashboards_hide_a_count_where_the_public_portal_hides_it(client, demo_city):
    session = demo_city
    # Say disclosure control hid RT A's and RW 001's kk_gamis of 2026-09: the dashboards
    # read the same published rows, so they show the marker too.
    rows = session.exec(
        select(PublishedFigure)
        .join(Publication, Publication.id == PublishedFigure.publication_id)
        .join(Area, Area.id == PublishedFigure.area_id)
        .join(Indicator, Indicator.id == Publication.indicator_id)
        .join(Period, Period.id == Publication.period_id)
        .where(
            Area.code.in_([RT_A, RW_A]),
            Indicator.code == "kk_gamis",
            Period.code == "2026-09",
            Publication.is_current,
        )
    ).all()
    assert len(rows) == 2
    for row in rows:
        row.value = None
        session.add(row)
    session.commit()
    assert login(client, KETUA_RT).status_code == 302
    board = text_of(client.get(f"/dasbor/wilayah/{RT_A}/papan"))
    assert cell(board, "data-board", "kk_gamis") == "*"
    assert cell(board, "data-board", "kk_total") != "*"
    home = text_of(client.get(f"/dasbor/wilayah/{RT_A}"))
    kelurahan = published_value(session, KELURAHAN, "kk_gamis", "2026-09")
    context = rf"RW 001 <abbr [^>]*>\*</abbr> · Kelurahan {dotted(kelurahan)}"
    assert re.search("Dipublikasikan untuk September 2026: " + context, home)
    # The RT head's own figure of the month being verified stays exact.
    own = value_of(session, RT_A, "kk_gamis", "2026-10")
    assert cell(home, "data-indicator", "kk_gamis") == dotted(own)


def test_language_is_remembered_on_the_account(app, demo_city):
    session = demo_city
    client = app.test_client()
    assert login(client, KETUA_RT).status_code == 302
    response = client.post("/akun/bahasa", data={"lang": "en", "next": f"/dasbor/wilayah/{RT_A}"})
    assert response.location == f"/dasbor/wilayah/{RT_A}"
    user = session.exec(select(User).where(User.username == KETUA_RT)).one()
    assert user.locale == "en"
    fresh = app.test_client()  # another device: no cookie
    assert login(fresh, KETUA_RT).status_code == 302
    html = text_of(fresh.get(f"/dasbor/wilayah/{RT_A}"))
    assert "Awaiting confirmation" in html and "of households" in html
    total = value_of(session, RT_A, "jiwa_total", "2026-10")
    assert cell(html, "data-indicator", "jiwa_total") == f"{total:,}"
    assert fresh.post("/akun/bahasa", data={"lang": "xx"}).status_code == 302
    user = reload(session, User, user.id)
    assert user.locale == "en"


def test_a_new_upload_reopens_verification_only_where_figures_changed(demo_city):
    from transparency.services import verification as service

    session = demo_city
    head = session.exec(select(User).where(User.username == KETUA_RT)).one()
    old = active_upload_id(session, "kk_total", "2026-10")
    period = session.exec(select(Period).where(Period.code == "2026-10")).one()
    indicator = session.exec(select(Indicator).where(Indicator.code == "kk_total")).one()
    # A new upload with the same kk_total figures except RT B's.
    from transparency.models import Upload, UploadStatus

    old_upload = session.get(Upload, old)
    new = Upload(
        department_id=old_upload.department_id,
        period_id=period.id,
        file_name="koreksi.xlsx",
        sha256="c" * 64,
        status=UploadStatus.COMMITTED,
    )
    session.add(new)
    session.flush()
    rows = session.exec(
        select(Figure).where(Figure.upload_id == old, Figure.indicator_id == indicator.id)
    ).all()
    rt_b = session.exec(select(Area.id).where(Area.code == RT_B)).one()
    for row in rows:
        session.add(
            Figure(
                area_id=row.area_id,
                indicator_id=row.indicator_id,
                period_id=row.period_id,
                upload_id=new.id,
                value=row.value + (1 if row.area_id == rt_b else 0),
                kelurahan_id=row.kelurahan_id,
            )
        )
    session.flush()
    carried, reopened = service.carry_forward(session, new.id, {indicator.id: old}, head)
    assert (carried, reopened) == (2, 1)  # RT 001 and 003 kept; RT 002 (RT B) re-opened
    kept = session.exec(
        select(Area.code, Verification.status)
        .join(Area, Area.id == Verification.area_id)
        .where(Verification.upload_id == new.id, Verification.indicator_id == indicator.id)
    ).all()
    assert sorted(map(tuple, kept)) == [
        (RT_A, VerificationStatus.CONFIRMED),
        ("35.78.03.1005.001.003", VerificationStatus.CONFIRMED),
    ]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "verification.reopen")).one()
    assert event.details == {"carried": 2, "reopened": 1}


def test_demo_has_published_months_and_verifications(demo_city):
    session = demo_city
    published = session.exec(
        select(Period.code).join(Publication, Publication.period_id == Period.id).distinct()
    ).all()
    assert sorted(published)[-1] == "2026-09" and len(published) == 11
    statuses = session.exec(select(Verification.status)).all()
    assert sorted(map(str, statuses)) == sorted(["confirmed"] * 4 + ["disputed"] * 2 + ["rejected"])


def test_each_upload_keeps_its_coverage_per_kelurahan(demo_city):
    from transparency.dashboards import count_coverage
    from transparency.models import Upload

    session = demo_city
    uploads = session.exec(select(Upload)).all()
    assert len(uploads) == 4 * 12  # four departments, twelve months
    wonorejo = session.exec(select(Area.id).where(Area.code == KELURAHAN)).one()
    rts = session.exec(
        select(func.count())
        .select_from(Area)
        .where(Area.path.startswith(KELURAHAN + "."), Area.level == "rt")
    ).one()
    gamis = session.exec(select(Indicator.id).where(Indicator.code == "kk_gamis")).one()
    for upload in uploads:
        kept = upload.summary["coverage"]
        assert kept == count_coverage(session, upload.id)
        if str(gamis) in kept:
            assert kept[str(gamis)][str(wonorejo)] == rts


def test_each_area_names_the_upload_its_figure_came_from(client, demo_city):
    """Dinsos sends Wonorejo (Rungkut) alone: its RTs' figures come from that upload, the
    other kelurahan keep the demo's, and the city page lists both sources."""
    from transparency.models import Upload, UploadStatus

    session = demo_city
    indicator = session.exec(select(Indicator).where(Indicator.code == "kk_gamis")).one()
    period = session.exec(select(Period).where(Period.code == "2026-10")).one()
    kelurahan = session.exec(select(Area).where(Area.code == KELURAHAN)).one()
    old = active_upload_id(session, "kk_gamis", "2026-10")
    city_before = value_of(session, "", "kk_gamis", "2026-10", area_prefix="35.78")
    new = Upload(
        department_id=indicator.department_id,
        period_id=period.id,
        file_name="gamis-wonorejo.xlsx",
        sha256="d" * 64,
        status=UploadStatus.COMMITTED,
        committed_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
    )
    session.add(new)
    session.flush()
    rows = session.exec(
        select(Figure).where(
            Figure.upload_id == old,
            Figure.indicator_id == indicator.id,
            Figure.kelurahan_id == kelurahan.id,
        )
    ).all()
    for row in rows:
        session.add(
            Figure(
                area_id=row.area_id,
                indicator_id=indicator.id,
                period_id=period.id,
                upload_id=new.id,
                value=row.value + 1,
                kelurahan_id=kelurahan.id,
            )
        )
    pointer = session.get(ActiveUpload, (indicator.id, period.id, kelurahan.id))
    pointer.upload_id = new.id
    session.add(pointer)
    session.flush()
    assert login(client, "walidata").status_code == 302
    html = text_of(client.get("/dasbor/wilayah/35.78?indikator=kk_gamis"))
    assert cell(html, "data-total", "kk_gamis") == dotted(city_before + len(rows))
    sources = re.search(r'<div class="provenance" id="sources">(.*?)</div>', html, re.S).group(1)
    assert "Sumber: 2 unggahan" in sources
    assert re.findall(r"<li>Dinas Sosial · ([\w.-]+) · diunggah ([\w ]+)</li>", sources) == [
        ("data-demo-2026-10.xlsx", "5 November 2026"),
        ("gamis-wonorejo.xlsx", "20 November 2026"),
    ]
    rt_home = text_of(client.get(f"/dasbor/wilayah/{RT_A}"))
    assert "gamis-wonorejo.xlsx · diunggah 20 November 2026" in rt_home
    perak = text_of(client.get("/dasbor/wilayah/35.78.12.1006?indikator=kk_gamis"))
    assert re.search(r'<p class="provenance" id="sources">Sumber: Dinas Sosial · data-demo', perak)
