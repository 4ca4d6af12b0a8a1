"""A per-worker memo of anonymous public answers, valid while the publications stay the same.

Public figures change only when the walidata publishes (a new ``publication`` row, so a
higher ``max(id)``), so an answer computed once can be replayed until then — for at most
``MEMO_SECONDS``, as HTTP caches may keep it anyway (``security.PUBLIC_MAX_AGE``). Each
worker asks for that version at most once a second (``PUBLIC_MEMO_CHECK_SECONDS``), so a
publication shows everywhere within a second. Only
anonymous requests without cookies are served from or stored in the memo: a signed-in
person's pages (``no-store``) and a chosen language never are. One memo per app, bounded
in bytes; it holds nothing that is not public.
"""

import time
from functools import wraps

from flask import Response, current_app, request

from transparency import published
from transparency.db import get_session

MEMO_SECONDS = 60
MEMO_BYTES = 64 * 1024 * 1024


def memoized(view):
    """Serve the view's anonymous 200 answers from the memo while they are current."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.cookies or "lang" in request.args:
            return view(*args, **kwargs)
        store = current_app.extensions.setdefault(
            "public_memo", {"bytes": 0, "items": {}, "version": None, "checked": 0.0}
        )
        now = time.monotonic()
        version = _version(store, now)
        key = (request.endpoint, request.full_path)
        hit = store["items"].get(key)
        if hit and hit[0] == version and hit[1] > now:
            return Response(hit[4], status=hit[2], headers=hit[3])
        response = view(*args, **kwargs)
        if not isinstance(response, Response):
            response = current_app.make_response(response)
        if response.status_code == 200 and not response.direct_passthrough:
            response.add_etag()  # hashed once here, not on every replay
            _keep(
                store,
                key,
                (version, now + MEMO_SECONDS, 200, list(response.headers), response.get_data()),
            )
        return response

    return wrapper


def _version(store: dict, now: float) -> int:
    """The publications' version, asked of the database at most every
    ``PUBLIC_MEMO_CHECK_SECONDS`` (default 1 s; 0 under ``TESTING``: always)."""
    config = current_app.config
    every = config.get("PUBLIC_MEMO_CHECK_SECONDS", 0.0 if config.get("TESTING") else 1.0)
    if store["version"] is None or now - store["checked"] >= every:
        store["version"] = published.get_version(get_session())
        store["checked"] = now
    return store["version"]


def _keep(store: dict, key, entry) -> None:
    """Store an answer; start afresh when the memo would grow past its bound."""
    size = len(entry[4])
    if store["bytes"] + size > MEMO_BYTES:
        store["items"].clear()
        store["bytes"] = 0
    store["items"][key] = entry
    store["bytes"] += size
