"""Whole numbers from requests, bounded to what the database can hold. Pure.

A page, version or id number arrives as text; anything past a signed 64-bit integer
(PostgreSQL's BIGINT, SQLite's INTEGER) would make the driver fail with a 500, so it is
refused here like any other text that is not a number.
"""

import re

MAX_INT64 = 2**63 - 1
MAX_ID = 2**31 - 1  # ids are SQL INTEGER columns (32 bits on PostgreSQL)
DIGITS = re.compile(r"[0-9]+")  # plain ASCII digits, however many


def parse_int(text: str | None, minimum: int = 0, maximum: int = MAX_INT64) -> int | None:
    """The number written as plain ASCII digits in ``text`` if it lies within
    ``minimum..maximum``, else None (signs, spaces, other digits and huge values too)."""
    if text is None or len(text) > 19 or not DIGITS.fullmatch(text):
        return None  # more than 19 digits is past 2**63 - 1
    value = int(text)
    return value if minimum <= value <= maximum else None
