"""Configuration: the override order, database URLs, and production's refusal of weak keys."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from transparency import create_app
from transparency.config import database_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "sqlite:////srv/instance/transparency.sqlite3"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///tmp/x.db", "sqlite:///tmp/x.db"),
    ],
)
def test_database_url(given, expected):
    assert database_url(given, "/srv/instance") == expected


def test_environment_overrides_defaults_and_test_config_overrides_environment(monkeypatch):
    monkeypatch.setenv("TRANSPARENCY_REGISTER_MAX_ROWS", "123")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app()
    assert app.config["REGISTER_MAX_ROWS"] == 123
    assert app.config["DATABASE_URL"] == "sqlite://"
    assert create_app({"REGISTER_MAX_ROWS": 7}).config["REGISTER_MAX_ROWS"] == 7


@pytest.mark.parametrize("key", [None, "dev-only-not-secret", "short", "a" * 40])
def test_production_refuses_a_weak_secret_key(monkeypatch, key):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    config = {"ENV_NAME": "production"}
    if key:
        config["SECRET_KEY"] = key
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_production_starts_with_a_strong_secret_key(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "Xk3-9vQ_p2LmZt7Rb1WcYe4Ns8Ud0Hf6"})
    assert app.config["ENV_NAME"] == "production"


def _start_in_production(extra_env: dict) -> subprocess.CompletedProcess:
    """``create_app`` in production config in a fresh interpreter (XML-03)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": "sqlite://",
        "TRANSPARENCY_ENV_NAME": "production",
        "SECRET_KEY": "Xk3-9vQ_p2LmZt7Rb1WcYe4Ns8Ud0Hf6",
        **extra_env,
    }
    code = "from transparency import create_app; create_app(); print('started')"
    return subprocess.run(  # noqa: S603 - this interpreter, a fixed snippet
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_with_defusedxml_switched_off_for_openpyxl():
    refused = _start_in_production({"OPENPYXL_DEFUSEDXML": "False"})
    assert refused.returncode != 0
    assert "OPENPYXL_DEFUSEDXML='False' turns off openpyxl's defusedxml" in refused.stderr
    assert "started" not in refused.stdout
    started = _start_in_production({})
    assert (started.returncode, started.stdout.strip()) == (0, "started"), started.stderr
