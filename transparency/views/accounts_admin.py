"""Account administration: the walidata manages; camat and lurah may look at their area's."""

import base64
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlmodel import select
from wtforms import SelectChoice

from transparency import exporting, messages, scoped
from transparency.access import Permission, requires
from transparency.db import get_session
from transparency.forms import AccountForm, BulkAccountsForm, ConfirmForm
from transparency.models import Area, Department, Role, User
from transparency.queries import get_area
from transparency.security import current_account, current_scope, remote_addr
from transparency.services import accounts, rt_accounts
from transparency.views import params

bp = Blueprint("accounts_admin", __name__, url_prefix="/admin/pengguna")
PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/")
@requires(Permission.ACCOUNTS_VIEW)
def users():
    """List and search the accounts in scope."""
    query = request.args.get("q", "")[:80]
    role = request.args.get("peran", "")
    role = role if role in {r.value for r in Role} else ""
    page = params.page_arg("hal", PAGE_SIZE)
    rows, total = scoped.list_scoped_accounts(
        get_session(), current_scope(), query, role, PAGE_SIZE, (page - 1) * PAGE_SIZE
    )
    return render_template(
        "admin/users.html",
        rows=rows,
        total=total,
        query=query,
        role=role,
        page=page,
        pages=max((total - 1) // PAGE_SIZE + 1, 1),
        can_manage=current_scope().can(Permission.ACCOUNTS_MANAGE),
    )


def _department_choices() -> list[SelectChoice]:
    departments = get_session().exec(select(Department).order_by(Department.name))
    return [SelectChoice("", "—")] + [SelectChoice(d.code, d.name) for d in departments]


def _change(form: AccountForm) -> accounts.AccountChange:
    return accounts.AccountChange(
        role=Role(form.role.data),
        area_code=form.area_code.data or None,
        department_code=form.department_code.data or None,
        display_name=form.display_name.data or "",
    )


@bp.route("/baru", methods=["GET", "POST"])
@requires(Permission.ACCOUNTS_MANAGE)
def create():
    """Create an account with a temporary password, shown once."""
    form = AccountForm()
    form.department_code.choices = _department_choices()
    error = None
    if form.validate_on_submit():
        db = get_session()
        try:
            user, temporary = accounts.create_account(
                db, current_account(), form.username.data, _change(form), remote_addr()
            )
        except accounts.AccountError as exc:
            db.rollback()
            error = messages.account_error(exc)
        else:
            db.commit()
            return render_template(
                "admin/secret.html", user=user, secret=temporary, title=_("Account created")
            )
    return render_template("admin/user_form.html", form=form, error=error, user=None)


def _user(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.ACCOUNTS_MANAGE)
def edit(user_id: int):
    """Change an account's role, area, department or name."""
    db = get_session()
    user = _user(user_id)
    form = AccountForm()
    form.department_code.choices = _department_choices()
    if request.method == "GET":
        area = db.get(Area, user.area_id) if user.area_id else None
        department = db.get(Department, user.department_id) if user.department_id else None
        form.process(
            data={
                "display_name": user.display_name,
                "role": user.role,
                "area_code": area.code if area else "",
                "department_code": department.code if department else "",
            }
        )
    error = None
    if form.validate_on_submit():
        try:
            accounts.update_account(db, current_account(), user, _change(form), remote_addr())
        except accounts.AccountError as exc:
            db.rollback()
            error = messages.account_error(exc)
        else:
            db.commit()
            flash(_("The account was saved."))
            return redirect(url_for("accounts_admin.edit", user_id=user.id))
    return render_template(
        "admin/user_form.html", form=form, error=error, user=user, confirm=ConfirmForm()
    )


@bp.post("/<int:user_id>/<any(nonaktifkan, aktifkan):action>")
@requires(Permission.ACCOUNTS_MANAGE)
def set_active(user_id: int, action: str):
    """Deactivate or reactivate an account."""
    user = _user(user_id)
    if ConfirmForm().validate_on_submit():
        db = get_session()
        accounts.set_active(db, current_account(), user, action == "aktifkan", remote_addr())
        db.commit()
        flash(
            _("The account is active again.")
            if user.active
            else _("The account was deactivated; its sessions have ended.")
        )
    return redirect(url_for("accounts_admin.edit", user_id=user.id))


@bp.post("/<int:user_id>/reset-sandi")
@requires(Permission.ACCOUNTS_MANAGE)
def reset_password(user_id: int):
    """A new temporary password, shown once."""
    user = _user(user_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("accounts_admin.edit", user_id=user.id))
    db = get_session()
    temporary = accounts.reset_password(db, current_account(), user, remote_addr())
    db.commit()
    return render_template(
        "admin/secret.html", user=user, secret=temporary, title=_("Password reset")
    )


@bp.route("/massal", methods=["GET", "POST"])
@requires(Permission.ACCOUNTS_MANAGE)
def bulk():
    """Ketua RT accounts for every RT of an area, as a workbook of one-time codes."""
    form = BulkAccountsForm()
    error = None
    if form.validate_on_submit():
        db = get_session()
        area = get_area(db, form.area_code.data.strip())
        if area is None or area.level not in ("kota", "kecamatan", "kelurahan"):
            error = _("Enter the code of the city, a kecamatan or a kelurahan.")
        else:
            created = rt_accounts.create_rt_accounts(
                db,
                current_account(),
                area,
                datetime.now(UTC),
                current_app.config["ACTIVATION_VALID_DAYS"],
                remote_addr(),
            )
            db.commit()
            return _created_page(area, created)
    elif form.is_submitted():
        error = _("Enter the code of the city, a kecamatan or a kelurahan.")
    return render_template("admin/bulk.html", form=form, error=error), 422 if error else 200


def _created_page(area: Area, created: list) -> Response:
    """The bulk page again, fresh: what was created and the workbook as a download link.

    The codes exist only in this response (never stored in clear), so the workbook rides in
    the page as a ``data:`` link instead of a second request; the page is never cached.
    """
    workbook = _activation_workbook(area, created)
    done = {
        "message": _(
            "%(count)s new ketua RT accounts for %(area)s.", count=len(created), area=area.name
        ),
        "href": "data:" + XLSX + ";base64," + base64.b64encode(workbook).decode("ascii"),
        "filename": f"aktivasi-ketua-rt-{area.code}.xlsx",
    }
    page = render_template("admin/bulk.html", form=BulkAccountsForm(formdata=None), done=done)
    return Response(page, headers={"Cache-Control": "no-store"})


def _activation_workbook(area: Area, created: list) -> bytes:
    """The lurah's workbook: one row per new account with its one-time code."""
    header = [
        _("Kecamatan"),
        _("Kelurahan"),
        "RW",
        "RT",
        _("Username"),
        _("Activation code"),
        _("Valid until"),
    ]
    rows = [
        [
            a.kecamatan,
            a.kelurahan,
            a.rw,
            a.rt,
            a.username,
            a.code,
            a.expires_at.strftime("%Y-%m-%d"),
        ]
        for a in created
    ]
    notes = [
        _("Ketua RT accounts for %(area)s: %(count)s new.", area=area.name, count=len(created)),
        _("Hand each code to its ketua RT only. They activate at /aktivasi."),
    ]
    return exporting.to_xlsx(_("Activation"), header, rows, notes)
