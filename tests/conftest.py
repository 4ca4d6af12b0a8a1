"""Shared fixtures: a migrated database per run, a rolled-back transaction per test.

The database is SQLite in a temporary folder, or PostgreSQL when TEST_DATABASE_URL
is set. With REQUIRE_POSTGRES=1 (CI) a missing PostgreSQL fails the run instead of
skipping.
"""

import os
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from transparency import create_app
from transparency.access import Scope, build_scope
from transparency.config import database_url
from transparency.db import make_engine, upgrade
from transparency.models import Area, Figure, Indicator, Period, Role, User
from transparency.passwords import hash_password
from transparency.services import demo

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed"
SAMPLES = ROOT / "samples"
DEMO_KELURAHAN = ("35.78.03.1005", "35.78.05.1005", "35.78.12.1006")
SAMPLE_KELURAHAN = (  # the six kelurahan of the sample department files
    "35.78.03.1005",
    "35.78.05.1005",
    "35.78.07.1002",
    "35.78.10.1007",
    "35.78.12.1006",
    "35.78.29.1003",
)


def pytest_report_header(config):
    """Say which database the run uses."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return f"database: PostgreSQL {url}"
    return "database: SQLite (set TEST_DATABASE_URL=postgresql://… to run on PostgreSQL)"


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    """A freshly migrated database with the city tree and catalogue committed."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = database_url(url, "")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(engine)
    with Session(engine) as session:
        demo.load_city(session, SEED)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def seeded_connection(engine, tmp_path_factory, request):
    """For modules marked ``demo_once``: the demo city, seeded once in a transaction that is
    never committed (each test works in a savepoint of it). A module may name the kelurahan
    to register in ``DEMO_KELURAHAN`` (default: both Wonorejo and Tanjung Perak)."""
    kelurahan = getattr(request.module, "DEMO_KELURAHAN", DEMO_KELURAHAN)
    connection = engine.connect()
    transaction = connection.begin()
    register = register_subset(tmp_path_factory.mktemp("seed") / "r.csv", kelurahan)
    with Session(bind=connection, join_transaction_mode="create_savepoint") as seeding:
        demo.seed_demo(seeding, SEED, register)
        seeding.commit()
    yield connection
    transaction.rollback()
    connection.close()


@pytest.fixture
def session(engine, request):
    """A session whose work is rolled back after the test, commits included.

    In a module marked ``demo_once`` it sits on the module's seeded demo city; otherwise
    on the bare city tree.
    """
    if request.node.get_closest_marker("demo_once"):
        connection = request.getfixturevalue("seeded_connection")
        transaction = connection.begin_nested()
    else:
        connection = engine.connect()
        transaction = connection.begin()
    db_session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield db_session
    db_session.close()
    if transaction.is_active:
        transaction.rollback()
    if not request.node.get_closest_marker("demo_once"):
        connection.close()


def make_app(engine, session, **overrides):
    """An app configured for tests, reading and writing through the test session."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": str(engine.url),
        "WTF_CSRF_ENABLED": False,  # csrf_app turns it on
        "IMPORT_IN_PROCESS": True,  # tests/test_import_worker.py runs the child process
        **overrides,
    }
    app = create_app(config)
    app.extensions["db_engine"].dispose()
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = lambda: session
    return app


@pytest.fixture
def app(engine, session):
    """The app for tests, CSRF protection off so that forms can be posted directly."""
    return make_app(engine, session)


@pytest.fixture
def csrf_app(engine, session):
    """The app with CSRF protection on, as in production."""
    return make_app(engine, session, WTF_CSRF_ENABLED=True)


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


def register_subset(path: Path, kelurahan: tuple[str, ...] = DEMO_KELURAHAN) -> Path:
    """Write the seed register limited to some kelurahan, as a CSV at ``path``."""
    lines = (SEED / "register_rt_rw_2026.csv").read_text(encoding="utf-8").splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.split(",")[0] in kelurahan]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def demo_city(session, tmp_path, request):
    """The demo seeded on three kelurahan (both Wonorejo and Tanjung Perak)."""
    if not request.node.get_closest_marker("demo_once"):
        demo.seed_demo(session, SEED, register_subset(tmp_path / "register.csv"))
        session.commit()
    return session


# --- accounts, canaries and sign-in helpers -------------------------------------------

RT_A = "35.78.03.1005.001.001"  # the demo ketua RT's own RT
RT_B = "35.78.03.1005.001.002"  # another RT of the same RW
RT_C = "35.78.05.1005.001.001"  # an RT of the other Wonorejo (Tegalsari)
CANARY_B = 97531  # planted in RT B: shown as "97531" or "97.531" / "97,531"
CANARY_C = 86420  # planted in RT C


def canary_forms(value: int) -> tuple[str, ...]:
    """Every way a canary figure could be written in a response."""
    return (str(value), f"{value:,}", f"{value:,}".replace(",", "."))


def assert_no_canary(body: bytes | str, *values: int) -> None:
    """Fail if any canary figure appears in the body, in any number format."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    for value in values:
        for form in canary_forms(value):
            assert form not in text, f"canary {form} leaked"


@dataclass(frozen=True)
class Canaries:
    """Codes and values planted for the access tests."""

    rt_a: str = RT_A
    rt_b: str = RT_B
    rt_c: str = RT_C
    value_b: int = CANARY_B
    value_c: int = CANARY_C


@pytest.fixture
def canaries(demo_city) -> Canaries:
    """The demo city with unmistakable figures in RT B and RT C (latest kk_gamis)."""
    session = demo_city
    for code, value in ((RT_B, CANARY_B), (RT_C, CANARY_C)):
        area = session.exec(select(Area).where(Area.code == code)).one()
        figure = session.exec(
            select(Figure)
            .join(Indicator, Indicator.id == Figure.indicator_id)
            .join(Period, Period.id == Figure.period_id)
            .where(
                Figure.area_id == area.id, Indicator.code == "kk_gamis", Period.code == "2026-10"
            )
        ).one()
        figure.value = value
        session.add(figure)
    session.commit()
    return Canaries()


PASSWORDS = {account.username: account.password for account in demo.DEMO_ACCOUNTS}
EXTRA_PASSWORD = "kampung-hijau-berseri-9"


EXTRA_ACCOUNTS = {  # key → (username, role, area code or None, active)
    "deactivated": ("rt.deactivated", Role.KETUA_RT, RT_A, False),
    "no_area": ("rt.noarea", Role.KETUA_RT, None, True),
    "wrong_level": ("lurah.wronglevel", Role.LURAH, RT_A, True),
}


def add_extra_accounts(session) -> None:
    """A deactivated ketua RT, a ketua RT with no area and a lurah whose area is an RT
    (those not there yet)."""
    existing = set(session.exec(select(User.username)).all())
    missing = [spec for spec in EXTRA_ACCOUNTS.values() if spec[0] not in existing]
    password_hash = hash_password(EXTRA_PASSWORD) if missing else ""
    for username, role, area_code, active in missing:
        area = session.exec(select(Area).where(Area.code == area_code)).one() if area_code else None
        session.add(
            User(
                username=username,
                role=role,
                area_id=area.id if area else None,
                active=active,
                must_change_password=False,
                password_hash=password_hash,
            )
        )
        PASSWORDS[username] = EXTRA_PASSWORD
    session.flush()


@pytest.fixture
def accounts(demo_city, request) -> dict[str, User]:
    """The demo accounts plus the extra ones (see ``add_extra_accounts``), by username."""
    add_extra_accounts(demo_city)
    demo_city.commit()
    return {u.username: u for u in demo_city.exec(select(User))}


def login(client, username: str, password: str | None = None, remember: bool = False):
    """Sign in through the form (CSRF off in the default app); returns the response."""
    data = {"username": username, "password": password or PASSWORDS[username]}
    if remember:
        data["remember"] = "y"
    return client.post("/masuk", data=data)


@pytest.fixture(autouse=True, scope="session")
def _instance_folder(tmp_path_factory):
    """Apps made without a key in tests (the import job's child process too) keep their
    instance files (``secret_key``) in a temporary folder, not in the repository's."""
    previous = os.environ.get("TRANSPARENCY_INSTANCE_PATH")
    os.environ["TRANSPARENCY_INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    yield
    if previous is None:
        os.environ.pop("TRANSPARENCY_INSTANCE_PATH", None)
    else:
        os.environ["TRANSPARENCY_INSTANCE_PATH"] = previous


@pytest.fixture(autouse=True, scope="session")
def _end_import_jobs():
    """Import jobs that tests started through the web (``/unggah``) and did not wait for are
    ended with the test run, not left working on a database that is gone."""
    yield
    from transparency.views import uploads

    for child in uploads._CHILDREN:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)  # the job and the process it forked
            child.wait(timeout=10)


def walidata_scope(session) -> tuple[User, Scope]:
    """The demo walidata's account and scope (the whole city), for service calls."""
    user = session.exec(select(User).where(User.username == "walidata")).one()
    scope = build_scope(
        user_id=user.id,
        role="walidata",
        active=True,
        area_path="35.78",
        area_level="kota",
        department_id=None,
        city_path="35.78",
    )
    return user, scope
