"""The canonical forms of RT/RW numbers, kelurahan codes, counts and names."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transparency.codes import area_number, count, kelurahan_code, name_key


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "001"),
        ("1", "001"),
        ("01", "001"),
        ("001", "001"),
        ("RT 01", "001"),
        ("RT.001", "001"),
        ("RW. 1", "001"),
        ("rt 01", "001"),
        ("NO. RT 01", "001"),
        (1.0, "001"),
        ("1.0", "001"),
        ("００１", "001"),
        (" 1 ", "001"),
        ("  RT   01  ", "001"),
        ("\t001\n", "001"),
        (12, "012"),
        ("RW 12", "012"),
        (999, "999"),
        ("999", "999"),
    ],
)
def test_area_number_accepts_the_spellings_departments_use(value, expected):
    assert area_number(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "0",
        0,
        "000",
        "1000",
        1000,
        "abc",
        "",
        "   ",
        "-1",
        -1,
        "1.5",
        1.5,
        None,
        "RT",
        "RT satu",
        "1 2",
        True,
    ],
)
def test_area_number_rejects_what_is_not_a_number_from_1_to_999(value):
    assert area_number(value) is None


def test_area_number_width_two_allows_up_to_99():
    assert area_number("RW 7", width=2) == "07"
    assert area_number(100, width=2) is None


@given(st.integers(min_value=1, max_value=999))
@settings(database=None)
def test_area_number_property_every_spelling_of_n_gives_the_same_code(n):
    expected = f"{n:03d}"
    assert area_number(n) == expected
    assert area_number(str(n)) == expected
    assert area_number(f"RT {n:02d}") == expected


def test_area_number_every_n_from_1_to_999():
    wrong = [
        n
        for n in range(1, 1000)
        if {area_number(n), area_number(str(n)), area_number(f"RT {n:02d}")} != {f"{n:03d}"}
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("35.78.07.1002", "35.78.07.1002"),
        (" 35.78.07.1002 ", "35.78.07.1002"),
        ("35.78.07. 1002", "35.78.07.1002"),
        ("3578071002", "35.78.07.1002"),
        (3578071002, "35.78.07.1002"),
        (3578071002.0, "35.78.07.1002"),
        ("３５７８０７１００２", "35.78.07.1002"),
    ],
)
def test_kelurahan_code_dotted_or_plain(value, expected):
    assert kelurahan_code(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "3578071002.5",
        3578071002.5,
        "3578071002.0.1",
        "35.78.07.1002.0",
        "1e9",
        "357807100",  # nine digits
        357807100,
        "35780710021",  # eleven digits
        "35.78.07.100",
        "35-78-07-1002",
        "abc",
        "",
        None,
    ],
)
def test_kelurahan_code_rejects_what_is_not_a_code(value):
    assert kelurahan_code(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (12, 12),
        (12.0, 12),
        (0.0, 0),
        ("12", 12),
        (" 12 ", 12),
        ("1.234", 1234),
        ("12.345.678", 12345678),
        ("1 234", 1234),
        ("12,0", 12),
        ("１２", 12),
    ],
)
def test_count_reads_whole_non_negative_numbers(value, expected):
    result = count(value)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    "value",
    ["-3", -3, -3.0, 2.5, "2,5", "1.23", "abc", "", None, True, False],
)
def test_count_rejects_negatives_fractions_text_and_booleans(value):
    assert count(value) is None


@pytest.mark.parametrize(
    "value",
    [1e308, 1e12, 10**9, 3e9, 10**400, float("inf"), float("-inf"), float("nan"), "NaN", "inf"],
)
def test_count_rejects_numbers_no_rt_holds_and_no_column_takes(value):
    # SS-08: a numeric cell of 1e308 became a 309-digit count and crashed the commit.
    assert count(value) is None


@given(st.integers() | st.floats(allow_nan=True, allow_infinity=True))
def test_count_of_any_number_is_none_or_a_count_below_the_cap(number):
    value = count(number)
    assert value is None or (type(value) is int and 0 <= value < 10**9)
    if value is not None:
        assert value == number


@pytest.mark.parametrize("digits", [10, 40_000])
def test_a_count_or_rt_number_longer_than_any_real_one_is_not_a_number(digits):
    # int() refuses more than 4,300 digits: a 40,000-character cell must be a row error,
    # never a crash of the import (SZ-02, SS-08).
    assert count("7" * digits) is None
    assert area_number("1" * digits) is None


@given(st.text(max_size=60) | st.from_regex(r"[0-9.,\s-]{0,6000}", fullmatch=True))
def test_count_and_area_number_never_raise(text):
    value = count(text)
    assert value is None or (type(value) is int and 0 <= value < 10**9)
    number = area_number(text)
    assert number is None or (len(number) == 3 and number.isdigit())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Kel. Wonorejo", "WONOREJO"),
        ("  kapas   madya baru ", "KAPAS MADYA BARU"),
        ("KELURAHAN Tegalsari", "TEGALSARI"),
        ("kel wonorejo", "WONOREJO"),
        ("Kec. Rungkut", "RUNGKUT"),
        ("Perak Utara", "PERAK UTARA"),
        ("Kelurahanbaru", "KELURAHANBARU"),
        ("", ""),
        (None, ""),
    ],
)
def test_name_key_folds_case_prefix_and_spaces(value, expected):
    assert name_key(value) == expected
