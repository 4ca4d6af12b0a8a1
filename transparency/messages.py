"""Problem codes rendered as sentences in the user's language (the edge of the pipeline).

Only views and CLI call this module; the pipeline itself knows codes, not words.
"""

from flask_babel import gettext, lazy_gettext

from transparency.problems import Problem

FIELDS = {
    "kelurahan_code": lazy_gettext("kelurahan code"),
    "rw": lazy_gettext("RW"),
    "rt": lazy_gettext("RT"),
    "households": lazy_gettext("number of households (KK)"),
    "residents": lazy_gettext("number of residents (jiwa)"),
}

TEMPLATES = {
    "file.not_spreadsheet": lazy_gettext(
        "The file is not a spreadsheet. Upload an Excel workbook (.xlsx, .xls) or a CSV file."
    ),
    "file.unreadable": lazy_gettext(
        "The workbook could not be read; it may be damaged. Save it again in Excel and retry."
    ),
    "file.too_many_rows": lazy_gettext("The sheet has more than %(limit)s rows."),
    "register.missing_column": lazy_gettext(
        'The column for %(field)s was not found. Add a column headed, for example, "%(example)s".'
    ),
    "register.empty": lazy_gettext("The sheet has no RT rows below its header."),
    "register.bad_kelurahan_code": lazy_gettext(
        '"%(value)s" is not a kelurahan code (like 35.78.07.1002 or 3578071002).'
    ),
    "register.unknown_kelurahan": lazy_gettext(
        "Kelurahan code %(code)s is not a kelurahan of this city."
    ),
    "register.bad_number": lazy_gettext('%(field)s "%(value)s" is not a number from 1 to 999.'),
    "register.missing_count": lazy_gettext("The %(field)s is empty."),
    "register.bad_count": lazy_gettext(
        'The %(field)s "%(value)s" is not a whole number of zero or more.'
    ),
    "register.duplicate_rt": lazy_gettext(
        "This RT is listed twice: it already appears in row %(first_row)s."
    ),
}

EXAMPLES = {
    "kelurahan_code": "KODE KELURAHAN",
    "rw": "RW",
    "rt": "RT",
    "households": "JUMLAH KK",
    "residents": "JUMLAH JIWA",
}


def describe(problem: Problem) -> str:
    """The problem's reason as one sentence in the current locale."""
    params = {"value": problem.value or "", **problem.params}
    if "field" in params:
        params["example"] = EXAMPLES.get(params["field"], params["field"])
        params["field"] = str(FIELDS.get(params["field"], params["field"]))
    template = TEMPLATES.get(problem.code)
    return str(template) % params if template else problem.code


def locate(problem: Problem) -> str:
    """Where the problem is: sheet, row and column, as far as known."""
    parts = []
    if problem.sheet:
        parts.append(gettext('sheet "%(name)s"', name=problem.sheet))
    if problem.row:
        parts.append(gettext("row %(row)s", row=problem.row))
    if problem.column:
        parts.append(gettext("column %(column)s", column=problem.column))
    return ", ".join(parts)


def render(problem: Problem) -> str:
    """Location and reason together, e.g. ``row 17, column E: …``."""
    where = locate(problem)
    return f"{where}: {describe(problem)}" if where else describe(problem)


ACCOUNT_TEMPLATES = {
    "password.too_short": lazy_gettext("The password must have at least 10 characters."),
    "password.too_long": lazy_gettext("The password may have at most 128 characters."),
    "password.common": lazy_gettext(
        "This password is too common; choose a longer phrase of your own."
    ),
    "password.repetitive": lazy_gettext("The password repeats too few different characters."),
    "password.contextual": lazy_gettext(
        "The password must not be built from your username, your name or your area."
    ),
    "account.wrong_current_password": lazy_gettext("The current password is not right."),
    "account.activation_invalid": lazy_gettext(
        "The username or activation code is not right, or the code has expired. "
        "Ask your lurah for a new code."
    ),
    "account.unknown_area": lazy_gettext("There is no area with code %(code)s."),
    "account.unknown_department": lazy_gettext("There is no department %(code)s."),
    "account.department_required": lazy_gettext("A department operator needs a department."),
    "account.area_required": lazy_gettext("This role needs an area of the right level."),
    "account.area_level": lazy_gettext("A %(role)s answers for an area of level %(level)s."),
    "account.username_taken": lazy_gettext("That username is already in use."),
    "account.username_required": lazy_gettext("A username is required."),
}


def account_error(error) -> str:
    """An ``AccountError`` as one sentence in the current locale."""
    template = ACCOUNT_TEMPLATES.get(error.code)
    return str(template) % error.params if template else error.code
