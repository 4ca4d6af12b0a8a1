"""The demo city: deterministic figures for every RT, and one account per role."""

import numpy as np
from sqlalchemy import func
from sqlmodel import select

from transparency import demodata
from transparency.models import ActiveUpload, Area, AreaLevel, Figure, Indicator, Role, User
from transparency.passwords import verify_password
from transparency.services import demo


def test_demo_figures_are_deterministic_and_plausible():
    households = np.array([100, 40, 250, 12])
    residents = np.array([330, 120, 900, 30])
    groups = np.array([0, 0, 1, 1])
    first = demodata.generate(households, residents, groups, 12)
    second = demodata.generate(households, residents, groups, 12)
    assert first.keys() == second.keys()
    for code in first:
        assert np.array_equal(first[code], second[code]), code
        assert first[code].shape == (4, 12)
        assert (first[code] >= 0).all(), code
    assert ((first["kk_gamis"] + first["kk_pramis"]) <= households[:, None]).all()
    assert (first["jiwa_gamis"] >= first["kk_gamis"]).all()
    assert (first["kk_total"] == households[:, None]).all()


def test_demo_seeds_twelve_months_for_every_rt_and_indicator(demo_city):
    session = demo_city
    rts = session.exec(select(func.count()).where(Area.level == AreaLevel.RT)).one()
    indicators = session.exec(select(func.count()).select_from(Indicator)).one()
    figures = session.exec(select(func.count()).select_from(Figure)).one()
    active = session.exec(select(func.count()).select_from(ActiveUpload)).one()
    assert indicators == 12
    assert figures == rts * indicators * 12
    codes = session.exec(select(Area.code).where(Area.level == AreaLevel.RT)).all()
    kelurahan = {code.rsplit(".", 2)[0] for code in codes}
    assert len(kelurahan) == 3
    assert active == indicators * 12 * 3  # each upload in force in every kelurahan it covers


def test_demo_has_one_account_per_role_with_working_passwords(demo_city):
    users = {u.username: u for u in demo_city.exec(select(User))}
    assert {u.role for u in users.values()} == set(Role)
    for account in demo.DEMO_ACCOUNTS:
        user = users[account.username]
        assert user.is_demo
        assert verify_password(user.password_hash, account.password)
        assert user.password_hash.startswith("$argon2id$")
    ketua_rt = users["rt001.rw001.wonorejo"]
    assert demo_city.get(Area, ketua_rt.area_id).code == "35.78.03.1005.001.001"


def test_seed_command_is_idempotent(runner, demo_city):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0
    assert "already present" in result.output


def test_logins_command_prints_every_demo_account(runner):
    output = runner.invoke(args=["demo", "logins"]).output
    for account in demo.DEMO_ACCOUNTS:
        assert f"{account.username}" in output and account.password in output


def test_city_load_is_idempotent_and_complete(runner, session):
    result = runner.invoke(args=["city", "load"])
    assert result.exit_code == 0, result.output
    levels = dict(session.exec(select(Area.level, func.count()).group_by(Area.level)).all())
    assert levels == {AreaLevel.KOTA: 1, AreaLevel.KECAMATAN: 31, AreaLevel.KELURAHAN: 153}
