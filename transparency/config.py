"""Configuration defaults and the order they are overridden in.

Defaults here → ``instance/config.py`` → environment → the test config passed to
``create_app``. Nothing is read at import time. Without a ``SECRET_KEY``, production
refuses to start and anything else uses a random key kept in ``instance/secret_key``.
"""

import os
import secrets
from pathlib import Path

from transparency.containers import assert_defused

DEFAULTS = {
    "SECRET_KEY": None,  # None: production refuses to start; elsewhere instance/secret_key
    "DATABASE_URL": None,  # None: SQLite file in the instance folder
    "ENV_NAME": "development",  # "production" enables the strict checks
    "BABEL_DEFAULT_LOCALE": "id",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
    "LANGUAGES": ("id", "en"),
    "SEED_DIR": str(Path(__file__).resolve().parent.parent / "seed"),
    "MAX_CONTENT_LENGTH": 150 * 1024 * 1024,
    "REGISTER_MAX_ROWS": 50_000,
    # Sessions: 30 minutes idle, 12 hours absolute; remember-me at most 14 days.
    "SESSION_IDLE_SECONDS": 30 * 60,
    "SESSION_ABSOLUTE_SECONDS": 12 * 3600,
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_REFRESH_EACH_REQUEST": False,
    # Sign-in throttling; the storage is shared by all app servers in production (Redis).
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "LOGIN_LIMIT_ACCOUNT": "5/minute;20/hour",
    "LOGIN_LIMIT_ADDRESS": "100/hour",
    # Files sent per account (a quota against floods; a month's uploads are a handful).
    "UPLOAD_LIMIT_ACCOUNT": "20/minute;200/day",
    "ACTIVATION_VALID_DAYS": 30,
    # Imports: indicator sets, and how long a dry run waits for its commit.
    "INDICATOR_SETS": str(Path(__file__).resolve().parent.parent / "seed" / "indicator_sets.json"),
    "IMPORT_TTL_HOURS": 24,
    # The dry run runs in a child process with these limits (in-process for tests).
    "IMPORT_IN_PROCESS": False,
    "IMPORT_MEMORY_MB": 3072,
    "IMPORT_SECONDS": 600,
    "IMPORT_STALL_SECONDS": 180,
    # Hosts this app answers for (others get 400); the number of proxies in front of it.
    "TRUSTED_HOSTS": ["localhost", "127.0.0.1", "::1"],
    "PROXY_COUNT": 0,
}

# Keys that were ever written down (the old development default): never good enough.
KNOWN_KEYS = frozenset({"dev-only-not-secret"})
SECRET_KEY_FILE = "secret_key"

# Environment variables read without a prefix, as deployments expect them.
PLAIN_ENV = ("DATABASE_URL", "SECRET_KEY")


def load(app, test_config: dict | None) -> None:
    """Fill ``app.config`` from defaults, instance file, environment and test config."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    for name in PLAIN_ENV:
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    app.config.from_prefixed_env("TRANSPARENCY")
    if test_config:
        app.config.from_mapping(test_config)
    app.config["DATABASE_URL"] = database_url(app.config["DATABASE_URL"], app.instance_path)
    if app.config["ENV_NAME"] == "production":
        check_production(app.config)
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, DEBUG=False)
    elif not app.config["SECRET_KEY"] or app.config["SECRET_KEY"] in KNOWN_KEYS:
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))


def instance_secret_key(folder: Path) -> str:
    """The random key kept in ``folder/secret_key`` (0600), made on first use, so that a
    demo never signs its cookies with a key anyone could know. Two processes starting at
    once agree: the file appears whole or not at all, and the first one written wins."""
    path = folder / SECRET_KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        draft = folder / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        handle = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)  # fails if another process was first: its key stands
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key: delete it to have a new one made.")
    return key


def check_production(config) -> None:
    """Refuse to run in production with a weak or default secret key, or with openpyxl
    parsing XML without defusedxml (battery XML-03)."""
    assert_defused()
    key = config.get("SECRET_KEY") or ""
    if key in KNOWN_KEYS or len(key) < 32 or len(set(key)) < 10:
        raise RuntimeError(
            "SECRET_KEY must be a random value of at least 32 characters in production "
            "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )


def database_url(url: str | None, instance_path: str) -> str:
    """Return an SQLAlchemy URL: SQLite in the instance folder, or psycopg for PostgreSQL."""
    if not url:
        return f"sqlite:///{Path(instance_path) / 'transparency.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
