"""The password policy (ASVS 6.2): length, not common, not the account's own context.

Pure. ``check_password`` returns problem codes; the edge turns them into sentences.
No composition rules: a long passphrase beats ``P@ssw0rd``.
"""

import re
import unicodedata
from functools import cache
from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 10
MAX_LENGTH = 128
COMMON_FILE = Path(__file__).resolve().parent / "data" / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """Passwords too common to allow: zxcvbn's 30,000 plus Indonesian favourites."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    ours = {line.strip().lower() for line in lines if line.strip()}
    return frozenset(ours | {word.lower() for word in FREQUENCY_LISTS["passwords"]})


def _fold(text: str) -> str:
    """Lower case, NFKC, letters and digits only: `RT.001 / RW 05` → `rt001rw05`."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())


def check_password(password: str, context: tuple[str, ...] = ()) -> list[str]:
    """Problem codes for a new password; empty when it is acceptable.

    ``context`` holds words the password must not be built from: the username, the
    person's name, the area's name and number (``RT 001``, ``Wonorejo``).
    """
    length = len(password)
    if length < MIN_LENGTH:
        return ["password.too_short"]
    if length > MAX_LENGTH:
        return ["password.too_long"]
    folded = _fold(password)
    if password.lower() in common_passwords() or folded in common_passwords():
        return ["password.common"]
    if len(set(password.replace(" ", ""))) < 4:
        return ["password.repetitive"]
    for word in context:
        word_folded = _fold(word)
        letters = _strip_digits(word_folded)
        if len(word_folded) >= 3 and (
            word_folded in folded or (letters and _strip_digits(folded) == letters)
        ):
            return ["password.contextual"]
    return []


def _strip_digits(text: str) -> str:
    return re.sub(r"\d+", "", text)
