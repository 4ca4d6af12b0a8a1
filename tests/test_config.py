"""Configuration: the override order, database URLs, and production's refusal of weak keys."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from transparency import create_app
from transparency.config import database_url, instance_secret_key


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


def test_environment_overrides_defaults_and_test_config_overrides_environment(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("TRANSPARENCY_INSTANCE_PATH", str(tmp_path))
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


# --- the development key (issue 13): random, kept in the instance folder, never a constant


def _development_app(monkeypatch, folder: Path, **config):
    for name in ("SECRET_KEY", "TRANSPARENCY_SECRET_KEY", "TRANSPARENCY_ENV_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRANSPARENCY_INSTANCE_PATH", str(folder))
    return create_app({"DATABASE_URL": "sqlite://", **config})


def test_without_a_key_development_makes_a_random_one_in_the_instance_folder(monkeypatch, tmp_path):
    first = _development_app(monkeypatch, tmp_path / "one")
    key = first.config["SECRET_KEY"]
    path = tmp_path / "one" / "secret_key"
    assert path.read_text(encoding="ascii") == key
    assert len(key) >= 60 and len(set(key)) >= 20
    assert path.stat().st_mode & 0o777 == 0o600
    # The next start (another worker, ``flask db upgrade`` before gunicorn) reads it back.
    assert _development_app(monkeypatch, tmp_path / "one").config["SECRET_KEY"] == key
    # Another demo's folder gets its own key: no two demos share one.
    other = _development_app(monkeypatch, tmp_path / "two").config["SECRET_KEY"]
    assert other != key
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["secret_key"]


@pytest.mark.parametrize("given", ["", "dev-only-not-secret"])
def test_a_missing_or_published_key_is_replaced_in_development(monkeypatch, tmp_path, given):
    app = _development_app(monkeypatch, tmp_path, SECRET_KEY=given)
    assert app.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text(encoding="ascii")
    assert app.config["SECRET_KEY"] != "dev-only-not-secret"


def test_a_key_given_is_used_as_it_is(monkeypatch, tmp_path):
    app = _development_app(monkeypatch, tmp_path, SECRET_KEY="chosen-by-the-operator")
    assert app.config["SECRET_KEY"] == "chosen-by-the-operator"
    assert not (tmp_path / "secret_key").exists()


def test_production_never_makes_a_key_of_its_own(monkeypatch, tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        _development_app(monkeypatch, tmp_path, ENV_NAME="production")
    assert not (tmp_path / "secret_key").exists()


def test_a_damaged_key_file_is_refused_not_used(tmp_path):
    (tmp_path / "secret_key").write_text("short", encoding="ascii")
    with pytest.raises(RuntimeError, match="delete it"):
        instance_secret_key(tmp_path)


def test_two_processes_starting_at_once_agree_on_one_key(tmp_path):
    code = (
        "import sys; from pathlib import Path; "
        "from transparency.config import instance_secret_key; "
        "print(instance_secret_key(Path(sys.argv[1])))"
    )
    starts = [
        subprocess.Popen(  # noqa: S603 - this interpreter, a fixed snippet
            [sys.executable, "-c", code, str(tmp_path)],
            cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    keys = {start.communicate(timeout=120)[0].strip() for start in starts}
    assert keys == {(tmp_path / "secret_key").read_text(encoding="ascii")}
