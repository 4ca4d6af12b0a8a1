"""The officials' verification overview (issue 13, item 2): every RT × indicator of a
period as confirmed / disputed / waiting / no data, counts per RW, and the same summed by
kelurahan for the camat; scoped like every exact read, in a fixed number of statements."""

import re

import pytest
from sqlalchemy import event
from sqlmodel import select

from tests.conftest import login
from transparency import dashboards, progress
from transparency.access import build_scope
from transparency.models import (
    ActiveUpload,
    Area,
    AreaLevel,
    Figure,
    Indicator,
    Period,
    User,
)

pytestmark = pytest.mark.demo_once
WONOREJO = "35.78.03.1005"
RW_1 = WONOREJO + ".001"
# The demo's verifications of 2026-10 (services/demo.py DEMO_VERIFICATIONS), by RT.
DEMO_STATES = {
    "001": {"kk_total": "confirmed", "jiwa_total": "confirmed"},
    "002": {"kk_total": "confirmed", "kk_gamis": "disputed"},
    "003": {"kk_total": "confirmed", "anak_sd": "disputed"},  # answered: rejected
    "004": {"lansia": "disputed"},
}


def _scope_of(session, username: str):
    user = session.exec(select(User).where(User.username == username)).one()
    area = session.get(Area, user.area_id)
    return build_scope(
        user_id=user.id,
        role=user.role,
        active=True,
        area_path=area.path,
        area_level=area.level,
        department_id=user.department_id,
        city_path="35.78",
    )


def _overview(session, username: str, code: str, period: str = "2026-10"):
    scope = _scope_of(session, username)
    area = session.exec(select(Area).where(Area.code == code)).one()
    chosen = session.exec(select(Period).where(Period.code == period)).one()
    indicators = dashboards.list_visible_indicators(session, scope)
    return progress.build_overview(session, scope, area, chosen, indicators)


def _rts_under(session, path: str) -> int:
    return len(
        session.exec(
            select(Area.id).where(Area.level == AreaLevel.RT, Area.path.startswith(path + "."))
        ).all()
    )


def test_the_lurah_sees_every_rt_and_indicator_with_counts_per_rw(demo_city):
    session = demo_city
    overview = _overview(session, "lurah.wonorejo", WONOREJO)
    codes = [i.code for i in overview.indicators]
    assert len(codes) == 12 and overview.rows_are_rts
    rws = [group.area.code for group in overview.groups]
    assert rws == sorted(rws) and rws[0] == RW_1
    first = overview.groups[0]
    assert [row.area.code for row in first.rows][:4] == [f"{RW_1}.00{n}" for n in range(1, 5)]
    for row in first.rows:
        expected = DEMO_STATES.get(row.area.code.rsplit(".", 1)[1], {})
        assert {
            code: row.state(i.id) for code, i in zip(codes, overview.indicators, strict=True)
        } == {code: expected.get(code, "waiting") for code in codes}, row.area.code
    rts = _rts_under(session, RW_1)
    assert first.totals() == {"confirmed": 4, "disputed": 3, "waiting": rts * 12 - 7, "no_data": 0}
    # The other RWs: nothing said yet, every figure there.
    for group in overview.groups[1:]:
        rts = _rts_under(session, group.area.path)
        assert group.totals() == {"confirmed": 0, "disputed": 0, "waiting": rts * 12, "no_data": 0}
    assert overview.totals()["waiting"] == _rts_under(session, WONOREJO) * 12 - 7


def test_rts_without_a_figure_are_no_data(demo_city):
    session = demo_city
    indicator = session.exec(select(Indicator).where(Indicator.code == "balita_stunting")).one()
    period = session.exec(select(Period).where(Period.code == "2026-10")).one()
    upload = session.exec(
        select(ActiveUpload.upload_id).where(
            ActiveUpload.indicator_id == indicator.id, ActiveUpload.period_id == period.id
        )
    ).first()
    gone = session.exec(select(Area).where(Area.path.startswith(WONOREJO + ".002."))).all()[:3]
    for figure in session.exec(
        select(Figure).where(
            Figure.upload_id == upload,
            Figure.indicator_id == indicator.id,
            Figure.area_id.in_([a.id for a in gone]),
        )
    ):
        session.delete(figure)
    session.flush()
    overview = _overview(session, "lurah.wonorejo", WONOREJO)
    rw2 = next(g for g in overview.groups if g.area.code == WONOREJO + ".002")
    states = {row.area.code: row.state(indicator.id) for row in rw2.rows}
    assert {code for code, state in states.items() if state == "no_data"} == {a.code for a in gone}
    assert rw2.totals()["no_data"] == 3
    # Summed by kelurahan for the camat: Wonorejo shows the missing figures first.
    camat = _overview(session, "camat.rungkut", "35.78.03")
    wonorejo = next(g.rows[0] for g in camat.groups if g.area.code == WONOREJO)
    assert wonorejo.state(indicator.id) == "no_data"
    assert wonorejo.counts(indicator.id)["no_data"] == 3


def test_the_camat_sees_the_same_by_kelurahan(demo_city):
    session = demo_city
    overview = _overview(session, "camat.rungkut", "35.78.03")
    assert not overview.rows_are_rts
    kelurahan = session.exec(
        select(Area.code).where(
            Area.level == AreaLevel.KELURAHAN, Area.path.startswith("35.78.03.")
        )
    ).all()
    assert sorted(g.area.code for g in overview.groups) == sorted(kelurahan)
    wonorejo = next(g.rows[0] for g in overview.groups if g.area.code == WONOREJO)
    by_code = {i.code: i.id for i in overview.indicators}
    rts = _rts_under(session, WONOREJO)
    assert wonorejo.rts == rts
    # A dispute comes first; then waiting; never "confirmed" while any RT is silent.
    assert wonorejo.state(by_code["kk_gamis"]) == "disputed"
    assert wonorejo.state(by_code["kk_total"]) == "waiting"
    assert wonorejo.counts(by_code["kk_total"]) == {
        "confirmed": 3,
        "disputed": 0,
        "waiting": rts - 3,
        "no_data": 0,
    }
    # The kelurahan of Rungkut without registered RTs in the demo have nothing at all.
    empty = [g.rows[0] for g in overview.groups if g.area.code != WONOREJO]
    assert empty and all(row.rts == 0 and row.totals()["waiting"] == 0 for row in empty)


def test_an_earlier_period_has_no_answers_yet(demo_city):
    overview = _overview(demo_city, "lurah.wonorejo", WONOREJO, "2026-09")
    assert overview.totals()["confirmed"] == overview.totals()["disputed"] == 0


def test_the_overview_takes_the_same_few_statements_for_a_kelurahan_and_a_kecamatan(
    demo_city, engine
):
    session = demo_city
    period = session.exec(select(Period).where(Period.code == "2026-10")).one()
    counts = []
    for username, code in (("lurah.wonorejo", WONOREJO), ("walidata", "35.78")):
        scope = _scope_of(session, username)
        area = session.exec(select(Area).where(Area.code == code)).one()
        indicators = dashboards.list_visible_indicators(session, scope)
        statements = []

        def count(*_args, statements=statements):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            progress.build_overview(session, scope, area, period, indicators)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
    # RTs, the rows' areas, the states (joined to the uploads in force per kelurahan):
    # whatever the number of RTs.
    assert counts == [3, 3]


def test_the_page_by_rt_with_legend_and_period_filter(app, demo_city):
    client = app.test_client()
    assert login(client, "lurah.wonorejo").status_code == 302
    area_page = client.get(f"/dasbor/wilayah/{WONOREJO}").get_data(as_text=True)
    assert f'href="/dasbor/wilayah/{WONOREJO}/ikhtisar" data-overview' in area_page
    html = client.get(f"/dasbor/wilayah/{WONOREJO}/ikhtisar").get_data(as_text=True)
    assert "<h1>Ikhtisar verifikasi · Kelurahan Wonorejo</h1>" in html
    assert '<option value="2026-10" selected>Oktober 2026</option>' in html
    for mark, word in (("✓", "dikonfirmasi"), ("!", "disanggah"), ("…", "menunggu")):
        assert f'aria-hidden="true">{mark}</span> {word}</li>' in html
    assert 'aria-hidden="true">–</span> belum ada data</li>' in html
    row = html.split(f'data-row="{RW_1}.002"', 1)[1].split("</tr>", 1)[0]
    assert re.search(
        r'data-cell="kk_gamis" data-state="disputed" title="RT 002 · KK miskin '
        r'\(Gamis\): disanggah">!</td>',
        row,
    )
    assert 'data-cell="kk_total" data-state="confirmed"' in row
    group = html.split(f'data-group="{RW_1}"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'data-count="(\w+)">([\d.]+)<', group)[:2] == [
        ("confirmed", "4"),
        ("disputed", "3"),
    ]
    earlier = client.get(f"/dasbor/wilayah/{WONOREJO}/ikhtisar?periode=2026-09")
    assert earlier.status_code == 200
    assert 'data-state="confirmed"' not in earlier.get_data(as_text=True)
    assert client.get(f"/dasbor/wilayah/{WONOREJO}/ikhtisar?periode=1999-01").status_code == 404
    # Scoped: another kelurahan, an RT and an unknown area are not found.
    assert client.get("/dasbor/wilayah/35.78.05.1005/ikhtisar").status_code == 404
    assert client.get(f"/dasbor/wilayah/{RW_1}.001/ikhtisar").status_code == 404
    assert client.get(f"/dasbor/wilayah/{RW_1}/ikhtisar").status_code == 200


def test_the_camat_page_links_each_kelurahan_to_its_own_overview(app, demo_city):
    client = app.test_client()
    assert login(client, "camat.rungkut").status_code == 302
    html = client.get("/dasbor/wilayah/35.78.03/ikhtisar").get_data(as_text=True)
    assert "<h1>Ikhtisar verifikasi · Kecamatan Rungkut</h1>" in html
    assert f'href="/dasbor/wilayah/{WONOREJO}/ikhtisar?periode=2026-10">Wonorejo</a>' in html
    row = html.split(f'data-row="{WONOREJO}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-cell="kk_gamis" data-state="disputed"' in row
    assert "KK miskin (Gamis): dikonfirmasi 0, disanggah 1, menunggu" in row
    assert client.get(f"/dasbor/wilayah/{WONOREJO}/ikhtisar").status_code == 200
    assert client.get("/dasbor/wilayah/35.78.05/ikhtisar").status_code == 404
