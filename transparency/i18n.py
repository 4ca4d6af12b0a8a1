"""Languages: Bahasa Indonesia first, English as a choice; number and date formats, and
the words shown for codes (periods, statuses, audit actions, units), in one place.

Times are stored in UTC and shown in Western Indonesia Time with the zone written out
(``4 Desember 2026 08.05 WIB``); dates in one style in both languages (``4 December 2026``);
periods as month names (``Oktober 2026``), never as codes (``2026-10``).
"""

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from transparency.extensions import babel

TRANSLATIONS = "translations"
JAKARTA = ZoneInfo("Asia/Jakarta")
ZONE = "WIB"
DAY_FORMAT = "d MMMM yyyy"  # one style in both languages: 4 Desember 2026, 4 December 2026
TIME_FORMAT = {"id": "HH.mm", "en": "HH:mm"}
PERIOD_CODE = re.compile(r"(\d{4})(?:-(?:(\d{2})|Q([1-4])))?")
UPLOAD_STATUSES = {
    "queued": _l("waiting to be checked"),
    "parsing": _l("being checked"),
    "ready": _l("checked, not saved yet"),
    "committed": _l("saved"),
    "noop": _l("unchanged"),
    "cancelled": _l("cancelled"),
    "failed": _l("failed"),
}
AUDIT_OUTCOMES = {
    "ok": _l("done"),
    "failed": _l("failed"),
    "denied": _l("refused"),
    "throttled": _l("too many attempts"),
}
AUDIT_ACTIONS = {
    "login": _l("Sign-in"),
    "login.throttled": _l("Sign-in blocked after too many attempts"),
    "logout": _l("Sign-out"),
    "access.denied": _l("Access refused"),
    "password.change": _l("Password changed"),
    "account.activate": _l("Account activated"),
    "account.activate_flag": _l("Account reactivated"),
    "account.update": _l("Account changed"),
    "account.bulk_create": _l("RT accounts created for an area"),
    "account.create": _l("Account created"),
    "account.deactivate": _l("Account deactivated"),
    "account.language": _l("Language changed"),
    "account.reset_password": _l("Password reset"),
    "upload.dry_run": _l("Upload checked"),
    "upload.commit": _l("Upload saved"),
    "upload.cancel": _l("Upload cancelled"),
    "upload.failed": _l("Upload failed"),
    "upload.restore": _l("Earlier upload restored"),
    "upload.throttled": _l("Upload refused: too many files"),
    "publication.publish": _l("Figures published"),
    "publication.correct": _l("Published figures corrected"),
    "verification.confirm": _l("Figure confirmed by the ketua RT"),
    "verification.dispute": _l("Figure disputed by the ketua RT"),
    "verification.answer": _l("Dispute answered"),
    "verification.reopen": _l("Dispute reopened"),
}
UNITS = {
    "KK": _l("households"),
    "jiwa": _l("people"),
    "anak": _l("children"),
    "balita": _l("children under five"),
}


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
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["moment"] = moment
    app.jinja_env.filters["period"] = lambda value: format_period(value, _locale())
    app.jinja_env.filters["upload_status"] = lambda code: _label(UPLOAD_STATUSES, code)
    app.jinja_env.filters["audit_action"] = lambda code: _label(AUDIT_ACTIONS, code)
    app.jinja_env.filters["audit_outcome"] = lambda code: _label(AUDIT_OUTCOMES, code)
    app.jinja_env.filters["unit"] = lambda code: _label(UNITS, code)
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


def _locale() -> str:
    return str(get_locale() or "id")


def _label(labels: dict, code) -> str:
    """The words for a code in the request's language; an unknown code as it is."""
    label = labels.get(str(code) if code is not None else "")
    return str(label) if label is not None else (str(code) if code is not None else "")


def format_period(period, locale: str = "id") -> str:
    """A period (a ``Period`` or its code) in words: ``2026-10`` → ``Oktober 2026`` /
    ``October 2026``, ``2026-Q4`` → ``Kuartal ke-4 2026``, ``2026`` → ``2026``. Anything
    that is not a period code comes back as it is."""
    if period is None:
        return ""
    code = getattr(period, "code", period)
    found = PERIOD_CODE.fullmatch(str(code))
    if not found:
        return str(code)
    year, month, quarter = found.groups()
    if month and 1 <= int(month) <= 12:
        return babel_date(date(int(year), int(month), 1), "MMMM yyyy", locale=locale)
    if quarter:
        return babel_date(date(int(year), 3 * int(quarter) - 2, 1), "QQQQ yyyy", locale=locale)
    return year if not month else str(code)


def in_jakarta(moment_: datetime) -> datetime:
    """A stored time (UTC, naive or aware) as the time in Jakarta."""
    aware = moment_ if moment_.tzinfo else moment_.replace(tzinfo=UTC)
    return aware.astimezone(JAKARTA)


def day(value) -> str:
    """A date, or the day in Jakarta of a time: ``4 Desember 2026`` / ``4 December 2026``."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = in_jakarta(value).date()
    return babel_date(value, DAY_FORMAT, locale=_locale())


def moment(value, machine: str | None = None) -> str:
    """A time in Jakarta with its zone: ``4 Desember 2026 08.05 WIB``; with a ``strftime``
    pattern, the time in Jakarta in that form (for ``data-`` attributes)."""
    if not value:
        return ""
    if machine:
        return in_jakarta(value).strftime(machine)
    locale = _locale()
    pattern = DAY_FORMAT + (", " if locale == "en" else " ") + TIME_FORMAT.get(locale, "HH:mm")
    return f"{babel_datetime(in_jakarta(value), pattern, tzinfo=JAKARTA, locale=locale)} {ZONE}"
