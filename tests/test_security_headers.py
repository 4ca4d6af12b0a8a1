"""Security headers and error hardening: battery rows WB-02 and WB-06.

Every GET route of the inventory is requested as the public, as a ketua RT and as the
walidata, together with forced 400/404/405/429/500 answers and the downloads, and each
response's headers are checked. The demo city is seeded once for the module (Argon2id
makes the demo accounts costly); each test runs in a savepoint rolled back after it.
"""

import logging
import re
import secrets

import pytest
from sqlmodel import Session, select
from werkzeug.debug import DebuggedApplication

from tests.conftest import PASSWORDS, RT_A, login, make_app
from transparency import create_app
from transparency.access import public
from transparency.models import User

WALIDATA = "walidata"
RT_HEAD = "rt001.rw001.wonorejo"
KELURAHAN = "35.78.03.1005"
STRONG_KEY = secrets.token_urlsafe(48)
SAFE_REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}


pytestmark = pytest.mark.demo_once


@pytest.fixture
def db(session):
    """This module's name for the seeded session."""
    return session


def signed_in(app, username: str):
    client = app.test_client()
    response = login(client, username, PASSWORDS[username])
    assert response.status_code == 302
    return client


# --- the header check ---------------------------------------------------------------------


def header_problems(response, *, private: bool, production: bool = False) -> list[str]:
    """What is wrong with a response's security headers (empty when all is right).

    ``private``: the response goes to a signed-in person or carries exact figures, so it
    must not be stored by any cache and must vary on the cookie.
    """
    headers = response.headers
    problems = []
    csp = headers.get("Content-Security-Policy", "")
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        if directive not in csp:
            problems.append(f"CSP lacks {directive}")
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'"):
        if unsafe in csp:
            problems.append(f"CSP allows {unsafe}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("Referrer-Policy") not in SAFE_REFERRER_POLICIES:
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')!r}")
    hsts = headers.get("Strict-Transport-Security")
    if production:
        match = re.search(r"max-age=(\d+)", hsts or "")
        if not match or int(match.group(1)) < 31_536_000:
            problems.append(f"HSTS missing or short in production: {hsts!r}")
    elif hsts:
        problems.append("HSTS outside production")
    if private:
        if "no-store" not in headers.get("Cache-Control", ""):
            problems.append(f"Cache-Control {headers.get('Cache-Control')!r} without no-store")
        if "cookie" not in {value.strip().lower() for value in headers.get("Vary", "").split(",")}:
            problems.append(f"Vary {headers.get('Vary')!r} without Cookie")
    for banner in ("Server", "X-Powered-By", "X-AspNet-Version"):
        if banner in headers:
            problems.append(f"{banner} banner: {headers[banner]}")
    return problems


def assert_headers(response, *, private: bool, production: bool = False) -> None:
    problems = header_problems(response, private=private, production=production)
    assert problems == [], f"{response.request.path} {response.status}: {problems}"


# --- the route inventory ------------------------------------------------------------------

PARAM = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def get_paths(app, values: dict[str, str]) -> list[str]:
    """Every GET rule with its parameters filled (each option of an ``any`` converter)."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        paths = [rule.rule]
        for match in PARAM.finditer(rule.rule):
            if match.group("converter") == "any":
                options = [option.strip(" '\"") for option in match.group("args").split(",")]
            else:
                options = [values.get(match.group("name"), "1")]
            paths = [p.replace(match.group(0), option, 1) for p in paths for option in options]
        found += paths
    return sorted(found)


def inventory_values(db: Session) -> dict[str, str]:
    user_id = db.exec(select(User.id).where(User.username == RT_HEAD)).one()
    return {"code": RT_A, "user_id": str(user_id), "filename": "site.css"}


@pytest.mark.parametrize("username", [None, RT_HEAD, WALIDATA])
def test_wb02_every_get_route_carries_the_headers(app, db, username):
    client = signed_in(app, username) if username else app.test_client()
    paths = get_paths(app, inventory_values(db))
    assert len(paths) >= 15
    failures = []
    for path in paths:
        response = client.get(path)
        response.close()
        problems = header_problems(response, private=username is not None)
        if problems:
            failures.append((path, response.status_code, problems))
    assert failures == []


def test_wb02_exact_figures_and_downloads_are_never_cached(app):
    client = signed_in(app, WALIDATA)
    for code in (RT_A, KELURAHAN):
        for suffix in ("", "/cetak", "/data.json", "/data.csv", "/data.xlsx"):
            response = client.get(f"/dasbor/wilayah/{code}{suffix}")
            assert response.status_code == 200, (code, suffix)
            assert_headers(response, private=True)
    for suffix, mimetype in (("csv", "text/csv"), ("xlsx", "spreadsheetml.sheet")):
        response = client.get(f"/dasbor/wilayah/{RT_A}/data.{suffix}")
        assert response.mimetype.endswith(mimetype)
        assert response.headers["Content-Disposition"].startswith("attachment;")
    bulk = client.post("/admin/pengguna/massal", data={"area_code": KELURAHAN})
    assert bulk.status_code == 200
    # The page that links the activation workbook (a data: URL: the codes live only here).
    assert bulk.mimetype == "text/html"
    assert 'href="data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;' in (
        bulk.text
    )
    assert_headers(bulk, private=True)


def token_of(client) -> str:
    page = client.get("/masuk").text
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_wb02_headers_on_error_answers(engine, db):
    app = make_app(engine, db, LOGIN_LIMIT_ADDRESS="1/hour", WTF_CSRF_ENABLED=True)

    @app.get("/_test/boom")
    @public
    def boom():
        raise RuntimeError("boom for the header test")

    anonymous = app.test_client()
    walidata = app.test_client()
    data = {"username": WALIDATA, "password": PASSWORDS[WALIDATA], "csrf_token": token_of(walidata)}
    assert walidata.post("/masuk", data=data).status_code == 302
    answers = [
        ("GET", "/tidak-ada-halaman-ini", 404, 404),
        ("GET", "/dasbor/wilayah/35.78.99.9999.999.999", 302, 404),
        ("GET", "/keluar", 405, 405),
        ("GET", "/_test/boom", 500, 500),
        ("POST", "/keluar", 400, 400),  # no CSRF token
    ]
    for method, path, public_status, signed_in_status in answers:
        for client, private, status in (
            (anonymous, False, public_status),
            (walidata, True, signed_in_status),
        ):
            response = client.open(path, method=method)
            assert response.status_code == status, (path, private)
            assert_headers(response, private=private)
    # 429: the address limit is one failed attempt an hour.
    attempt = {
        "username": RT_HEAD,
        "password": "tebakan-yang-salah",
        "csrf_token": token_of(anonymous),
    }
    assert anonymous.post("/masuk", data=attempt).status_code == 200
    throttled = anonymous.post("/masuk", data=attempt)
    assert throttled.status_code == 429
    assert_headers(throttled, private=False)


def test_wb02_production_adds_hsts_everywhere(engine, db):
    app = make_app(engine, db, ENV_NAME="production", SECRET_KEY=STRONG_KEY)
    client = app.test_client()
    for path in ("/", f"/wilayah/{RT_A}", "/masuk", "/healthz", "/tidak-ada"):
        response = client.get(path, base_url="https://localhost")
        assert_headers(response, private=False, production=True)
    response = login(client, RT_HEAD, PASSWORDS[RT_HEAD])
    assert response.status_code == 302
    for path in ("/dasbor/", f"/dasbor/wilayah/{RT_A}", f"/dasbor/wilayah/{RT_A}/data.csv"):
        response = client.get(path, base_url="https://localhost")
        assert response.status_code in (200, 302)
        assert_headers(response, private=True, production=True)


# --- WB-06 errors and configuration hardening ---------------------------------------------


def test_wb06_the_500_page_shows_an_incident_number_and_nothing_else(engine, db, caplog):
    app = make_app(engine, db)
    detail = "secret-detail-" + secrets.token_hex(6)

    @app.get("/_test/boom")
    @public
    def boom():
        raise RuntimeError(f"SELECT password_hash FROM user_account -- {detail}")

    caplog.set_level(logging.INFO)
    response = app.test_client().get("/_test/boom")
    assert response.status_code == 500
    body = response.text
    for leak in ("Traceback", 'File "', ".py", "/work/", "site-packages", "RuntimeError"):
        assert leak not in body, leak
    assert detail not in body and "SELECT" not in body and "user_account" not in body
    incidents = set(re.findall(r"\b[0-9a-f]{12}\b", body))
    assert len(incidents) == 1, incidents
    incident = incidents.pop()
    logged = [record for record in caplog.records if incident in record.getMessage()]
    assert logged and logged[0].levelno >= logging.ERROR
    assert logged[0].exc_info is not None  # the details are in the log, not on the page
    assert_headers(response, private=False)


def test_wb06_production_has_debug_off_and_no_debugger(monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": STRONG_KEY,
            "DATABASE_URL": "sqlite://",
            "DEBUG": True,
        }
    )
    assert app.debug is False
    assert app.config["DEBUG"] is False
    assert not isinstance(app.wsgi_app, DebuggedApplication)
    response = app.test_client().get("/console")
    assert response.status_code == 404
    assert b"Werkzeug" not in response.data and b"debugger" not in response.data.lower()
    app.extensions["db_engine"].dispose()


@pytest.mark.parametrize("production", [False, True])
def test_wb06_a_foreign_host_is_refused(engine, db, production):
    config = {"ENV_NAME": "production", "SECRET_KEY": STRONG_KEY} if production else {}
    client = make_app(engine, db, **config).test_client()
    assert client.get("/", headers={"Host": "localhost"}).status_code == 200
    try:
        response = client.get("/", headers={"Host": "evil.example"})
    except Exception as error:  # the test client re-raises what the app could not handle
        pytest.fail(f"Host: evil.example was not answered with 400 but raised {error!r}")
    assert response.status_code == 400
    assert b"evil.example" not in response.data
    assert_headers(response, private=False, production=production)


def test_a_post_from_another_origin_is_refused_even_with_a_valid_token(engine, db):
    client = make_app(engine, db, WTF_CSRF_ENABLED=True).test_client()
    client.get("/masuk")
    data = {"csrf_token": token_of(client), "username": "x", "password": "y"}
    refused = client.post("/masuk", data=data, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 400
    same_site = client.post("/masuk", data=data, headers={"Origin": "http://localhost"})
    assert same_site.status_code == 200  # the form answers (wrong password), not a 400
