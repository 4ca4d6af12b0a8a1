"""Whole numbers in addresses, bounded: path ids, page numbers and version numbers.

Every integer a route takes goes through here, so that a number past 64 bits (or any text
that is not a number) answers 404 or 400 instead of reaching the database driver.
"""

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

from transparency.integers import DIGITS, MAX_ID, MAX_INT64, parse_int


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` that matches ids up to 2**31 - 1 only (ids are SQL INTEGER: a larger
    number reached PostgreSQL as an out-of-range error); a larger one is no route (404)."""

    regex = r"[0-9]+"  # ASCII digits only, not every Unicode digit

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - Werkzeug's signature
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Bound ``<int:…>`` in every URL rule (before the blueprints add theirs)."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def page_arg(name: str, page_size: int) -> int:
    """The page asked for with ``?name=`` (1 without it); a page that cannot exist (not a
    number, under 1, or so far that its offset passes 64 bits) is a 404."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return 1
    page = parse_int(raw, minimum=1, maximum=MAX_INT64 // page_size)
    if page is None:
        abort(404)
    return page


def version_arg(name: str, message: str) -> int | None:
    """The publication number asked for with ``?name=``, or None without one. Text that is
    not a number is a 400 with ``message``; a number no publication can have is a 404."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not DIGITS.fullmatch(raw):
        abort(400, message)
    version = parse_int(raw, minimum=1, maximum=MAX_ID)
    if version is None:
        abort(404)
    return version
