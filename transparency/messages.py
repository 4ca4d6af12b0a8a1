"""Problem codes rendered as sentences in the user's language (the edge of the pipeline).

Only views and CLI call this module; the pipeline itself knows codes, not words.
"""

from collections.abc import Callable

from flask import g, has_app_context
from flask_babel import force_locale, format_decimal, get_locale, gettext, lazy_gettext
from sqlmodel import select

from transparency import error_report
from transparency.db import get_session
from transparency.models import Indicator
from transparency.problems import Problem

FIELDS = {
    "kelurahan_code": lazy_gettext("kelurahan code"),
    "rw": lazy_gettext("RW"),
    "rt": lazy_gettext("RT"),
    "households": lazy_gettext("number of households (KK)"),
    "residents": lazy_gettext("number of residents (jiwa)"),
    "kelurahan": lazy_gettext("kelurahan"),
    "kecamatan": lazy_gettext("kecamatan"),
    "rt_rw": lazy_gettext("RT/RW"),
    "household_id": lazy_gettext("family card number (No. KK)"),
    "members": lazy_gettext("number of family members"),
    "category": lazy_gettext("category"),
    "kecamatan_code": lazy_gettext("kecamatan code"),
    "rt_text": lazy_gettext("RT and RW in a text (address, SLS name)"),
    "bps": lazy_gettext("BPS code"),
    "kemendagri": lazy_gettext("Kemendagri code"),
    "birth_date": lazy_gettext("birth date"),
    "status": lazy_gettext("status (Hidup, Mati, Pindah …)"),
}

TEMPLATES = {
    "import.more_than_parts": lazy_gettext(
        "This count (%(value)s) is larger than %(total)s, the sum of columns %(parts)s "
        "that it is part of."
    ),
    "import.formula_without_value": lazy_gettext(
        "The cell holds a formula without a saved result, so its value is unknown. Open the "
        "file in Excel, let it calculate, save it and send it again, or type the number."
    ),
    "import.error_value": lazy_gettext(
        "The cell holds the error value %(error)s instead of a value."
    ),
    "file.not_spreadsheet": lazy_gettext(
        "The file is not a spreadsheet. Upload an Excel workbook (.xlsx, .xls) or a CSV file."
    ),
    "file.unreadable": lazy_gettext(
        "The workbook could not be read; it may be damaged. Save it again in Excel and retry."
    ),
    "file.xls_unreadable": lazy_gettext(
        "The old Excel file (.xls) could not be read; it may be damaged. Open it in Excel, "
        "save it as .xlsx (Excel Workbook) and send that file."
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
    "file.empty": lazy_gettext("The file is empty."),
    "file.too_large": lazy_gettext("The file is larger than the limit of %(limit)s bytes."),
    "file.encrypted": lazy_gettext(
        "The workbook is protected with a password. Remove the password in Excel and retry."
    ),
    "file.html_table": lazy_gettext(
        "The file is a web page saved as Excel. Open it in Excel and save it as .xlsx."
    ),
    "file.ods": lazy_gettext("The file is an OpenDocument spreadsheet. Save it as .xlsx."),
    "file.xlsb": lazy_gettext("The file is a binary Excel workbook (.xlsb). Save it as .xlsx."),
    "file.damaged": lazy_gettext("The file is damaged. Save it again in Excel and retry."),
    "file.too_many_parts": lazy_gettext("The workbook has too many parts to be a normal file."),
    "file.expands_too_much": lazy_gettext(
        "The workbook expands to far more data than a normal file; it was not opened."
    ),
    "file.bad_part_name": lazy_gettext("The workbook contains a part with a forbidden name."),
    "file.active_content": lazy_gettext(
        "The workbook contains macros, links or embedded objects (%(part)s). Save a copy "
        "without them as a plain .xlsx."
    ),
    "file.xml_dtd": lazy_gettext("The workbook contains unsupported XML (a DTD) in %(part)s."),
    "file.xml_encoding": lazy_gettext(
        "The XML in %(part)s is in an encoding spreadsheet programs do not use (%(encoding)s): "
        "the file is damaged or was not saved by a spreadsheet program. Save it again in "
        "Excel as .xlsx and retry."
    ),
    "file.too_many_sheets": lazy_gettext("The workbook has too many sheets."),
    "file.sheet_too_many_rows": lazy_gettext(
        "Sheet %(sheet)s has %(rows)s rows; the limit is %(limit)s rows. Split the file, "
        "for example by kecamatan."
    ),
    "file.too_many_columns": lazy_gettext(
        "Sheet %(sheet)s has data as far right as column %(column)s; the limit is "
        "%(limit)s columns. Delete stray cells outside the table and send the file again."
    ),
    "file.outside_area": lazy_gettext(
        "Sheet %(sheet)s has data outside the expected area (cell %(cell)s); the limit is "
        "%(limit)s columns. Delete stray cells outside the table and send the file again."
    ),
    "file.cell_too_long": lazy_gettext(
        "A cell holds more than %(limit)s characters, more than a spreadsheet cell may hold."
    ),
    "import.bad_coverage": lazy_gettext(
        'The coverage "%(value)s" is neither the city nor a kecamatan of this city (like '
        "kecamatan:35.78.03)."
    ),
    "import.bad_period": lazy_gettext('The period "%(value)s" is not a month like 2026-10.'),
    "import.no_header": lazy_gettext("No sheet with a header row was found."),
    "import.missing_column": lazy_gettext(
        "The column for %(field)s was not found. Add a column headed, for example, "
        '"%(example)s", or choose the column in the mapping.'
    ),
    "import.duplicate_column": lazy_gettext(
        'Columns %(first)s ("%(first_header)s") and %(second)s ("%(second_header)s") are both '
        "headed as the %(field)s, so it is not clear which one to read. Delete or rename one "
        "of them and send the file again."
    ),
    "import.other_department_column": lazy_gettext(
        'This column ("%(value)s") holds figures for %(indicator)s, an indicator of '
        "%(department)s, which only %(department)s uploads. Nothing was imported: delete the "
        "column and send the file again."
    ),
    "import.subtotal_rows": lazy_gettext(
        "Subtotal rows (like JUMLAH RW 001) were left out, neither counted nor checked: "
        "%(count)s in all (rows %(rows)s). The RT rows they add up are counted."
    ),
    "import.note_rows": lazy_gettext(
        "Notes rows (like Sumber: or Keterangan:) were left out, as they hold no RT's "
        "figures: %(count)s in all (rows %(rows)s)."
    ),
    "import.hidden_rows": lazy_gettext(
        "Rows hidden in Excel were read and checked like every other row: %(count)s in all "
        "(rows %(rows)s). If they do not belong in this upload, delete them and send the "
        "file again."
    ),
    "import.hidden_columns": lazy_gettext(
        "Columns hidden in Excel were read: %(columns)s. Check that they hold what this "
        "upload should count."
    ),
    "import.hidden_sheets": lazy_gettext(
        "Hidden sheets of the workbook were not read: %(sheets)s."
    ),
    "import.mapping_sheet_missing": lazy_gettext(
        "The saved mapping names a sheet this workbook does not have."
    ),
    "import.missing_kelurahan": lazy_gettext("The kelurahan is empty."),
    "import.file_gone": lazy_gettext(
        "The file is no longer kept (over a day old). Upload it again."
    ),
    "import.stalled": lazy_gettext(
        "Checking the file stopped before it finished. Nothing was written; upload it again."
    ),
    "import.too_slow": lazy_gettext(
        "Checking the file took longer than allowed. Nothing was written; split the file or "
        "remove unused formatting and try again."
    ),
    "import.too_big": lazy_gettext(
        "The file needs more memory than allowed to check. Nothing was written; split the file "
        "and try again."
    ),
    "import.crashed": lazy_gettext(
        "Checking the file failed on our side. Nothing was written; please try again."
    ),
    "import.unknown_kelurahan": lazy_gettext('"%(value)s" is not a kelurahan code of this city.'),
    "import.unknown_kelurahan_name": lazy_gettext(
        '"%(value)s" is not a kelurahan of this city (nor a known old name).'
    ),
    "import.kelurahan_mismatch": lazy_gettext(
        '"%(value)s" is another kelurahan than the one the kelurahan code of this row names; '
        "correct the code or the name."
    ),
    "import.ambiguous_kelurahan": lazy_gettext(
        'There is more than one kelurahan named "%(value)s"; the kecamatan column must say which.'
    ),
    "import.bad_number": lazy_gettext('%(field)s "%(value)s" is not a number from 1 to 999.'),
    "import.unknown_rt": lazy_gettext(
        "RT %(rt)s / RW %(rw)s is not in the register of kelurahan %(kelurahan)s."
    ),
    "import.bad_count": lazy_gettext('"%(value)s" is not a whole number of zero or more.'),
    "import.blank_as_zero": lazy_gettext('Empty or "-" was read as 0.'),
    "import.long_number": lazy_gettext(
        "The No. KK is written in scientific notation, so most of its digits are lost and "
        "families cannot be told apart. Export the list again from its source with the No. KK "
        "column as text."
    ),
    "import.household_id_numbers": lazy_gettext(
        "The No. KK is typed as a number in %(count)s cells (rows %(rows)s). The rows were "
        "counted, but Excel keeps only 15 digits of a number, so the last digit of a 16-digit "
        "No. KK may have become 0 and two families may look alike: such families are counted "
        "once and listed as duplicates. Next time, export the No. KK column as text from the "
        "source system."
    ),
    "import.missing_value": lazy_gettext("The %(field)s is empty."),
    "import.duplicate_household": lazy_gettext(
        "The same No. KK as row %(first_row)s: the family is counted once."
    ),
    "import.unknown_category": lazy_gettext(
        '"%(value)s" is not one of the categories of this indicator set.'
    ),
    "import.duplicate_rt": lazy_gettext(
        "This RT is listed twice: it already appears in row %(first_row)s."
    ),
    "import.total_mismatch": lazy_gettext(
        "The stated total %(stated)s differs from the sum of the rows, %(computed)s."
    ),
    "import.rt_text_none": lazy_gettext(
        'No RT and RW number could be read from "%(value)s"; write them like RT 07 RW 03.'
    ),
    "import.bps_code": lazy_gettext(
        '"%(value)s" is a BPS region code (%(bps)s), not a Kemendagri kelurahan code. The '
        "walidata must first load the BPS crosswalk (flask city bps-crosswalk); until then "
        "these rows cannot be placed."
    ),
    "crosswalk.missing_column": lazy_gettext(
        "The crosswalk has no column for the %(field)s (for example KODE BPS and KODE KEMENDAGRI)."
    ),
    "crosswalk.bad_bps_code": lazy_gettext(
        '"%(value)s" is not a BPS desa/kelurahan code of this city (10 digits, like 3578020007).'
    ),
    "crosswalk.unknown_kelurahan": lazy_gettext(
        '"%(value)s" is not a kelurahan code of this city.'
    ),
    "crosswalk.conflict": lazy_gettext("BPS code %(value)s is already given to another kelurahan."),
    "import.rt_text_many": lazy_gettext(
        '"%(value)s" names more than one RT or RW number, so it is not clear which RT the '
        "row belongs to."
    ),
    "import.unknown_status": lazy_gettext(
        '"%(value)s" is not a status this indicator set knows (%(statuses)s); only Hidup '
        "is counted."
    ),
    "import.bad_date": lazy_gettext(
        "The birth date is not a date: type it as a date cell or as text like 31-12-1960 "
        "or 31/12/1960 (day, month, year)."
    ),
    "import.date_too_old": lazy_gettext("The birth date is before 1900."),
    "import.future_date": lazy_gettext("The birth date is in the future."),
    "import.status_left_out": lazy_gettext(
        "Persons whose status is not Hidup were left out, not counted: %(count)s in all "
        "(%(statuses)s; rows %(rows)s)."
    ),
    "import.born_after_period": lazy_gettext(
        "Persons born after %(day)s, the last day of the period, were left out, not "
        "counted: %(count)s in all (rows %(rows)s)."
    ),
}

EXAMPLES = {
    "kelurahan_code": "KODE KELURAHAN",
    "rw": "RW",
    "rt": "RT",
    "households": "JUMLAH KK",
    "residents": "JUMLAH JIWA",
    "kelurahan": "KELURAHAN",
    "household_id": "NO KK",
    "members": "JUMLAH ANGGOTA",
    "category": "KATEGORI",
    "birth_date": "TANGGAL LAHIR",
    "status": "STATUS",
}


def describe(problem: Problem) -> str:
    """The problem's reason as one sentence in the current locale."""
    params = {"value": problem.value or "", **problem.params}
    if "field" in params:
        if "example" not in params:  # the file's own header aliases say it best
            params["example"] = EXAMPLES.get(params["field"], params["field"])
        params["field"] = field_label(params["field"])
    if "indicator" in params:
        params["indicator"] = indicator_name(params["indicator"])
    template = TEMPLATES.get(problem.code)
    return str(template) % params if template else problem.code


def locate(problem: Problem) -> str:
    """Where the problem is: sheet, row and column, as far as known."""
    parts = []
    if problem.sheet:
        parts.append(gettext('sheet "%(name)s"', name=problem.sheet))
    if problem.count > 1:
        parts.append(group_rows(problem))
    elif problem.row:
        parts.append(gettext("row %(row)s", row=problem.row))
    if problem.column:
        parts.append(gettext("column %(column)s", column=problem.column))
    return ", ".join(parts)


def group_rows(problem: Problem) -> str:
    """The rows of a group of problems (``problems.grouped``): "rows 8–7,703 (7,696 rows)"."""
    rows = ", ".join(
        format_decimal(first)
        if first == last
        else f"{format_decimal(first)}\u2013{format_decimal(last)}"
        for first, last in problem.ranges
    )
    if sum(last - first + 1 for first, last in problem.ranges) < problem.count:
        rows += ", \u2026"
    return gettext("rows %(rows)s (%(count)s rows)", rows=rows, count=format_decimal(problem.count))


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


REFUSALS = {
    "import.unknown_upload": lazy_gettext("There is no such upload."),
    "import.already_done": lazy_gettext(
        "This upload was already committed, cancelled or replaced; nothing was changed."
    ),
    "import.not_yours": lazy_gettext("Only the person who ran the dry run can commit it."),
    "import.not_this_file": lazy_gettext("The file differs from the one the dry run checked."),
    "import.expired": lazy_gettext("The dry run is older than a day. Upload the file again."),
    "import.stale": lazy_gettext(
        "Another upload for this period was committed after your dry run. Nothing was changed; "
        "run the dry run again to see the differences."
    ),
    "import.register_changed": lazy_gettext(
        "The area register changed after your dry run (an RT or a kelurahan name was added). "
        "Nothing was changed; upload the file again so its rows are checked against the "
        "current register."
    ),
    "import.not_restorable": lazy_gettext("Only a committed upload can be restored."),
    "import.removals_unconfirmed": lazy_gettext(
        "This upload would remove %(count)s figures in force that the file does not give "
        "again (listed per kelurahan in the report). Nothing was changed: confirm the "
        "removal explicitly to save it."
    ),
    "import.nothing_accepted": lazy_gettext(
        "No row of the file was accepted, so it cannot be saved: nothing was changed. Correct "
        "the rows listed in the report and send the file again."
    ),
    "import.mostly_rejected": lazy_gettext(
        "More rows were rejected (%(rejected)s) than accepted (%(accepted)s), so the file "
        "cannot be saved: nothing was changed. Correct the rows listed in the report and send "
        "the file again."
    ),
    "import.wrong_department": lazy_gettext("This indicator set belongs to another department."),
    "import.unknown_set": lazy_gettext("There is no indicator set %(code)s."),
}

VERIFICATION_REFUSALS = {
    "verification.not_yours": lazy_gettext("Only the ketua RT of this RT can check its figures."),
    "verification.unknown_figure": lazy_gettext("There is no such figure for this RT."),
    "verification.stale": lazy_gettext(
        "The department sent new figures in the meantime. Nothing was saved; look at the new "
        "figures and check them again."
    ),
    "verification.note_required": lazy_gettext(
        "Write what is wrong, for example: there are 12 poor households in our RT, not 19."
    ),
    "verification.note_too_long": lazy_gettext("The note is too long (2,000 characters at most)."),
    "verification.bad_value": lazy_gettext(
        "The right figure must be a whole number of zero or more."
    ),
    "verification.answered": lazy_gettext(
        "This figure's dispute has been answered already; it cannot be changed."
    ),
    "verification.already_answered": lazy_gettext("This dispute has been answered already."),
    "verification.reason_required": lazy_gettext("Give the reason for rejecting the dispute."),
    "verification.bad_form": lazy_gettext("The form was incomplete. Nothing was saved."),
    "verification.decision_required": lazy_gettext(
        "Choose whether you accept or reject the dispute."
    ),
}


VERIFIED_CONFIRM = lazy_gettext("Thank you: the figure is confirmed.")
VERIFIED_DISPUTE = lazy_gettext(
    "Your dispute was sent. The department and the lurah will answer it here."
)
ANSWERED = lazy_gettext("The answer was saved; the ketua RT sees it on their page.")


def verification_refusal(code: str) -> str:
    """A refused verification step as one sentence in the current locale."""
    return str(VERIFICATION_REFUSALS.get(code, code))


def refusal(error) -> str:
    """An ``ImportRefused`` as one sentence in the current locale."""
    template = REFUSALS.get(error.code)
    return str(template) % error.params if template else error.code


def field_label(name: str) -> str:
    """A mapped field's name for people (an indicator's column: the indicator's name)."""
    return str(FIELDS[name]) if name in FIELDS else indicator_name(name)


def indicator_name(code: str) -> str:
    """An indicator's name in the current locale (people never read its code); the code
    itself only outside an app or for a code the catalogue does not know."""
    if not has_app_context():
        return code
    names = g.get("indicator_names")
    if names is None:
        rows = get_session().exec(select(Indicator.code, Indicator.name_id, Indicator.name_en))
        names = g.indicator_names = {code: (name_id, name_en) for code, name_id, name_en in rows}
    if code not in names:
        return code
    return names[code][1] if str(get_locale()) == "en" else names[code][0]


def report_builder(lang: str) -> Callable[[list[list], int, list[Problem]], bytes]:
    """Make the dry run's report workbook in ``lang`` (run by the import job)."""

    def build(rows: list[list], header_row: int, problems: list[Problem]) -> bytes:
        with force_locale(lang):
            return error_report.build_report(
                rows, header_row, problems, describe, str(REASON), str(ROW)
            )

    return build


REASON = lazy_gettext("REASON")
ROW = lazy_gettext("ROW")
