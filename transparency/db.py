"""One engine per app, one session per request, and the ``flask db`` commands.

Services receive the session as an argument; only views and CLI call
``get_session()``.
"""

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from flask.cli import AppGroup
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout on every connection."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    kwargs: dict = {"connect_args": {"timeout": 30}}
    if url in ("sqlite://", "sqlite:///:memory:"):
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN"))
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Turn on what SQLite leaves off, and let SQLAlchemy own transactions (savepoints work)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    """Create the app's engine, close sessions after each request, add the CLI group."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = lambda: Session(engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)
    app.cli.add_command(db_cli)


def get_engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["db_engine"]


def get_session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    """Roll back anything uncommitted and close the request's session."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that migrates the given engine, without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


@click.group("db", cls=AppGroup)
def db_cli() -> None:
    """Database schema commands."""


@db_cli.command("upgrade")
def upgrade_command() -> None:
    """Apply all migrations."""
    upgrade(get_engine())
    click.echo("Database is up to date.")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def revision_command(message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    command.revision(alembic_config(get_engine()), message=message, autogenerate=True)
