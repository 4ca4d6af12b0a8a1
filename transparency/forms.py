"""Web forms (Flask-WTF): each declares exactly the fields its view reads.

Extra fields a client sends (``role``, ``area_id`` …) are never read: only the
account administration form carries role, area and department.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from transparency.models import Role


class LoginForm(FlaskForm):
    """Username and password; ``next`` is checked before use."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField(_l("Keep me signed in on this device (14 days)"))
    next = HiddenField()


class LogoutForm(FlaskForm):
    """An empty form: its CSRF token is what matters."""


class ChangePasswordForm(FlaskForm):
    """The user's own password change."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
    )


class ActivateForm(FlaskForm):
    """An RT head's first sign-in: username and code from the lurah, a password of their own."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    code = StringField(_l("Activation code"), validators=[DataRequired(), Length(max=40)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
    )


ROLE_LABELS = {
    Role.WALIDATA: _l("Walidata"),
    Role.OPERATOR: _l("Department operator"),
    Role.CAMAT: _l("Camat"),
    Role.LURAH: _l("Lurah"),
    Role.KETUA_RW: _l("Ketua RW"),
    Role.KETUA_RT: _l("Ketua RT"),
}


class AccountForm(FlaskForm):
    """The walidata's account form: the only place role, area and department are set."""

    username = StringField(_l("Username"), validators=[Optional(), Length(max=80)])
    display_name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        _l("Role"), choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()]
    )
    area_code = StringField(_l("Area code"), validators=[Optional(), Length(max=40)])
    department_code = SelectField(
        _l("Department"), choices=[SelectChoice("", "—")], validate_choice=False
    )


class BulkAccountsForm(FlaskForm):
    """The area whose RTs get ketua RT accounts."""

    area_code = StringField(_l("Area code"), validators=[DataRequired(), Length(max=40)])


class ConfirmForm(FlaskForm):
    """A button that changes state: deactivate, reactivate, reset a password."""
