"""The canonical forms of RT/RW numbers, kelurahan codes, counts and names."""

import unicodedata

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


# --- invisible characters and Unicode variants (SS-01) ------------------------------------

NBSP, NARROW_NBSP, ZWSP, ZWNJ, ZWJ, WORD_JOINER, BOM, SOFT_HYPHEN = (
    "\u00a0",
    "\u202f",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"001{NBSP}", "001"),
        (f"{NBSP}001", "001"),
        (f"RT{NBSP}001", "001"),
        (f"001{NARROW_NBSP}", "001"),
        (f"001{ZWSP}", "001"),
        (f"{ZWSP}001", "001"),
        (f"0{ZWSP}01", "001"),  # pasted from a web page: invisible, so not a reason to refuse
        (f"R{ZWSP}T 01", "001"),
        (f"{BOM}001", "001"),
        (f"00{SOFT_HYPHEN}1", "001"),
        (f"0{ZWNJ}0{ZWJ}1{WORD_JOINER}", "001"),
        ("\u200e001\u200f", "001"),  # left-to-right and right-to-left marks
        ("００１", "001"),  # full-width digits
        ("ＲＴ　００１", "001"),  # full-width letters, ideographic space
        (f"ＲＷ.{NBSP}０１{ZWSP}", "001"),
        ("\U0001d7ce\U0001d7ce\U0001d7cf", "001"),  # mathematical bold digits
    ],
)
def test_area_number_reads_invisible_characters_and_full_width_digits_as_the_same_rt(
    value, expected
):
    assert area_number(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "٠٠١",  # Arabic-Indic digits: digits, but not ones Excel users type for an RT
        "०१",  # Devanagari
        f"0{NBSP}01",  # a visible gap between digits: which number was meant?
        "0\u300001",
        "1\u20e3",  # a keycap: not a plain digit
    ],
)
def test_area_number_rejects_other_digits_and_gaps_never_guesses(value):
    assert area_number(value) is None


# Invisible characters a cell picks up from web pages, PDFs and Word (format characters
# and spaces of every width), and each ASCII character's Unicode variants: the characters
# that NFKC folds to it (full-width, mathematical, circled, superscript …).
_INVISIBLE = (
    NBSP,
    NARROW_NBSP,
    ZWSP,
    ZWNJ,
    ZWJ,
    WORD_JOINER,
    BOM,
    SOFT_HYPHEN,
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202c",
    "\u2066",
    "\u2069",
    "\u2007",
    "\u2009",
    "\u3000",
    "\u180e",
    "\U000e0041",  # a tag character
)
_VARIANTS: dict[str, list[str]] = {}
for _point in [
    *range(0x80, 0x3400),
    *range(0xFF00, 0xFFF0),
    *range(0x1D400, 0x1D800),
    *range(0x1F100, 0x1F110),
]:
    _folded = unicodedata.normalize("NFKC", chr(_point))
    if len(_folded) == 1 and _folded.isascii():
        _VARIANTS.setdefault(_folded, []).append(chr(_point))


@st.composite
def _disguised(draw, spellings) -> tuple[str, str]:
    """A valid spelling, and the same with invisible characters inserted and characters
    swapped for their variants."""
    valid = draw(spellings)
    text = list(valid)
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()) and text:
            at = draw(st.integers(0, len(text) - 1))
            if text[at] in _VARIANTS:
                text[at] = draw(st.sampled_from(_VARIANTS[text[at]]))
        else:
            text.insert(draw(st.integers(0, len(text))), draw(st.sampled_from(_INVISIBLE)))
    return valid, "".join(text)


_RT_SPELLINGS = st.builds(
    lambda n, form: form.format(n=n),
    st.integers(1, 999),
    st.sampled_from(
        ["{n}", "{n:03d}", "RT {n:02d}", "RT.{n:03d}", "RW. {n}", "NO. RT {n}", "{n}.0"]
    ),
)


@given(_disguised(_RT_SPELLINGS))
@settings(max_examples=500, database=None)
def test_a_disguised_rt_number_is_the_same_rt_or_none_never_another(pair):
    valid, disguised = pair
    assert area_number(disguised) in (area_number(valid), None)


_KELURAHAN_SPELLINGS = st.sampled_from(["35.78.07.1002", "3578071002", "35.78.03.1005"])


@given(_disguised(_KELURAHAN_SPELLINGS))
@settings(max_examples=300, database=None)
def test_a_disguised_kelurahan_code_is_the_same_code_or_none_never_another(pair):
    valid, disguised = pair
    assert kelurahan_code(disguised) in (kelurahan_code(valid), None)


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
