"""Subtree queries by path are separator-aware: `…005` never matches `…0050`."""

import pytest
from sqlmodel import select

from transparency.areas import child_path, descendant_range, is_in_subtree
from transparency.models import Area, AreaLevel
from transparency.queries import below, in_subtree


@pytest.mark.parametrize(
    ("path", "root", "inside"),
    [
        ("35.78.07.1002.005", "35.78.07.1002.005", True),
        ("35.78.07.1002.005.003", "35.78.07.1002.005", True),
        ("35.78.07.1002.0050", "35.78.07.1002.005", False),
        ("35.78.07.1002.0050.001", "35.78.07.1002.005", False),
        ("35.78.07.1002.006.001", "35.78.07.1002.005", False),
        ("35.78.07.1002", "35.78.07.1002.005", False),
        ("35.78.07.10020", "35.78.07.1002", False),
        ("35.78.07.1002.001.001", "35.78", True),
    ],
)
def test_is_in_subtree(path, root, inside):
    assert is_in_subtree(path, root) is inside


def test_descendant_range_is_half_open_on_the_separator():
    assert descendant_range("35.78.07") == ("35.78.07.", "35.78.07/")


def test_child_path_must_extend_the_parent():
    assert child_path("35.78.07", "35.78.07.1002") == "35.78.07.1002"
    with pytest.raises(ValueError):
        child_path("35.78.07", "35.78.070.1002")


def test_sql_subtree_is_separator_aware(session):
    kelurahan = session.exec(select(Area).where(Area.code == "35.78.07.1002")).one()
    codes = ["35.78.07.1002.005", "35.78.07.1002.0050", "35.78.07.1002.006"]
    for code in codes:
        session.add(
            Area(code=code, level=AreaLevel.RW, name=code, parent_id=kelurahan.id, path=code)
        )
    session.flush()
    rw5 = session.exec(select(Area).where(Area.code == "35.78.07.1002.005")).one()
    for code, rt_parent in [("35.78.07.1002.005.001", rw5), ("35.78.07.1002.005.010", rw5)]:
        session.add(
            Area(
                code=code,
                level=AreaLevel.RT,
                name=code,
                parent_id=rt_parent.id,
                path=code,
                households=10,
                residents=30,
            )
        )
    session.flush()

    def found(predicate):
        return sorted(session.exec(select(Area.code).where(predicate)).all())

    assert found(in_subtree(Area.path, "35.78.07.1002.005")) == [
        "35.78.07.1002.005",
        "35.78.07.1002.005.001",
        "35.78.07.1002.005.010",
    ]
    assert found(below(Area.path, "35.78.07.1002.005")) == [
        "35.78.07.1002.005.001",
        "35.78.07.1002.005.010",
    ]
    assert "35.78.07.1002.0050" not in found(in_subtree(Area.path, "35.78.07.1002.005"))
