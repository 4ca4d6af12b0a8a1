"""Sign-in, sessions, passwords, activation and CSRF: security battery rows AU-01..AU-09,
AZ-04, AZ-05 and WB-01, each asserting the values that matter.

Speed: Argon2id costs ~0.1 s per hash or verification, and seeding the demo accounts costs
seven of them, so the demo city is seeded once for this module (``seeded``) and every test
runs in a savepoint of that connection which is rolled back after it (``db``). The
``app``, ``client`` and ``csrf_app`` fixtures of conftest are overridden to use that session.
"""

import base64
import io
import json
import logging
import re
import secrets
import statistics
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import argon2
import openpyxl
import pytest
from flask import Flask
from flask_login.utils import encode_cookie
from itsdangerous.encoding import base64_encode
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from tests.conftest import (
    EXTRA_PASSWORD,
    PASSWORDS,
    RT_A,
    RT_B,
    add_extra_accounts,
    login,
    make_app,
)
from transparency import create_app
from transparency.models import Area, AuditEvent, Department, Role, Upload, User
from transparency.password_policy import check_password
from transparency.passwords import hash_password, needs_rehash, verify_password
from transparency.redirects import safe_next
from transparency.services import accounts as account_service
from transparency.services import demo

RT_HEAD = "rt001.rw001.wonorejo"  # ketua RT of RT_A
WALIDATA = "walidata"
INACTIVE = "rt.deactivated"
AREA_A = f"/dasbor/wilayah/{RT_A}"
NEW_PASSWORD = "layang-layang-di-pantai-kenjeran"
STRONG_KEY = secrets.token_urlsafe(48)
FOREIGN = "https://evil.example"


# --- fixtures -----------------------------------------------------------------------------


pytestmark = pytest.mark.demo_once


@pytest.fixture(scope="module", autouse=True)
def _extra_accounts(seeded_connection):
    """The deactivated ketua RT (and the other extra accounts), once for the module."""
    with Session(bind=seeded_connection, join_transaction_mode="create_savepoint") as seeding:
        add_extra_accounts(seeding)
        seeding.commit()


@pytest.fixture
def db(session):
    """This module's name for the seeded session (demo city plus the extra accounts)."""
    return session


@pytest.fixture
def prod_app(engine, db):
    """A production-like app: strict checks, Secure cookies, HSTS."""
    return make_app(engine, db, ENV_NAME="production", SECRET_KEY=STRONG_KEY)


# --- helpers ------------------------------------------------------------------------------


def password_of(username: str) -> str:
    return EXTRA_PASSWORD if username == INACTIVE else PASSWORDS[username]


def fresh(db: Session, username: str) -> User:
    """The account as the database holds it now (not a stale identity-map copy)."""
    statement = select(User).where(User.username == username)
    return db.exec(statement.execution_options(populate_existing=True)).one()


def area_id(db: Session, code: str) -> int:
    return db.exec(select(Area.id).where(Area.code == code)).one()


def signed_in(app, username: str, remember: bool = False):
    """A client signed in through the form (CSRF off)."""
    client = app.test_client()
    response = login(client, username, password_of(username), remember=remember)
    assert response.status_code == 302, response.text[:500]
    return client


def client_at(app, address: str):
    """A client whose requests come from ``address`` (REMOTE_ADDR)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def csrf_token(client, path: str = "/masuk") -> str:
    """The CSRF token rendered into a form of ``path`` for this client's session."""
    response = client.get(path)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text)
    assert match, f"no CSRF token in {path}"
    return match.group(1)


def signed_in_with_csrf(app, username: str):
    client = app.test_client()
    data = {
        "username": username,
        "password": password_of(username),
        "csrf_token": csrf_token(client),
    }
    assert client.post("/masuk", data=data).status_code == 302
    return client


def assert_sent_to_login(response) -> None:
    assert response.status_code == 302, response.status
    assert urlsplit(response.location).path == "/masuk", response.location


def cookie_jar(client) -> dict[str, str]:
    """The session and remember cookies the client holds."""
    jar = {}
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            jar[name] = cookie.value
    return jar


def replay(app, cookies: dict[str, str]):
    """A fresh client (another browser) carrying captured cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def error_message(response) -> str:
    """The first error paragraph of a form page."""
    match = re.search(r'<p class="error" role="alert">(.*?)</p>', response.text, re.S)
    assert match, "no error message on the page"
    return match.group(1).strip()


def snapshot(db: Session) -> dict:
    """Row counts of every table and the security fields of every account."""
    db.expire_all()
    counts = {
        table.name: db.exec(select(func.count()).select_from(table)).one()
        for table in SQLModel.metadata.sorted_tables
    }
    users = {
        u.id: (
            u.username,
            u.role,
            u.area_id,
            u.department_id,
            u.active,
            u.session_version,
            u.password_hash,
            u.must_change_password,
            u.activation_code_hash,
            u.display_name,
        )
        for u in db.exec(select(User).execution_options(populate_existing=True))
    }
    return {"counts": counts, "users": users}


def pending_rt_head(db: Session, code: str | None = None, expires_in=timedelta(days=30)):
    """A ketua RT of RT_B waiting for activation; returns (user, code)."""
    code = code or account_service.new_activation_code()
    user = User(
        username=f"rt.{RT_B}",
        display_name="Ketua RT 002 RW 001",
        role=Role.KETUA_RT,
        area_id=area_id(db, RT_B),
        password_hash="",
        must_change_password=True,
        activation_code_hash=account_service.activation_digest(code),
        activation_expires_at=datetime.now(UTC) + expires_in,
    )
    db.add(user)
    db.commit()
    return user, code


ARGON2_PREFIX = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([^$]+)\$([^$]+)$")


def argon2_parameters(password_hash: str) -> tuple[int, int, int]:
    match = ARGON2_PREFIX.match(password_hash)
    assert match, password_hash[:40]
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def meets_owasp_minimum(memory_kib: int, time_cost: int) -> bool:
    """OWASP Password Storage Cheat Sheet: m=19 MiB with t=2, or m=46 MiB with t=1."""
    return (memory_kib >= 19456 and time_cost >= 2) or (memory_kib >= 46 * 1024 and time_cost >= 1)


# --- AU-01 password storage ---------------------------------------------------------------


def test_au01_stored_hash_is_argon2id_with_owasp_parameters(db):
    for username in (WALIDATA, RT_HEAD, INACTIVE):
        stored = fresh(db, username).password_hash
        assert stored.startswith("$argon2id$v=19$m=")
        memory_kib, time_cost, parallelism = argon2_parameters(stored)
        assert meets_owasp_minimum(memory_kib, time_cost), (memory_kib, time_cost)
        assert parallelism >= 1
        salt = ARGON2_PREFIX.match(stored).group(4)
        assert len(salt) >= 22  # base64 of at least 16 bytes of salt
        assert password_of(username) not in stored


def test_au01_same_password_gives_different_hashes():
    first, second = hash_password(NEW_PASSWORD), hash_password(NEW_PASSWORD)
    assert first != second
    assert ARGON2_PREFIX.match(first).group(4) != ARGON2_PREFIX.match(second).group(4)
    assert verify_password(first, NEW_PASSWORD) and verify_password(second, NEW_PASSWORD)
    assert not verify_password(first, NEW_PASSWORD + "x")


def test_au01_weaker_hash_is_upgraded_at_sign_in(app, db):
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    user = fresh(db, RT_HEAD)
    old = weak.hash(PASSWORDS[RT_HEAD])
    user.password_hash = old
    db.add(user)
    db.commit()
    assert needs_rehash(old)

    client = app.test_client()
    # A failed sign-in does not touch the stored hash.
    assert login(client, RT_HEAD, "not-the-right-password").status_code == 200
    assert fresh(db, RT_HEAD).password_hash == old

    assert login(client, RT_HEAD).status_code == 302
    upgraded = fresh(db, RT_HEAD).password_hash
    assert upgraded != old
    assert upgraded.startswith("$argon2id$v=19$m=")
    assert meets_owasp_minimum(*argon2_parameters(upgraded)[:2])
    assert not needs_rehash(upgraded)
    assert verify_password(upgraded, PASSWORDS[RT_HEAD])


def test_au01_password_canary_never_reaches_audit_trail_database_or_log(app, db, caplog):
    caplog.set_level(logging.DEBUG)
    canary = "Kanari-" + secrets.token_hex(8)
    wrong_canary = "Salah-" + secrets.token_hex(8)
    client = app.test_client()
    # A failed sign-in with the canary, then a change to it, a sign-in with it,
    # a refused change quoting a wrong current password, and a refused activation.
    assert login(client, RT_HEAD, canary).status_code == 200
    assert login(client, RT_HEAD).status_code == 302
    data = {"current": PASSWORDS[RT_HEAD], "new": canary, "confirm": canary}
    assert client.post("/akun/kata-sandi", data=data).status_code == 302
    data = {"current": wrong_canary, "new": wrong_canary, "confirm": wrong_canary}
    assert client.post("/akun/kata-sandi", data=data).status_code == 200
    assert client.post("/keluar").status_code == 302
    assert login(client, RT_HEAD, canary).status_code == 302
    data = {"username": "rt.belum.ada", "code": wrong_canary, "new": canary, "confirm": canary}
    assert app.test_client().post("/aktivasi", data=data).status_code == 200

    events = db.exec(select(AuditEvent)).all()
    actions = {event.action for event in events}
    assert {"login", "password.change", "logout", "account.activate"} <= actions
    dump = json.dumps([event.model_dump() for event in events], default=str)
    for secret in (canary, wrong_canary):
        assert secret not in dump
        assert secret not in caplog.text
        for record in caplog.records:
            assert secret not in record.getMessage()
    # Nor anywhere else in the database (e.g. a plaintext column).
    connection = db.connection()
    for table in SQLModel.metadata.sorted_tables:
        if table.name in ("figure", "area"):
            continue  # numbers and the city tree: no free text a password could land in
        text = repr(connection.execute(table.select()).all())
        assert canary not in text and wrong_canary not in text, table.name


# --- AU-02 throttling ---------------------------------------------------------------------


def test_au02_five_failures_throttle_the_account_from_every_address(engine, db):
    app = make_app(engine, db)  # defaults: LOGIN_LIMIT_ACCOUNT "5/minute;20/hour"
    client = client_at(app, "192.0.2.1")
    for _ in range(5):
        response = login(client, RT_HEAD, "tebakan-yang-salah")
        assert response.status_code == 200
        assert error_message(response)
    # The sixth attempt, even with the right password, is refused within the minute ...
    assert login(client, RT_HEAD).status_code == 429
    # ... from another address, with the username spelled differently ...
    elsewhere = client_at(app, "203.0.113.9")
    assert login(elsewhere, RT_HEAD).status_code == 429
    assert login(elsewhere, "  RT001.RW001.Wonorejo ", PASSWORDS[RT_HEAD]).status_code == 429
    # ... and a rotating X-Forwarded-For (no trusted proxy: PROXY_COUNT 0) changes nothing.
    assert app.config["PROXY_COUNT"] == 0
    for last in range(1, 4):
        response = client.post(
            "/masuk",
            data={"username": RT_HEAD, "password": PASSWORDS[RT_HEAD]},
            headers={"X-Forwarded-For": f"198.51.100.{last}"},
        )
        assert response.status_code == 429
    assert fresh(db, RT_HEAD).last_login_at is None
    # Other accounts are not affected from the same address.
    assert login(client, WALIDATA).status_code == 302

    throttled = db.exec(select(AuditEvent).where(AuditEvent.action == "login.throttled")).all()
    assert throttled
    assert {event.outcome for event in throttled} == {"throttled"}
    assert {event.actor_name for event in throttled} == {RT_HEAD}
    assert {"192.0.2.1", "203.0.113.9"} <= {event.remote_addr for event in throttled}
    failed = db.exec(
        select(AuditEvent).where(AuditEvent.action == "login", AuditEvent.outcome == "failed")
    ).all()
    assert len(failed) == 5


def test_au02_one_failure_on_many_accounts_throttles_the_address(engine, db):
    app = make_app(engine, db, LOGIN_LIMIT_ADDRESS="10/hour")
    client = client_at(app, "192.0.2.50")
    usernames = [account.username for account in demo.DEMO_ACCOUNTS] + [
        f"warga{number}" for number in range(3)
    ]
    assert len(usernames) == 10
    for username in usernames:
        assert login(client, username, "satu-tebakan-saja").status_code == 200
    assert login(client, "warga99", "satu-tebakan-saja").status_code == 429
    # The address is refused even for a right password, and XFF does not reset it.
    assert login(client, RT_HEAD).status_code == 429
    response = client.post(
        "/masuk",
        data={"username": RT_HEAD, "password": PASSWORDS[RT_HEAD]},
        headers={"X-Forwarded-For": "198.51.100.77"},
    )
    assert response.status_code == 429
    # Another address is not affected.
    other = client_at(app, "192.0.2.51")
    assert login(other, RT_HEAD).status_code == 302

    throttled = db.exec(select(AuditEvent).where(AuditEvent.action == "login.throttled")).all()
    assert throttled
    assert {event.outcome for event in throttled} == {"throttled"}
    assert {event.remote_addr for event in throttled} == {"192.0.2.50"}


def test_au02_successful_sign_ins_do_not_count(engine, db):
    app = make_app(engine, db, LOGIN_LIMIT_ACCOUNT="2/minute")
    client = app.test_client()
    for _ in range(3):
        assert login(client, RT_HEAD).status_code == 302
    # Failures still count: two are allowed, the next attempt is refused.
    for _ in range(2):
        assert login(client, RT_HEAD, "tebakan-yang-salah").status_code == 200
    assert login(client, RT_HEAD).status_code == 429


def test_au02_the_real_user_recovers_after_the_window(engine, db):
    # Recovery by waiting out a real five-second window (time.sleep), not by resetting
    # the limiter storage: the lockout is a timed window, never permanent. (Five seconds,
    # not one: three Argon2 sign-ins on a loaded machine can take longer than a second.)
    app = make_app(engine, db, LOGIN_LIMIT_ACCOUNT="2 per 5 seconds")
    client = app.test_client()
    for _ in range(2):
        assert login(client, RT_HEAD, "tebakan-yang-salah").status_code == 200
    assert login(client, RT_HEAD).status_code == 429
    time.sleep(5.2)
    assert login(client, RT_HEAD).status_code == 302
    assert client.get(AREA_A).status_code == 200


# --- AU-03 user enumeration ---------------------------------------------------------------


def test_au03_unknown_and_known_usernames_answer_alike(engine, db):
    app = make_app(engine, db, LOGIN_LIMIT_ACCOUNT="1000/minute", LOGIN_LIMIT_ADDRESS="1000/hour")
    pending, _code = pending_rt_head(db)
    attempts = {
        "unknown": ("warga.tidak.terdaftar", "tebakan-yang-salah"),
        "known": (RT_HEAD, "tebakan-yang-salah"),
        "inactive, right password": (INACTIVE, EXTRA_PASSWORD),
        "not yet activated": (pending.username, "tebakan-yang-salah"),
    }
    answers = {}
    for case, (username, password) in attempts.items():
        response = login(app.test_client(), username, password)
        body = response.text.replace(f'value="{username}"', 'value="USERNAME"')
        answers[case] = (response.status_code, response.location, body)
    assert answers["unknown"][0] == 200
    for case, answer in answers.items():
        assert answer == answers["unknown"], case

    client = app.test_client()
    timings = {"unknown": [], "known": []}
    for _ in range(10):
        for case in ("unknown", "known"):
            username, password = attempts[case]
            started = time.perf_counter()
            login(client, username, password)
            timings[case].append(time.perf_counter() - started)
    ratio = statistics.median(timings["unknown"]) / statistics.median(timings["known"])
    assert 0.5 < ratio < 2, timings


# --- AU-04 session fixation ---------------------------------------------------------------


def test_au04_keys_planted_before_sign_in_are_discarded(app, db):
    client = app.test_client()
    with client.session_transaction() as planted:
        planted["planted"] = "attacker"
        planted["next"] = FOREIGN
        planted["_fresh"] = True
    before = client.get_cookie("session").value
    assert login(client, RT_HEAD).status_code == 302
    with client.session_transaction() as after:
        assert "planted" not in after
        assert "next" not in after
        assert after["_user_id"].startswith(f"{fresh(db, RT_HEAD).id}:")
    assert client.get_cookie("session").value != before


# --- AU-05 / AZ-05 revocation with replayed cookies ---------------------------------------


@pytest.mark.parametrize("event", ["logout", "password change", "deactivation", "new area"])
def test_au05_az05_captured_cookies_stop_working(event, app, db):
    victim = signed_in(app, RT_HEAD, remember=True)
    stolen = cookie_jar(victim)
    assert set(stolen) == {"session", "remember_token"}
    remember_only = {"remember_token": stolen["remember_token"]}
    # Before: both cookies open the dashboard, and the remember cookie alone restores a session.
    assert replay(app, stolen).get(AREA_A).status_code == 200
    assert replay(app, remember_only).get(AREA_A).status_code == 200

    user_id = fresh(db, RT_HEAD).id
    version = fresh(db, RT_HEAD).session_version
    if event == "logout":
        assert victim.post("/keluar").status_code == 302
    elif event == "password change":
        data = {"current": PASSWORDS[RT_HEAD], "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        assert victim.post("/akun/kata-sandi", data=data).status_code == 302
        assert victim.get(AREA_A).status_code == 200  # the changing session itself goes on
    else:
        admin = signed_in(app, WALIDATA)
        if event == "deactivation":
            response = admin.post(f"/admin/pengguna/{user_id}/nonaktifkan")
            assert response.status_code == 302
            assert fresh(db, RT_HEAD).active is False
        else:
            data = {
                "role": "ketua_rt",
                "area_code": RT_B,
                "display_name": "Ketua RT 002/RW 001 Wonorejo",
                "department_code": "",
            }
            assert admin.post(f"/admin/pengguna/{user_id}", data=data).status_code == 302
            assert fresh(db, RT_HEAD).area_id == area_id(db, RT_B)
    assert fresh(db, RT_HEAD).session_version > version

    for cookies in (stolen, remember_only):
        thief = replay(app, cookies)
        assert_sent_to_login(thief.get("/dasbor/"))
        assert_sent_to_login(thief.get(AREA_A))
        assert_sent_to_login(thief.get(f"{AREA_A}/data.csv"))

    if event == "new area":
        # The reassigned head, signing in again, sees the new RT and no longer the old one.
        again = signed_in(app, RT_HEAD)
        assert again.get(AREA_A).status_code == 404
        assert again.get(f"/dasbor/wilayah/{RT_B}").status_code == 200


# --- AU-06 session lifetime and cookie flags ----------------------------------------------


def parse_set_cookies(response) -> dict[str, dict[str, str | bool]]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        name, _, value = first.partition("=")
        parsed: dict[str, str | bool] = {"value": value}
        for attribute in attributes:
            key, sep, val = attribute.partition("=")
            parsed[key.lower()] = val if sep else True
        cookies[name] = parsed
    return cookies


def test_au06_production_cookies_are_secure_httponly_lax(prod_app):
    client = prod_app.test_client()
    response = login(client, RT_HEAD, remember=True)
    assert response.status_code == 302
    cookies = parse_set_cookies(response)
    assert {"session", "remember_token"} <= set(cookies)
    for name in ("session", "remember_token"):
        assert cookies[name].get("secure") is True, name
        assert cookies[name].get("httponly") is True, name
        assert str(cookies[name].get("samesite", "")).lower() == "lax", name
    now = datetime.now(UTC)
    remember_until = parsedate_to_datetime(str(cookies["remember_token"]["expires"]))
    assert timedelta(0) < remember_until - now <= timedelta(days=14, minutes=1)
    if "expires" in cookies["session"]:
        session_until = parsedate_to_datetime(str(cookies["session"]["expires"]))
        assert session_until - now <= timedelta(hours=12, minutes=1)
    duration = prod_app.config["REMEMBER_COOKIE_DURATION"]
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else duration
    assert seconds <= 14 * 24 * 3600


@pytest.mark.parametrize(
    ("auth_age", "seen_age", "expired"),
    [
        (60, 29 * 60, False),  # idle 29 minutes: still signed in
        (60, 31 * 60, True),  # idle 31 minutes
        (11 * 3600, 60, False),  # 11 hours old, active: still signed in
        (12 * 3600 + 60, 60, True),  # older than the 12-hour absolute limit, though active
    ],
)
def test_au06_idle_and_absolute_limits_end_the_session(prod_app, auth_age, seen_age, expired):
    client = signed_in(prod_app, RT_HEAD)
    assert client.get(AREA_A).status_code == 200
    now = time.time()
    with client.session_transaction() as session:
        session["auth_at"] = now - auth_age
        session["seen_at"] = now - seen_age
    response = client.get(AREA_A)
    if expired:
        assert_sent_to_login(response)
        assert_sent_to_login(client.get("/dasbor/"))  # and it stays ended
    else:
        assert response.status_code == 200


# --- AU-07 secret key and cookie integrity ------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [None, "", "dev", "dev-only-not-secret", "short-but-random-Xy7", "a" * 64, "ab" * 24],
)
def test_au07_production_refuses_a_missing_or_weak_key(monkeypatch, key):
    for name in ("SECRET_KEY", "TRANSPARENCY_SECRET_KEY", "TRANSPARENCY_ENV_NAME"):
        monkeypatch.delenv(name, raising=False)
    config = {"ENV_NAME": "production", "DATABASE_URL": "sqlite://"}
    if key is not None:
        config["SECRET_KEY"] = key
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_au07_production_starts_with_a_strong_key_and_debug_off(monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app(
        {"ENV_NAME": "production", "DATABASE_URL": "sqlite://", "SECRET_KEY": STRONG_KEY}
    )
    assert app.debug is False
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    app.extensions["db_engine"].dispose()


def sign_session(payload: dict, key: str) -> str:
    """A session cookie as Flask would sign it with ``key``."""
    forger = Flask("forger")
    forger.secret_key = key
    return forger.session_interface.get_signing_serializer(forger).dumps(payload)


def test_au07_forged_or_tampered_cookies_are_anonymous(app, db):
    user = fresh(db, RT_HEAD)
    ident = f"{user.id}:{user.session_version}"
    now = time.time()
    payload = {"_user_id": ident, "_fresh": True, "auth_at": now, "seen_at": now}
    # Control: the same payload signed with the app's own key is a valid session.
    own_key = app.config["SECRET_KEY"]
    assert replay(app, {"session": sign_session(payload, own_key)}).get(AREA_A).status_code == 200
    remembered = replay(app, {"remember_token": encode_cookie(ident, own_key)})
    assert remembered.get(AREA_A).status_code == 200
    # Signed with a guessed key: anonymous.
    for guess in ("dev-only-not-secret", "secret", "transparansi-rt"):
        forged_session = replay(app, {"session": sign_session(payload, guess)})
        assert_sent_to_login(forged_session.get(AREA_A))
        forged_remember = replay(app, {"remember_token": encode_cookie(ident, guess)})
        assert_sent_to_login(forged_remember.get(AREA_A))
    # A real cookie whose payload is swapped for the walidata's id keeps no authority.
    genuine = cookie_jar(signed_in(app, RT_HEAD))["session"]
    walidata = fresh(db, WALIDATA)
    forged_payload = dict(payload, _user_id=f"{walidata.id}:{walidata.session_version}")
    body = base64_encode(json.dumps(forged_payload, separators=(",", ":"))).decode()
    _, timestamp, signature = genuine.rsplit(".", 2)
    tampered = replay(app, {"session": f"{body}.{timestamp}.{signature}"})
    assert_sent_to_login(tampered.get("/admin/pengguna/"))
    # A remember cookie naming another account under the victim's digest: anonymous too.
    digest = encode_cookie(ident, own_key).split("|", 1)[1]
    other = replay(app, {"remember_token": f"{walidata.id}:{walidata.session_version}|{digest}"})
    assert_sent_to_login(other.get("/admin/pengguna/"))


def test_au07_a_demo_started_without_a_key_refuses_cookies_signed_with_the_old_default(
    engine, db, monkeypatch, tmp_path
):
    """``make run`` as the README says: development, no SECRET_KEY. A walidata cookie
    signed with the development default of old opens nothing; the app's own key does."""
    for name in ("SECRET_KEY", "TRANSPARENCY_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRANSPARENCY_INSTANCE_PATH", str(tmp_path))
    demo_app = make_app(engine, db, SECRET_KEY=None)
    key = demo_app.config["SECRET_KEY"]
    assert key == (tmp_path / "secret_key").read_text(encoding="ascii")
    walidata = fresh(db, WALIDATA)
    now = time.time()
    payload = {
        "_user_id": f"{walidata.id}:{walidata.session_version}",
        "_fresh": True,
        "auth_at": now,
        "seen_at": now,
    }
    forged = replay(demo_app, {"session": sign_session(payload, "dev-only-not-secret")})
    assert_sent_to_login(forged.get("/admin/pengguna/"))
    genuine = replay(demo_app, {"session": sign_session(payload, key)})
    assert genuine.get("/admin/pengguna/").status_code == 200


def test_au07_key_rotation_keeps_sessions_only_with_the_fallback(engine, db):
    old_key, new_key = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
    before = make_app(engine, db, SECRET_KEY=old_key)
    cookies = cookie_jar(signed_in(before, RT_HEAD))
    assert set(cookies) == {"session"}
    rotated = make_app(engine, db, SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[old_key])
    assert replay(rotated, cookies).get(AREA_A).status_code == 200
    without_fallback = make_app(engine, db, SECRET_KEY=new_key)
    assert_sent_to_login(replay(without_fallback, cookies).get(AREA_A))


# --- AU-08 open redirect ------------------------------------------------------------------

HOSTILE_NEXT = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%09/evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "/.//evil.example",
    "/./%2Fevil.example",
    "/..//evil.example",
    "/%2E//evil.example",
    "/%2e%2e//evil.example",
    "/dasbor/..//..//evil.example",
    "/%5C%5Cevil.example",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_au08_hostile_next_never_leaves_the_site(app, target):
    client = app.test_client()
    data = {"username": RT_HEAD, "password": PASSWORDS[RT_HEAD], "next": target}
    response = client.post("/masuk", data=data)
    assert response.status_code == 302
    location = response.location
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/")
    assert not location.startswith("//") and not location.startswith("/\\")
    assert "evil" not in location.lower()


def test_au08_a_same_site_next_is_followed(app):
    client = app.test_client()
    data = {"username": RT_HEAD, "password": PASSWORDS[RT_HEAD], "next": AREA_A}
    assert client.post("/masuk", data=data).location == AREA_A


def test_au08_the_login_redirect_round_trips_next(app):
    client = app.test_client()
    response = client.get(AREA_A)
    assert_sent_to_login(response)
    form = client.get(response.location).text
    match = re.search(r'id="next" name="next" type="hidden" value="([^"]*)"', form)
    assert match and match.group(1) == AREA_A
    data = {"username": RT_HEAD, "password": PASSWORDS[RT_HEAD], "next": match.group(1)}
    assert client.post("/masuk", data=data).location == AREA_A


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/dasbor/", "/dasbor/"),
        (AREA_A, AREA_A),
        ("/wilayah/35.78.03?tab=rt#daftar", "/wilayah/35.78.03?tab=rt#daftar"),
        ("/%252F%252Fevil.example", "/%252F%252Fevil.example"),  # stays a path on this site
        (None, None),
        ("", None),
        ("dasbor/", None),
        ("https://evil.example", None),
        ("http://localhost/dasbor/", None),
        ("//evil.example", None),
        ("///evil.example", None),
        ("/\\evil.example", None),
        ("\\\\evil.example", None),
        ("/%09/evil.example", None),
        ("/\t/evil.example", None),
        ("/%2F/evil.example", None),
        ("/%2f%2fevil.example", None),
        ("/%5Cevil.example", None),
        ("%2F%2Fevil.example", None),
        ("%2Fdasbor%2F", None),
        ("https:evil.example", None),
        ("javascript:alert(1)", None),
        ("/%0d%0aSet-Cookie:%20x=1", None),
        ("/\x00", None),
        ("/\x7f", None),
        ("/" + "a" * 2001, None),
        # Normalised before the check: no empty or dot segments, encoded or not.
        ("/.//evil.example", None),
        ("/..//evil.example", None),
        ("/%2E/%2Fevil.example", None),
        ("/dasbor/./", None),
        ("/dasbor/../admin/", None),
        ("/dasbor//wilayah", None),
        ("/dasbor/.", None),
        ("/cari?q=a//b&next=/./x", "/cari?q=a//b&next=/./x"),  # the query is not a path
        ("/wilayah/35.78.03/data.csv", "/wilayah/35.78.03/data.csv"),
        ("/", "/"),
    ],
)
def test_au08_safe_next(target, expected):
    assert safe_next(target) == expected


# --- AU-09 password policy and default accounts -------------------------------------------


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("rt001", ["password.too_short"]),
        ("abc1234", ["password.too_short"]),  # 7 characters
        ("password", ["password.too_short"]),  # 8 characters: below the 10 minimum
        # 16 characters, not on the common list, 7 different letters: the policy has no
        # composition or repetition-of-words rule, so it is accepted.
        ("passwordpassword", []),
        ("kopi-susu-" * 20, ["password.too_long"]),  # 200 characters
        ("k" * 129, ["password.too_long"]),
        ("x7" * 64, ["password.repetitive"]),  # 128 characters is still allowed in length
        ("qwertyuiop", ["password.common"]),
        ("Password123", ["password.common"]),
        ("abcabcabcabc", ["password.repetitive"]),
        ("hujan 🌧️ turun di kampung 🏠 kami", []),
        ("layang-layang di pantai", []),
    ],
)
def test_au09_password_policy(password, problems):
    assert check_password(password) == problems


@pytest.mark.parametrize(
    "password",
    [
        "rt001rw001wonorejo",
        "Wonorejo12345",
        "RT.001/RW.001 Wonorejo",
        RT_HEAD,
        "rt001.rw001.wonorejo!!",
        "rungkut-wonorejo",
    ],
)
def test_au09_the_rt_heads_own_names_are_refused(db, password):
    user = fresh(db, RT_HEAD)
    stored = user.password_hash
    with pytest.raises(account_service.AccountError) as refused:
        account_service.set_password(db, user, password)
    assert refused.value.code == "password.contextual"
    assert fresh(db, RT_HEAD).password_hash == stored


def test_au09_an_unrelated_passphrase_fits_the_rt_heads_context(db):
    user = fresh(db, RT_HEAD)
    assert check_password(NEW_PASSWORD, account_service.password_context(db, user)) == []


def test_au09_the_password_form_enforces_the_policy(app, db):
    client = signed_in(app, RT_HEAD)
    stored = fresh(db, RT_HEAD).password_hash
    for weak in ("rt001", "Wonorejo12345", "k" * 200):
        data = {"current": PASSWORDS[RT_HEAD], "new": weak, "confirm": weak}
        response = client.post("/akun/kata-sandi", data=data)
        assert response.status_code == 200
        assert error_message(response)
    assert fresh(db, RT_HEAD).password_hash == stored


def test_au09_demo_accounts_exist_only_in_the_demo_seed(db, tmp_path, monkeypatch):
    assert {a.username for a in demo.DEMO_ACCOUNTS} <= {
        u.username for u in db.exec(select(User).where(User.is_demo.is_(True)))
    }
    for name in ("DATABASE_URL", "SECRET_KEY", "TRANSPARENCY_ENV_NAME"):
        monkeypatch.delenv(name, raising=False)
    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": STRONG_KEY,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        }
    )
    runner = app.test_cli_runner()
    for command in (["db", "upgrade"], ["city", "load"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    engine = app.extensions["db_engine"]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Area)).one() > 100
        assert session.exec(select(func.count()).select_from(User)).one() == 0
    engine.dispose()


def activate(app, username: str, code: str, password: str = NEW_PASSWORD, extra=None):
    data = {"username": username, "code": code, "new": password, "confirm": password}
    return app.test_client().post("/aktivasi", data={**(extra or {}), **data})


# --- AZ-04 mass assignment ----------------------------------------------------------------


def protected_fields(user: User) -> tuple:
    return (user.username, user.role, user.area_id, user.department_id, user.active, user.is_demo)


def extra_fields(db: Session) -> dict[str, str]:
    department = db.exec(select(Department.id)).first()
    return {
        "role": "walidata",
        "area_id": str(area_id(db, "35.78")),
        "area_code": "35.78",
        "department_id": str(department),
        "department_code": "dinsos",
        "active": "0",
        "is_active": "0",
        "session_version": "0",
        "is_demo": "0",
        "must_change_password": "1",
    }


def test_az04_password_change_ignores_extra_fields(app, db):
    before = fresh(db, RT_HEAD)
    protected, version = protected_fields(before), before.session_version
    client = signed_in(app, RT_HEAD)
    data = {"current": PASSWORDS[RT_HEAD], "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    extra = {**extra_fields(db), "username": WALIDATA}
    response = client.post("/akun/kata-sandi", data={**data, **extra})
    assert response.status_code == 302
    after = fresh(db, RT_HEAD)
    assert protected_fields(after) == protected
    assert after.session_version == version + 1
    assert after.must_change_password is False
    assert verify_password(after.password_hash, NEW_PASSWORD)


def test_az04_activation_ignores_extra_fields(app, db):
    pending, code = pending_rt_head(db)
    protected, version = protected_fields(pending), pending.session_version
    response = activate(app, pending.username, code, extra=extra_fields(db))
    assert response.status_code == 302
    after = fresh(db, pending.username)
    assert protected_fields(after) == protected
    assert after.role == Role.KETUA_RT and after.area_id == area_id(db, RT_B)
    assert after.session_version == version + 1
    assert verify_password(after.password_hash, NEW_PASSWORD)


# --- forced password change ---------------------------------------------------------------


def test_a_temporary_password_must_be_changed_before_anything_else(app, db):
    user = fresh(db, RT_HEAD)
    user.must_change_password = True
    db.add(user)
    db.commit()
    client = signed_in(app, RT_HEAD)
    for path in ("/dasbor/", AREA_A, f"{AREA_A}/data.csv", f"{AREA_A}/cetak"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert urlsplit(response.location).path == "/akun/kata-sandi", path
    assert client.get("/akun/kata-sandi").status_code == 200
    data = {"current": PASSWORDS[RT_HEAD], "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = client.post("/akun/kata-sandi", data=data)
    assert response.status_code == 302
    assert fresh(db, RT_HEAD).must_change_password is False
    response = client.get("/dasbor/")
    assert response.location == AREA_A
    assert client.get(AREA_A).status_code == 200


# --- activation with the lurah's workbook -------------------------------------------------

CODE_PATTERN = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")


def activation_rows(workbook_bytes: bytes) -> list[tuple[str, str]]:
    """(username, code) pairs found in the activation workbook, whatever the header language."""
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_bytes), read_only=True)
    pairs = []
    for row in workbook.worksheets[0].iter_rows(values_only=True):
        cells = [str(cell) for cell in row if cell is not None]
        usernames = [cell for cell in cells if cell.startswith("rt.")]
        codes = [cell for cell in cells if CODE_PATTERN.match(cell)]
        if usernames and codes:
            pairs.append((usernames[0], codes[0]))
    workbook.close()
    return pairs


def test_activation_with_the_bulk_workbook(app, db):
    admin = signed_in(app, WALIDATA)
    response = admin.post("/admin/pengguna/massal", data={"area_code": "35.78.03.1005"})
    assert response.status_code == 200
    # The page links the workbook as a data: URL (the codes exist only in this answer).
    link = re.search(r'href="data:[^;"]+spreadsheetml\.sheet;base64,([^"]+)"', response.text)
    assert link, "no workbook link on the page"
    pairs = activation_rows(base64.b64decode(link.group(1)))
    assert len(pairs) >= 2
    usernames = [username for username, _ in pairs]
    assert all(name.startswith("rt.35.78.03.1005.") for name in usernames)
    assert f"rt.{RT_A}" not in usernames  # RT A already has an active ketua RT
    (username, code), (second_username, second_code) = pairs[0], pairs[1]
    assert fresh(db, username).password_hash == ""

    assert code != "2222-3333-4444"
    wrong = activate(app, username, "2222-3333-4444")
    unknown = activate(app, "rt.35.78.03.1005.999.999", code)
    assert wrong.status_code == unknown.status_code == 200
    invalid_message = error_message(wrong)
    assert error_message(unknown) == invalid_message

    response = activate(app, username, code.lower().replace("-", " "))  # as typed by hand
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/masuk"
    activated = fresh(db, username)
    assert activated.activation_code_hash == "" and activated.must_change_password is False
    client = app.test_client()
    assert login(client, username, NEW_PASSWORD).status_code == 302
    area_code = username.removeprefix("rt.")
    assert client.get("/dasbor/").location == f"/dasbor/wilayah/{area_code}"
    assert client.get(f"/dasbor/wilayah/{area_code}").status_code == 200

    # The same code a second time does nothing.
    again = activate(app, username, code, "kembang-sepatu-merah-77")
    assert again.status_code == 200
    assert error_message(again) == invalid_message
    assert verify_password(fresh(db, username).password_hash, NEW_PASSWORD)

    # An expired code does nothing either.
    expiring = fresh(db, second_username)
    expiring.activation_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.add(expiring)
    db.commit()
    expired = activate(app, second_username, second_code)
    assert expired.status_code == 200
    assert error_message(expired) == invalid_message
    assert fresh(db, second_username).password_hash == ""


# --- WB-01 CSRF ---------------------------------------------------------------------------

PARAM = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def fill_rule(rule: str, values: dict[str, str]) -> list[str]:
    """Every concrete path of a URL rule: named values, each option of an ``any`` converter."""
    paths = [rule]
    for match in PARAM.finditer(rule):
        if match.group("converter") == "any":
            options = [option.strip(" '\"") for option in match.group("args").split(",")]
        else:
            options = [values.get(match.group("name"), "1")]
        paths = [path.replace(match.group(0), option, 1) for path in paths for option in options]
    return paths


def route_paths(app, method: str, values: dict[str, str]) -> list[tuple[str, str]]:
    """(endpoint, path) for every rule of the app answering ``method``."""
    found = []
    for rule in app.url_map.iter_rules():
        if method in rule.methods:
            found += [(rule.endpoint, path) for path in fill_rule(rule.rule, values)]
    return sorted(found)


def forms_for(db: Session, pending_username: str, code: str) -> dict[str, dict[str, str]]:
    """Form bodies that would change state on each POST route if CSRF were not checked."""
    return {
        "auth.login": {"username": RT_HEAD, "password": PASSWORDS[RT_HEAD]},
        "auth.change_password": {
            "current": PASSWORDS[WALIDATA],
            "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
        "auth.activate": {
            "username": pending_username,
            "code": code,
            "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
        "accounts_admin.create": {
            "username": "rt.csrf.baru",
            "role": "ketua_rt",
            "area_code": RT_B,
            "display_name": "Dibuat lintas situs",
            "department_code": "",
        },
        "accounts_admin.edit": {
            "role": "ketua_rt",
            "area_code": RT_B,
            "display_name": "Diubah lintas situs",
            "department_code": "",
        },
        "accounts_admin.bulk": {"area_code": "35.78.03.1005"},
    }


def test_wb01_every_post_route_refuses_forged_requests(csrf_app, db):
    pending, code = pending_rt_head(db)
    target = fresh(db, RT_HEAD)
    admin = signed_in_with_csrf(csrf_app, WALIDATA)
    own_token = csrf_token(admin, "/admin/pengguna/massal")
    other_token = csrf_token(csrf_app.test_client())  # another browser's session
    assert other_token != own_token
    values = {"user_id": str(target.id), "code": RT_A}
    forms = forms_for(db, pending.username, code)
    posts = route_paths(csrf_app, "POST", values)
    assert {"auth.login", "auth.logout", "accounts_admin.set_active"} <= {e for e, _ in posts}
    before = snapshot(db)

    attacks = {
        "no token": ({}, {}, "http://localhost"),
        "another session's token": ({"csrf_token": other_token}, {}, "http://localhost"),
        # A cross-site form post as the browser sends it, even carrying a valid token.
        "foreign origin": (
            {"csrf_token": own_token},
            {"Origin": FOREIGN, "Referer": f"{FOREIGN}/serangan"},
            "https://localhost",
        ),
    }
    accepted = []
    for endpoint, path in posts:
        for attack, (token, headers, base_url) in attacks.items():
            data = {**forms.get(endpoint, {}), **token}
            response = admin.post(path, data=data, headers=headers, base_url=base_url)
            if response.status_code != 400:
                accepted.append((attack, path, response.status_code))
    assert accepted == []
    assert snapshot(db) == before
    # The walidata is still signed in (the forged sign-out did nothing) ...
    assert admin.get("/admin/pengguna/").status_code == 200
    # ... and a genuine same-site post with the session's own token works (the check bites).
    path = f"/admin/pengguna/{target.id}/nonaktifkan"
    assert admin.post(path, data={"csrf_token": own_token}).status_code == 302
    assert fresh(db, RT_HEAD).active is False


def test_wb01_login_csrf_is_refused(csrf_app, db):
    before = snapshot(db)
    client = csrf_app.test_client()
    data = {"username": RT_HEAD, "password": PASSWORDS[RT_HEAD]}
    assert client.post("/masuk", data=data).status_code == 400
    data["csrf_token"] = csrf_token(csrf_app.test_client())
    assert client.post("/masuk", data=data, headers={"Origin": FOREIGN}).status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert_sent_to_login(client.get(AREA_A))
    assert snapshot(db) == before


def test_wb01_get_routes_change_nothing(app, db):
    admin = signed_in(app, WALIDATA)
    target = fresh(db, RT_HEAD)
    any_upload = db.exec(select(Upload.id).order_by(Upload.id)).first()
    values = {
        "user_id": str(target.id),
        "code": RT_A,
        "filename": "site.css",
        "upload_id": str(any_upload),
        "indicator": "kk_gamis",
        "period": "2026-09",  # published by the demo
    }
    gets = route_paths(app, "GET", values)
    # The template route takes an indicator-set code, the department page a department's.
    instead = {
        "uploads.template": "/unggah/templat/dinsos_gamis_pramis.xlsx",
        "department.page": "/dasbor/dinas/dinsos",
        "dashboard.overview": "/dasbor/wilayah/35.78.03.1005/ikhtisar",  # an RT has none
    }
    gets = [(e, instead.get(e, p)) for e, p in gets]
    # The report workbook exists only while a dry run's file is kept; the demo's are gone.
    gets = [(e, p) for e, p in gets if e != "uploads.report_workbook"]
    assert len(gets) >= 15
    before = snapshot(db)
    before["counts"].pop("audit_event")  # recording a read is not a state change
    failures = []
    for endpoint, path in gets:
        response = admin.get(path)
        response.close()
        if response.status_code >= 400:
            failures.append((endpoint, path, response.status_code))
        after = snapshot(db)
        after["counts"].pop("audit_event")
        if after != before:
            failures.append((endpoint, path, "changed the database"))
    assert failures == []
