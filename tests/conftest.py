"""Shared fixtures: a migrated database per run, a rolled-back transaction per test.

The database is SQLite in a temporary folder, or PostgreSQL when TEST_DATABASE_URL
is set. With REQUIRE_POSTGRES=1 (CI) a missing PostgreSQL fails the run instead of
skipping.
"""

import os
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from transparency import create_app
from transparency.config import database_url
from transparency.db import make_engine, upgrade
from transparency.services import demo

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed"
SAMPLES = ROOT.parent / "shared" / "samples"
DEMO_KELURAHAN = ("35.78.03.1005", "35.78.05.1005", "35.78.12.1006")


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


@pytest.fixture
def session(engine):
    """A session whose work is rolled back after the test, commits included."""
    connection = engine.connect()
    transaction = connection.begin()
    db_session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield db_session
    db_session.close()
    transaction.rollback()
    connection.close()


@pytest.fixture
def app(engine, session):
    """The app, configured for tests, reading and writing through the test session."""
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": str(engine.url)}
    )
    app.extensions["db_engine"].dispose()
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = lambda: session
    return app


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
def demo_city(session, tmp_path):
    """The demo seeded on three kelurahan (both Wonorejo and Tanjung Perak)."""
    demo.seed_demo(session, SEED, register_subset(tmp_path / "register.csv"))
    session.commit()
    return session
