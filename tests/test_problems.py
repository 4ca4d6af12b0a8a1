"""Problems grouped for the report (``transparency.problems.grouped``): the same sentence in
the same column on many rows is one entry; rows wrong for their own reasons come first."""

from transparency.problems import Problem, grouped


def bad_count(row: int, value: str = "tiga") -> Problem:
    return Problem("import.bad_count", row=row, column="E", value=value, sheet="Data")


def test_the_same_problem_in_the_same_column_on_many_rows_is_one_entry_after_the_others():
    hidden = Problem("import.hidden_sheets", severity="warning", params={"sheets": '"Lama"'})
    rows = [bad_count(row) for row in (*range(8, 7704), 7710, 7712)]
    own = [
        bad_count(20, "-1"),
        Problem("import.unknown_category", row=30, column="K", value="X", sheet="Data"),
    ]
    listed = grouped([hidden, *rows[:100], own[1], *rows[100:], own[0]])
    assert listed == [
        hidden,
        bad_count(20, "-1"),
        own[1],
        Problem(
            "import.bad_count",
            row=8,
            column="E",
            value="tiga",
            sheet="Data",
            count=7698,
            ranges=((8, 7703), (7710, 7710), (7712, 7712)),
        ),
    ]


def test_one_row_stays_one_row_and_another_column_is_another_entry():
    other_column = Problem("import.bad_count", row=9, column="F", value="tiga", sheet="Data")
    listed = grouped([bad_count(8), other_column, bad_count(10)])
    assert listed == [
        other_column,
        Problem(
            "import.bad_count",
            row=8,
            column="E",
            value="tiga",
            sheet="Data",
            count=2,
            ranges=((8, 8), (10, 10)),
        ),
    ]


def test_a_group_names_its_first_ten_ranges_and_counts_every_row():
    rows = [bad_count(row) for row in range(2, 60, 2)]  # 29 rows, none adjacent
    (group,) = grouped(rows)
    assert (group.count, len(group.ranges), group.ranges[-1]) == (29, 10, (20, 20))
