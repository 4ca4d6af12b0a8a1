"""The password policy (ASVS 6.2): length, not common, not repetitive, not contextual."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transparency.password_policy import (
    MAX_LENGTH,
    MIN_LENGTH,
    check_password,
    common_passwords,
)

# The words password_context gives for the demo ketua RT's area, as the brief names them.
CONTEXT = ("rt.35.78.03.1005.001.001", "Wonorejo", "RT 001")
KNOWN_CODES = {"password.common", "password.repetitive", "password.contextual"}


def test_limits():
    assert (MIN_LENGTH, MAX_LENGTH) == (10, 128)


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        # length
        ("", ["password.too_short"]),
        ("kopisusu9", ["password.too_short"]),  # 9 characters
        ("kopisusu9!", []),  # exactly 10
        ("😀" * 9, ["password.too_short"]),  # length counts characters, not bytes
        ("kopi" + "x1y2z3" * 20 + "abcd", []),  # exactly 128
        ("kopi" + "x1y2z3" * 20 + "abcde", ["password.too_long"]),  # 129
        ("a" * 129, ["password.too_long"]),  # length is checked before anything else
        ("password" * 20, ["password.too_long"]),
        # common: every one of these is at least 10 characters, so reaches the check
        ("password1234", ["password.common"]),  # 12
        ("qwertyuiop", ["password.common"]),  # 10
        ("bismillah123", ["password.common"]),  # 12
        ("surabaya123", ["password.common"]),  # 11
        ("Password1234", ["password.common"]),  # case does not help
        ("SURABAYA2026", ["password.common"]),
        ("surabaya-123", ["password.common"]),  # nor punctuation
        ("bismillah 1234", ["password.common"]),  # nor spaces
        # repetitive
        ("aaaaaaaaaaaa", ["password.common"]),  # also in the common list, which comes first
        ("abababababab", ["password.repetitive"]),
        ("zzzyyyzzzyyyzzz", ["password.repetitive"]),
        ("abcabcabcabc", ["password.repetitive"]),
        ("!!!!!!!!!!!!", ["password.repetitive"]),
        ("abcdabcdabcd", []),  # four different characters are enough
        # contextual
        ("wonorejo2026!!", ["password.contextual"]),
        ("WONOREJO-jaya", ["password.contextual"]),
        ("Wonorejo Indah Sekali", ["password.contextual"]),
        ("rt001-rw001-x", ["password.contextual"]),
        ("rt98765432", ["password.contextual"]),  # "RT" plus other digits
        ("rt.35.78.03.1005.001.001", ["password.contextual"]),
        # accepted
        ("kampung hijau berseri 🌴 di tepi kali", []),
        ("tanjung perak 2026", []),
        ("kopi susu 42 senja", []),
    ],
)
def test_policy_table(password, expected):
    assert check_password(password, CONTEXT) == expected


@pytest.mark.parametrize("password", ["password1234", "qwertyuiop", "bismillah123", "surabaya123"])
def test_the_common_examples_are_in_the_list_and_long_enough(password):
    assert len(password) >= MIN_LENGTH
    assert password in common_passwords()


def test_common_list_holds_zxcvbn_and_the_indonesian_additions():
    common = common_passwords()
    assert len(common) > 30_000
    assert {"bismillah123", "surabaya2026", "pemkotsurabaya", "password"} <= common
    assert all(word == word.lower() for word in common)


def test_without_context_nothing_is_contextual():
    assert check_password("wonorejo2026!!") == []
    assert check_password("wonorejo2026!!", ()) == []


@pytest.mark.parametrize("word", ["", "RT", "a.b", "!!"])
def test_context_words_shorter_than_three_letters_or_digits_are_ignored(word):
    assert check_password("rt-kopisusu-ab", (word,)) == []


def test_only_one_problem_is_reported():
    # Common, repetitive-looking and contextual at once: the first rule wins.
    assert check_password("surabaya2026", ("Surabaya",)) == ["password.common"]
    assert check_password("wowowowowowo", ("wowo",)) == ["password.repetitive"]


def test_passphrase_with_spaces_and_emoji_is_accepted_with_context():
    assert check_password("Ke pasar naik sepeda 🚲 tiap Minggu pagi", CONTEXT) == []


# --- bugs found: these assert the correct behaviour -------------------------------------


def test_all_digit_password_is_not_contextual_when_a_context_word_is_all_digits():
    # password_context adds each area code segment ("1005", "001"): a digit-only word.
    # A random digit password that does not contain it is not built from it.
    assert check_password("7391046285", ("1005",)) == []
    assert check_password("7391100546", ("1005",)) == ["password.contextual"]


def test_many_different_symbols_are_not_repetitive():
    # Ten different emoji: the message "repeats too few different characters" is untrue.
    assert check_password("😀😁😂🤣😃😄😅😆😉😊", CONTEXT) == []


# --- property ---------------------------------------------------------------------------

letters_and_digits = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Lt", "Lm", "Lo", "Nd")),
    min_size=MIN_LENGTH,
    max_size=MAX_LENGTH,
)
ascii_letters_and_digits = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    min_size=MIN_LENGTH,
    max_size=MAX_LENGTH,
)


@settings(max_examples=300, deadline=None)
@given(password=st.one_of(letters_and_digits, ascii_letters_and_digits))
def test_any_letters_and_digits_of_allowed_length_pass_or_give_one_known_code(password):
    for context in (CONTEXT, ()):
        problems = check_password(password, context)
        assert problems == [] or (len(problems) == 1 and problems[0] in KNOWN_CODES), problems
