"""Where a redirect may go after sign-in: same-site paths only. Pure."""

from urllib.parse import unquote, urlsplit


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (``/…``) in its plain form, else None.

    Refuses schemes, hosts, protocol-relative ``//``, backslashes and control
    characters, also after percent-decoding (``/%09/evil.example``); and a path that is
    not already normalised (empty segments, ``.`` or ``..``: ``/.//evil.example`` becomes
    ``//evil.example`` once a browser or proxy removes the dot), since what would be
    checked is not what would be followed.
    """
    if not target or len(target) > 2000:
        return None
    for candidate in (target, unquote(target)):
        if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in candidate):
            return None
        if not candidate.startswith("/") or candidate.startswith("//"):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc or not is_normal_path(parts.path):
            return None
    return target


def is_normal_path(path: str) -> bool:
    """True if ``path`` has no empty, ``.`` or ``..`` segment (a trailing ``/`` is fine)."""
    segments = path.split("/")[1:]
    if not segments:
        return True
    inner, last = segments[:-1], segments[-1]
    return all(s not in ("", ".", "..") for s in inner) and last not in (".", "..")
