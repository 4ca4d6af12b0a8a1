"""The area tree's pure rules: materialised paths and the subtree range.

A path is the chain of code segments from the city down, joined by ``.``
(``35.78.07.1002.005.003``). A node's descendants are exactly the paths in the
half-open range [path + ".", path + "/"): ``.`` is U+002E and ``/`` is U+002F, so
``…005`` covers ``…005.001`` but never ``…0050``. Paths are compared byte-wise
(collation "C" on PostgreSQL, BINARY on SQLite).
"""

from transparency.models.areas import AreaLevel

SEPARATOR = "."
_AFTER_SEPARATOR = chr(ord(SEPARATOR) + 1)

CHILD_LEVEL = {
    AreaLevel.KOTA: AreaLevel.KECAMATAN,
    AreaLevel.KECAMATAN: AreaLevel.KELURAHAN,
    AreaLevel.KELURAHAN: AreaLevel.RW,
    AreaLevel.RW: AreaLevel.RT,
}


def child_path(parent_path: str | None, code: str) -> str:
    """The path of a child: its parent's path plus the child's own last code segment."""
    if parent_path is None:
        return code
    if not code.startswith(parent_path + SEPARATOR):
        raise ValueError(f"code {code!r} does not extend its parent's path {parent_path!r}")
    return code


def descendant_range(path: str) -> tuple[str, str]:
    """The half-open range [low, high) of every descendant's path."""
    return path + SEPARATOR, path + _AFTER_SEPARATOR


def is_in_subtree(path: str, root_path: str) -> bool:
    """True if ``path`` is ``root_path`` or below it (the same rule as the SQL predicate)."""
    low, high = descendant_range(root_path)
    return path == root_path or low <= path < high
