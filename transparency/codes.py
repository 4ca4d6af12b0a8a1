"""Canonical forms of the codes and numbers that spreadsheets spell in many ways.

Pure functions, no I/O. One routine per kind of code, documented by its tests:
RT/RW numbers (`RT 01`, `1`, `001`, `1.0`, full-width digits → `001`), kelurahan
codes (dotted or not → `35.78.03.1005`), names, and counts (`1.234` → 1234).

Every text goes through ``clean_text`` first: invisible format characters (zero-width
space and joiners, BOM, soft hyphen, direction marks, tags) are dropped, then NFKC folds
Unicode variants to ASCII (full-width and mathematical digits, no-break and ideographic
spaces), and spaces are folded. What is left must then be a plain ASCII number: other
scripts' digits (٠١) and a space between digits are refused, never guessed at. So a code
with invisible or variant characters is the same code or none, never another one
(battery SS-01, ``tests/test_codes.py``).
"""

import re
import unicodedata

_NUMBER_PREFIX = re.compile(r"^(?:RT|RW|NO|NOMOR)\b[\s.:/-]*", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
# Unicode's invisible format characters (category Cf) a cell picks up from web pages,
# PDFs and Word; NFKC keeps them, so they are dropped first.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\U000e0001\U000e0020-\U000e007f]"
)
_KELURAHAN_DOTTED = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
_KELURAHAN_PLAIN = re.compile(r"^\d{10}$")
_INDONESIAN_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")
MAX_COUNT_DIGITS = 9
MAX_COUNT = 10**MAX_COUNT_DIGITS  # counts are below this, as text or as numbers


def clean_text(value: object) -> str:
    """Text of a cell: invisible format characters dropped, NFKC-normalised (full-width
    digits → ASCII), trimmed, spaces folded."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if text.isascii():  # the common case: NFKC changes nothing, split() folds the spaces
        return " ".join(text.split())
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    return _SPACES.sub(" ", text).strip()


def area_number(value: object, width: int = 3) -> str | None:
    """An RT or RW number as zero-padded text, or None if it is not a number from 1 to 999."""
    text = clean_text(value)
    while True:  # "RW. RT 01" is not a thing, but "NO. RT 01" is
        stripped = _NUMBER_PREFIX.sub("", text).strip()
        if stripped == text:
            break
        text = stripped
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    if not text.isdigit() or not text.isascii() or len(text) > 6:
        return None
    number = int(text)
    if not 1 <= number < 10**width:
        return None
    return str(number).zfill(width)


def kelurahan_code(value: object) -> str | None:
    """A kelurahan code in dotted form (`35.78.03.1005`), from dotted or plain digits."""
    text = clean_text(value).replace(" ", "")
    if _KELURAHAN_DOTTED.match(text):
        return text
    if _KELURAHAN_PLAIN.match(text):
        return f"{text[0:2]}.{text[2:4]}.{text[4:6]}.{text[6:10]}"
    return None


def rt_code(kelurahan: str, rw: str, rt: str) -> str:
    """Our RT code: kelurahan code plus zero-padded RW and RT (`….005.003`)."""
    return f"{kelurahan}.{rw}.{rt}"


def rw_code(kelurahan: str, rw: str) -> str:
    """Our RW code: kelurahan code plus the zero-padded RW number."""
    return f"{kelurahan}.{rw}"


def name_key(value: object) -> str:
    """A name folded for matching: upper case, no `KEL.`/`KELURAHAN` prefix, single spaces."""
    text = clean_text(value).upper()
    text = re.sub(r"^(KELURAHAN|KEL)\b\.?\s*", "", text)
    text = re.sub(r"^(KECAMATAN|KEC)\b\.?\s*", "", text)
    return _SPACES.sub(" ", text).strip()


def count(value: object) -> int | None:
    """A non-negative whole count from a number or Indonesian number text, else None.

    `1.234` and `1 234` read as 1234 (Indonesian thousands); `12,0` as 12.
    Negative numbers, fractions, NaN, infinities and numbers of more than
    ``MAX_COUNT_DIGITS`` digits (``1e308``, which no RT holds and no database column
    takes) are None: the caller reports them.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < MAX_COUNT else None
    if isinstance(value, float):
        # NaN and infinities are not integers; is_integer() is False for them.
        whole = value.is_integer() and 0 <= value < MAX_COUNT
        return int(value) if whole else None
    text = re.sub(r",0+$", "", clean_text(value).replace(" ", ""))
    if _INDONESIAN_THOUSANDS.match(text):
        text = text.replace(".", "")
    if len(text) > MAX_COUNT_DIGITS:  # no RT holds a count this long; int() would balk
        return None
    return int(text) if text.isdigit() and text.isascii() else None


def is_blank(value: object) -> bool:
    """True for an empty cell or one holding only spaces."""
    if value is None or value == "":
        return True
    return isinstance(value, str) and clean_text(value) == ""


_RT_RW_LABEL = re.compile(r"(?<![A-Z])RT\s*/\s*RW(?![A-Z])[\s.:]*(\d{1,4})\s*/\s*(\d{1,4})(?!\d)")
_LABELLED_NUMBER = re.compile(r"(?<![A-Z])(RT|RW)(?![A-Z])[\s.:]*(?:NO\b[\s.:]*)?(\d{1,4})(?!\d)")
_PAIR_AFTER = re.compile(r"\s*/\s*(\d{1,4})(?!\d)")
_BARE_PAIR = re.compile(r"^\D*?(\d{1,3})\D+?(\d{1,3})\D*$")


def rt_rw_in_text(value: object, bare: bool = False) -> tuple[str | None, str | None, str | None]:
    """The RT and RW numbers written in a text, zero-padded, and a problem code when
    they cannot be told: ``RT 07 RW 03``, ``RW 03, RT 07``, ``DUSUN 3, RW 03, RT 07``,
    ``Jl. Melati 5 RT 003/RW 002``, ``RT/RW 003/002``, ``RT 003/002``; with ``bare``
    (a column headed RT/RW) also ``003/002``. Two different RT (or RW) numbers are
    ``import.rt_text_many``; none is ``import.rt_text_none`` (with ``bare``, None for
    both numbers and no code: the caller names the bad numbers)."""
    text = clean_text(value).upper()
    both = _RT_RW_LABEL.search(text)
    found: dict[str, set[str]] = {"RT": set(), "RW": set()}
    if both:
        found["RT"].add(both.group(1))
        found["RW"].add(both.group(2))
        text = text[: both.start()] + " " + text[both.end() :]
    pending = None
    for match in _LABELLED_NUMBER.finditer(text):
        found[match.group(1)].add(str(int(match.group(2))))
        if match.group(1) == "RT":
            pair = _PAIR_AFTER.match(text, match.end())
            pending = pair.group(1) if pair else pending
    found = {label: {str(int(n)) for n in numbers} for label, numbers in found.items()}
    if not found["RW"] and pending is not None:
        found["RW"].add(str(int(pending)))
    if len(found["RT"]) > 1 or len(found["RW"]) > 1:
        return None, None, "import.rt_text_many"
    if not found["RT"] or not found["RW"]:
        if bare:
            match = _BARE_PAIR.match(text)
            if match:
                return area_number(match.group(1)), area_number(match.group(2)), None
            return None, None, None
        return None, None, "import.rt_text_none"
    return area_number(found["RT"].pop()), area_number(found["RW"].pop()), None


def _digits(value: object) -> str:
    """A code cell's digits, without dots and spaces ("" if anything else is in it)."""
    text = clean_text(value).replace(".", "").replace(" ", "")
    return text if text.isdigit() and text.isascii() else ""


def bps_code(code: object, kecamatan_code: object, city: str) -> str | None:
    """A BPS desa/kelurahan code (10 digits: the city's 4, the kecamatan's 3, the desa's
    3, ``3578020007``) written in a kelurahan code cell, whole or split over a kecamatan
    code (``020``) and a desa code (``007``) column; None for anything else. A Kemendagri
    kelurahan number starts with 1 or 2 (``35.78.07.1002``), a BPS desa number with 0, so
    the two are told apart."""
    digits = _digits(code)
    if len(digits) == 10 and digits.startswith(city) and digits[6] == "0":
        return digits
    kecamatan = _digits(kecamatan_code)
    if not digits or len(digits) > 3 or not kecamatan:
        return None
    if len(kecamatan) <= 3:
        return city + kecamatan.zfill(3) + digits.zfill(3)
    if len(kecamatan) == 7 and kecamatan.startswith(city):
        return kecamatan + digits.zfill(3)
    return None


BPS_ALIAS_PREFIX = "BPS "  # a crosswalk's BPS code is kept as the kelurahan alias "BPS 3578…"
