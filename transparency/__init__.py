"""Transparansi RT: the application factory. The only place that wires things up."""

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app: config, database, i18n, views, errors, CLI."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("TRANSPARENCY_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from transparency import config

    config.load(app, test_config)
    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    """Database engine, Flask-Babel, and sign-in, CSRF, throttling and headers."""
    from transparency import db, i18n, security

    db.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def register_converters(app: Flask) -> None:
    """URL converters: ``<int:…>`` bounded to 64 bits."""
    from transparency.views import params

    params.init_app(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per view module."""
    from transparency.views import (
        accounts_admin,
        api,
        audit_admin,
        auth,
        board,
        dashboard,
        department,
        health,
        public,
        publishing,
        uploads,
        verification,
    )

    modules = (public, api, health, auth, dashboard, verification, board, department)
    for module in (*modules, accounts_admin, audit_admin, uploads, publishing):
        app.register_blueprint(module.bp)


def register_errors(app: Flask) -> None:
    """Map domain errors and HTTP errors to pages, once."""
    from transparency.views import errors

    errors.init_app(app)


def register_cli(app: Flask) -> None:
    """The ``flask`` commands: demo, register."""
    from transparency import cli

    cli.init_app(app)
