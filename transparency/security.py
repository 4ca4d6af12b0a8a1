"""The web edge of access control: sign-in sessions, the per-request scope, route
policies, forced password changes, idle and absolute session limits, headers.

Authorization decisions themselves live in ``access`` (pure); reads of exact figures
are narrowed in ``scoped``. This module only wires them to requests.
"""

import time
import uuid
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import UserMixin, current_user
from sqlmodel import select

from transparency.access import PUBLIC_SCOPE, Permission, Scope, build_scope, policy_of
from transparency.db import get_session
from transparency.extensions import csrf, limiter, login_manager
from transparency.integers import MAX_ID, parse_int
from transparency.models import Area, Department, User
from transparency.services import audit

ALWAYS_ALLOWED_WHEN_PASSWORD_MUST_CHANGE = {"auth.change_password", "auth.logout", "static"}


class SignedIn(UserMixin):
    """The signed-in account as Flask-Login sees it. The id carries the session version."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        """``<id>:<session_version>``: bumping the version invalidates every cookie."""
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_active(self) -> bool:
        """Deactivated accounts are not signed in."""
        return self.user.active


class SessionsWithoutNeedlessVary(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, but a request that brought no session cookie and
    left the session empty gets no ``Vary: Cookie`` (reading the empty session to find
    out that nobody is signed in must not make anonymous public pages uncacheable)."""

    def save_session(self, app, session, response) -> None:
        """Save as Flask does, unless there was and is nothing to save."""
        if not session and not session.modified and not _has_session_cookie(app):
            return
        super().save_session(app, session, response)


def _has_session_cookie(app: Flask) -> bool:
    """True if the request carries a session or remember-me cookie."""
    names = (
        app.config["SESSION_COOKIE_NAME"],
        app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
    )
    return any(name in request.cookies for name in names)


# Blueprints whose public GET answers may be kept by browsers and shared caches.
CACHEABLE_BLUEPRINTS = {"public", "api"}
PUBLIC_MAX_AGE = 300


def init_app(app: Flask) -> None:
    """Bind Flask-Login, CSRF, the limiter and the request hooks."""
    app.session_interface = SessionsWithoutNeedlessVary()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    csrf.init_app(app)
    limiter.init_app(app)
    app.before_request(refuse_cross_site_posts)
    app.before_request(enforce_session_limits)
    app.before_request(enforce_policy)
    app.after_request(set_security_headers)
    app.context_processor(lambda: {"account_links": account_links()})


def account_links() -> dict[str, bool]:
    """Which account pages the navigation offers the signed-in person."""
    scope = current_scope()
    return {
        "accounts": scope.can(Permission.ACCOUNTS_VIEW),
        "audit": scope.can(Permission.AUDIT_READ),
        "uploads": scope.can(Permission.UPLOADS_CREATE),
        "publications": scope.can(Permission.PUBLICATIONS_MANAGE),
        "disputes": scope.can(Permission.FIGURES_READ_EXACT),
        "department": _department_code(scope.department_id),
    }


def _department_code(department_id: int | None) -> str | None:
    """The code of the operator's department, for its page in the navigation."""
    if department_id is None:
        return None
    department = get_session().get(Department, department_id)
    return department.code if department else None


def load_user(user_id: str) -> SignedIn | None:
    """The account behind a session or remember cookie, if its version is still current."""
    identifier, _, version = user_id.partition(":")
    identifier, version = parse_int(identifier, maximum=MAX_ID), parse_int(version)
    if identifier is None or version is None:
        return None
    user = get_session().get(User, identifier)
    if user is None or not user.active or user.session_version != version:
        return None
    return SignedIn(user)


def current_account() -> User | None:
    """The signed-in ``User`` row, or None."""
    return current_user.user if current_user.is_authenticated else None


def current_scope() -> Scope:
    """The request's scope, built once from the signed-in account."""
    if "scope" not in g:
        g.scope = _build_scope(current_account())
    return g.scope


def _build_scope(user: User | None) -> Scope:
    if user is None:
        return PUBLIC_SCOPE
    db = get_session()
    area = db.get(Area, user.area_id) if user.area_id else None
    return build_scope(
        user_id=user.id,
        role=user.role,
        active=user.active,
        area_path=area.path if area else None,
        area_level=area.level if area else None,
        department_id=user.department_id,
        city_path=_city_path(db),
    )


def _city_path(db) -> str | None:
    """The root of the area tree; read once per app (the register does not change while
    it runs)."""
    city = current_app.extensions.get("city_path")
    if city is None:
        city = db.exec(select(Area.path).where(Area.parent_id.is_(None))).first()
        if city is not None:
            current_app.extensions["city_path"] = city
    return city


def remote_addr() -> str:
    """The client address as the limiter sees it (ProxyFix decides whether to trust XFF)."""
    return request.remote_addr or ""


def refuse_cross_site_posts() -> None:
    """A state change whose ``Origin`` names another site is refused (on top of CSRF tokens)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        abort(400)


def enforce_session_limits() -> None:
    """End sessions idle longer than the idle limit or older than the absolute limit."""
    if request.endpoint == "static":
        return
    now = time.time()
    started, seen = session.get("auth_at"), session.get("seen_at")
    config = current_app.config
    if started and (
        now - started > config["SESSION_ABSOLUTE_SECONDS"]
        or now - (seen or started) > config["SESSION_IDLE_SECONDS"]
    ):
        for key in ("_user_id", "_fresh", "_id", "auth_at", "seen_at"):
            session.pop(key, None)
    if current_user.is_authenticated:
        session.setdefault("auth_at", now)
        session["seen_at"] = now


def enforce_policy():
    """Default deny: every endpoint needs a policy; check it before the view runs."""
    if request.endpoint is None:
        return None  # 404/405 are raised by routing
    policy = policy_of(current_app.view_functions.get(request.endpoint))
    if request.endpoint == "static" or (policy and policy.public):
        return None
    if policy is None:
        abort(404)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_account().must_change_password and (
        request.endpoint not in ALWAYS_ALLOWED_WHEN_PASSWORD_MUST_CHANGE
    ):
        return redirect(url_for("auth.change_password"))
    if policy.permission and not current_scope().can(policy.permission):
        deny("permission", permission=policy.permission.value)
    return None


def deny(reason: str, status: int = 403, **details) -> None:
    """Record a denial in the audit trail and the log, then stop with ``status``."""
    user = current_account()
    audit.record(
        get_session(),
        "access.denied",
        actor=user,
        object_type="route",
        object_id=request.path,
        outcome="denied",
        remote_addr=remote_addr(),
        reason=reason,
        **details,
    )
    get_session().commit()
    current_app.logger.warning(
        "authz-failure user=%s path=%s reason=%s",
        user.username if user else "-",
        request.path,
        reason,
    )
    abort(status)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def set_security_headers(response):
    """Security headers on every response; nothing personal is ever cached."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config["ENV_NAME"] == "production":
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if g.get("exact_figures") or (
        _has_session_cookie(current_app)
        and (current_user.is_authenticated or "_user_id" in session)
    ):
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
        response.vary.add("Cookie")
    elif _is_cacheable(response):
        _make_cacheable(response)
    return response


def _is_cacheable(response) -> bool:
    """An anonymous, successful GET of a public page or API answer."""
    policy = policy_of(current_app.view_functions.get(request.endpoint or ""))
    return (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and request.blueprint in CACHEABLE_BLUEPRINTS
        and policy is not None
        and policy.public
        and not response.direct_passthrough
    )


def _make_cacheable(response) -> None:
    """``Cache-Control`` and a strong ETag; ``If-None-Match`` answers 304. A response that
    sets a cookie (a language chosen with ``?lang=``) is for the browser only."""
    response.cache_control.max_age = PUBLIC_MAX_AGE
    # ``?lang=`` sets the language cookie later (i18n's hook runs after this one).
    if "Set-Cookie" in response.headers or "lang" in request.args or request.cookies.get("lang"):
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    response.add_etag()
    response.make_conditional(request)


def incident_id() -> str:
    """A short id shown on a 500 page and written to the log, to find the failure."""
    return uuid.uuid4().hex[:12]
