"""Where a redirect may go after sign-in: same-site paths only. Pure."""

from urllib.parse import unquote, urlsplit


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (``/…``), else None.

    Refuses schemes, hosts, protocol-relative ``//``, backslashes and control
    characters, also after percent-decoding (``/%09/evil.example``).
    """
    if not target or len(target) > 2000:
        return None
    for candidate in (target, unquote(target)):
        if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in candidate):
            return None
        if not candidate.startswith("/") or candidate.startswith("//"):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return target
