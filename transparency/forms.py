"""Web forms (Flask-WTF): each declares exactly the fields its view reads.

Extra fields a client sends (``role``, ``area_id`` …) are never read: only the
account administration form carries role, area and department.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

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


class VerifyForm(FlaskForm):
    """The RT head's word on one figure: the version they saw, confirm or dispute."""

    indicator = HiddenField(validators=[DataRequired(), Length(max=60)])
    period = HiddenField(validators=[DataRequired(), Length(max=10)])
    upload = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    action = SelectField(
        choices=[SelectChoice("confirm", _l("Correct")), SelectChoice("dispute", _l("Not right"))]
    )
    note = TextAreaField(_l("What is wrong?"), validators=[Optional(), Length(max=2000)])
    claimed_value = IntegerField(
        _l("The right figure (if you know it)"),
        validators=[Optional(), NumberRange(min=0, max=10_000_000)],
    )


class AnswerForm(FlaskForm):
    """An official's answer to a dispute: accepted, or rejected with a reason."""

    decision = SelectField(
        _l("Answer"),
        choices=[
            SelectChoice("accepted", _l("Accepted: to be corrected in the next upload")),
            SelectChoice("rejected", _l("Rejected")),
        ],
    )
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class LanguageForm(FlaskForm):
    """The language a signed-in person wants, remembered on their account."""

    lang = SelectField(
        choices=[SelectChoice("id", "Bahasa Indonesia"), SelectChoice("en", "English")]
    )
    next = HiddenField()
