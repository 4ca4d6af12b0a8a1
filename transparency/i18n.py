"""Languages: Bahasa Indonesia first, English as a choice; number and date formats."""

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import format_date, format_decimal, format_percent, get_locale
from flask_login import current_user

from transparency.extensions import babel

TRANSLATIONS = "translations"


def select_locale() -> str:
    """The language of a request: ``?lang=``, then the signed-in person's choice, then the
    ``lang`` cookie, then Indonesian."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = current_user.user.locale if current_user.is_authenticated else None
    for candidate in (request.args.get("lang"), chosen, request.cookies.get("lang")):
        if candidate in languages:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with our locale selector and add the number filter."""
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(app.root_path + "/" + TRANSLATIONS),
    )
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["signed"] = signed_number
    app.jinja_env.filters["percent"] = lambda value: format_percent(value, "#,##0.0%")
    app.jinja_env.filters["day"] = lambda value: format_date(value, "long") if value else ""
    app.jinja_env.globals["get_locale"] = get_locale
    app.after_request(remember_language)


def number(value) -> str:
    """A count in the locale's format (``1.234`` / ``1,234``): whole numbers by a fast path
    with the locale's grouping symbol, anything else through Babel."""
    if not isinstance(value, int) or isinstance(value, bool):
        return format_decimal(value or 0)
    if "number_group" not in g:  # once per request: looking up the locale is not free
        g.number_group = get_locale().number_symbols["latn"]["group"]
    return f"{value:,}".replace(",", g.number_group)


def signed_number(value: int) -> str:
    """A change with its sign: ``+12``, ``−3``, ``0`` (in the locale's digits)."""
    if not value:
        return number(0)
    return ("+" if value > 0 else "−") + number(abs(value))


def remember_language(response):
    """Keep a language chosen with ``?lang=`` in a cookie for a year."""
    chosen = request.args.get("lang")
    if chosen in current_app.config["LANGUAGES"] and chosen != request.cookies.get("lang"):
        response.set_cookie(
            "lang",
            chosen,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
    return response
