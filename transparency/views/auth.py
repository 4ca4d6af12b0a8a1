"""Sign-in, sign-out, the user's own password, and an RT head's activation."""

import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from transparency import messages
from transparency.access import public, signed_in
from transparency.db import get_session
from transparency.extensions import limiter
from transparency.forms import (
    ActivateForm,
    ChangePasswordForm,
    LanguageForm,
    LoginForm,
    LogoutForm,
)
from transparency.redirects import safe_next
from transparency.security import SignedIn, current_account, remote_addr
from transparency.services import accounts, audit

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    """The limiter key for per-account throttling: the username tried."""
    return "account:" + accounts.normalise_username(request.form.get("username", ""))


def _failed(response) -> bool:
    """Only failed attempts count towards the limits (a success redirects)."""
    return response.status_code != 302


def _throttled(limit) -> None:
    """Record throttling in the audit trail."""
    db = get_session()
    audit.record(
        db,
        "login.throttled",
        actor_name=accounts.normalise_username(request.form.get("username", "")),
        outcome="throttled",
        remote_addr=remote_addr(),
        endpoint=request.endpoint or "",
        limit=str(limit.limit),
    )
    db.commit()


def throttled(view):
    """Per-account and per-address limits on failed attempts, from the config."""
    view = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_ACCOUNT"],
        key_func=_account_key,
        methods=["POST"],
        deduct_when=_failed,
        scope="signin-account",
        on_breach=_throttled,
    )(view)
    return limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_ADDRESS"],
        methods=["POST"],
        deduct_when=_failed,
        scope="signin-address",
        on_breach=_throttled,
    )(view)


def _start_session(user, remember: bool = False) -> None:
    """A fresh session for the user: nothing planted before sign-in survives."""
    session.clear()
    login_user(SignedIn(user), remember=remember)
    session["auth_at"] = session["seen_at"] = time.time()


@bp.route("/masuk", methods=["GET", "POST"])
@public
@throttled
def login():
    """The sign-in form; the same answer for an unknown name and a wrong password."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        db = get_session()
        user = accounts.authenticate(db, form.username.data, form.password.data, datetime.now(UTC))
        if user is not None:
            target = safe_next(form.next.data)
            _start_session(user, remember=form.remember.data)
            audit.record(db, "login", actor=user, remote_addr=remote_addr())
            db.commit()
            return redirect(target or url_for("dashboard.home"))
        audit.record(
            db,
            "login",
            actor_name=accounts.normalise_username(form.username.data),
            outcome="failed",
            remote_addr=remote_addr(),
        )
        db.commit()
        error = _("The username or password is not right.")
    return render_template("auth/login.html", form=form, error=error)


@bp.post("/keluar")
@signed_in
def logout():
    """Sign out everywhere: every session and remember cookie of this account ends."""
    if LogoutForm().validate_on_submit():
        db = get_session()
        user = current_account()
        user.session_version += 1
        db.add(user)
        audit.record(db, "logout", actor=user, remote_addr=remote_addr())
        db.commit()
        logout_user()
        session.clear()
    return redirect(url_for("public.home"))


@bp.post("/akun/bahasa")
@signed_in
def set_language():
    """Remember the chosen language on the account (and in the cookie), then go back."""
    form = LanguageForm()
    referrer = urlsplit(request.referrer or "")
    query = urlencode([(k, v) for k, v in parse_qsl(referrer.query) if k != "lang"])
    back = referrer.path + (f"?{query}" if query else "")
    target = safe_next(form.next.data) or safe_next(back) or url_for("public.home")
    if form.validate_on_submit():
        db = get_session()
        user = current_account()
        user.locale = form.lang.data
        db.add(user)
        audit.record(db, "account.language", actor=user, language=form.lang.data)
        db.commit()
        response = redirect(target)
        response.set_cookie(
            "lang",
            form.lang.data,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
        return response
    return redirect(target)


@bp.route("/akun/kata-sandi", methods=["GET", "POST"])
@signed_in
def change_password():
    """Change one's own password (forced after a temporary one)."""
    form = ChangePasswordForm()
    error = None
    if form.validate_on_submit():
        db = get_session()
        user = current_account()
        try:
            accounts.change_password(db, user, form.current.data, form.new.data, remote_addr())
        except accounts.AccountError as exc:
            db.commit()  # keeps the audit event of a refused attempt
            error = messages.account_error(exc)
        else:
            db.commit()
            logout_user()
            _start_session(user)
            flash(_("Your password has been changed. Other sessions were signed out."))
            return redirect(url_for("dashboard.home"))
    return render_template(
        "auth/change_password.html",
        form=form,
        error=error,
        forced=current_account().must_change_password,
    )


@bp.route("/aktivasi", methods=["GET", "POST"])
@public
@throttled
def activate():
    """An RT head sets their own password with the code from the lurah."""
    form = ActivateForm()
    error = None
    if form.validate_on_submit():
        db = get_session()
        try:
            accounts.activate(
                db,
                form.username.data,
                form.code.data,
                form.new.data,
                datetime.now(UTC),
                remote_addr(),
            )
        except accounts.AccountError as exc:
            db.commit()
            error = messages.account_error(exc)
        else:
            db.commit()
            flash(_("Your account is active. Sign in with your new password."))
            return redirect(url_for("auth.login"))
    return render_template("auth/activate.html", form=form, error=error)
