"""The migrations build exactly the models' schema, and the database enforces its rules."""

import os
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from transparency.models import Area, AreaLevel, Figure, Frequency, Indicator, Period


def test_migrations_produce_the_models_schema(engine):
    """Autogenerate finds nothing to do after ``upgrade head`` (on this run's database)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


@pytest.mark.postgres
def test_suite_runs_on_postgresql(engine):
    """Tells whether this run covered PostgreSQL; CI requires that it did."""
    if engine.dialect.name != "postgresql":
        message = (
            "PostgreSQL not tested: set TEST_DATABASE_URL=postgresql://… (CI does, see .ci/run)"
        )
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    assert engine.dialect.server_version_info >= (13,)


def _rejects(session, row) -> bool:
    """True if the database refuses the row (the test's work is kept by a savepoint)."""
    savepoint = session.begin_nested()
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        return True
    savepoint.rollback()
    return False


def _kelurahan(session) -> Area:
    return session.exec(select(Area).where(Area.code == "35.78.07.1002")).one()


def test_negative_households_are_refused(session):
    parent = _kelurahan(session)
    rw = Area(
        code="35.78.07.1002.001",
        level=AreaLevel.RW,
        name="RW 001",
        parent_id=parent.id,
        path="35.78.07.1002.001",
        households=-1,
    )
    assert _rejects(session, rw)


def test_duplicate_area_code_is_refused(session):
    parent = _kelurahan(session)
    twin = Area(
        code=parent.code,
        level=AreaLevel.RW,
        name="twin",
        parent_id=parent.id,
        path=parent.code + ".999",
    )
    assert _rejects(session, twin)


def test_foreign_keys_are_enforced(session):
    orphan = Area(
        code="35.78.07.1002.777",
        level=AreaLevel.RW,
        name="RW 777",
        parent_id=999_999,
        path="35.78.07.1002.777",
    )
    assert _rejects(session, orphan)


def test_unknown_level_is_refused(session):
    parent = _kelurahan(session)
    bad = Area(
        code="35.78.07.1002.888",
        level=AreaLevel.RW,
        name="x",
        parent_id=parent.id,
        path="35.78.07.1002.888",
    )
    bad.level = "dusun"
    assert _rejects(session, bad)


def test_negative_figure_is_refused(session):
    indicator = session.exec(select(Indicator).where(Indicator.code == "kk_gamis")).one()
    period = Period(
        code="2026-10",
        frequency=Frequency.MONTHLY,
        starts_on=date(2026, 10, 1),
        ends_on=date(2026, 10, 31),
    )
    session.add(period)
    session.flush()
    figure = Figure(
        area_id=_kelurahan(session).id,
        indicator_id=indicator.id,
        period_id=period.id,
        upload_id=999_999,
        value=-3,
        kelurahan_id=_kelurahan(session).id,
    )
    assert _rejects(session, figure)
