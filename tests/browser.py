"""Helpers for browser tests: a live server on a seeded SQLite file, and Chromium.

Browser tests skip with a clear message where Debian's chromium is missing; with
REQUIRE_BROWSER=1 (CI) they fail instead.
"""

import os
import shutil
import threading

import pytest
from sqlmodel import Session
from werkzeug.serving import make_server

from transparency import create_app
from transparency.db import get_engine, upgrade
from transparency.services import demo

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The Chromium binary, or a skip (a failure under REQUIRE_BROWSER=1)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    message = "browser tests skipped: Debian's chromium is not installed (apt-get install chromium)"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _buffered(app):
    """The app with each response read whole and closed before Werkzeug writes it.

    When the browser closes mid-response (a test's page ends while a stylesheet is on
    its way), Werkzeug's dev server can fail on the dropped socket before it closes the
    response; a static file left open then warns at garbage collection, in whichever
    test runs next. A closed, buffered body leaves nothing open.
    """

    def serve(environ, start_response):
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return serve


class LiveServer:
    """The app served by Werkzeug in a thread, on a free loopback port."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join()


def seeded_app(db_path, seed_dir, register_file):
    """An app on a fresh SQLite file holding the demo city (on the given register)."""
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "browser-test", "DATABASE_URL": f"sqlite:///{db_path}"}
    )
    with app.app_context():
        engine = get_engine()
        upgrade(engine)
        with Session(engine) as session:
            demo.seed_demo(session, seed_dir, register_file)
            session.commit()
    return app
