"""Uploads by department operators (and the walidata): file → mapping → dry run → commit.

Thin views over ``services.imports``: an operator sees and commits only their own
department's uploads; the walidata sees all and may restore an earlier version.
"""

import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from transparency import messages, workbook_templates
from transparency.access import Permission, requires
from transparency.db import get_session
from transparency.extensions import limiter
from transparency.importing import Mapping, missing_fields, required_fields
from transparency.indicator_sets import IndicatorSet, load_indicator_sets
from transparency.integers import parse_int
from transparency.models import Area, AreaLevel, Department, Period, Upload, UploadStatus
from transparency.problems import Problem
from transparency.security import current_account, current_scope, remote_addr
from transparency.services import audit, import_jobs, imports, mappings
from transparency.spreadsheets import column_letter

bp = Blueprint("uploads", __name__, url_prefix="/unggah")
PROBLEMS_SHOWN = 1000  # rows of the report page's problem table; the rest are counted
_CHILDREN: list[subprocess.Popen] = []  # running import jobs of this server process


def _sets() -> dict[str, IndicatorSet]:
    """The indicator sets this person may upload."""
    sets = load_indicator_sets(Path(current_app.config["INDICATOR_SETS"]))
    db = get_session()
    departments = {d.code: d.id for d in db.exec(select(Department))}
    scope = current_scope()
    return {
        code: s
        for code, s in sets.items()
        if scope.may_upload_for(departments.get(s.department, -1))
    }


def _ttl() -> timedelta:
    return timedelta(hours=current_app.config["IMPORT_TTL_HOURS"])


def _own(upload_id: int) -> Upload:
    """An upload this person may see; 404 otherwise (also for other departments')."""
    upload = get_session().get(Upload, upload_id)
    if upload is None or not current_scope().may_upload_for(upload.department_id):
        abort(404)
    return upload


def _uploader_key() -> str:
    """The limiter key for the upload quota: the signed-in account."""
    return f"uploader:{current_account().id}"


def _upload_throttled(limit) -> None:
    """Record a refused upload (the quota) in the audit trail."""
    db = get_session()
    audit.record(
        db,
        "upload.throttled",
        actor=current_account(),
        outcome="throttled",
        remote_addr=remote_addr(),
        limit=str(limit.limit),
    )
    db.commit()


@bp.route("/", methods=["GET", "POST"])
@requires(Permission.UPLOADS_CREATE)
@limiter.limit(
    lambda: current_app.config["UPLOAD_LIMIT_ACCOUNT"],
    key_func=_uploader_key,
    methods=["POST"],
    scope="upload-account",
    on_breach=_upload_throttled,
)
def new():
    """Choose the indicator set, the period and a saved mapping, and send the file."""
    sets, form, error = _sets(), FlaskForm(), None
    chosen = request.form.get("indicator_set", "")
    if request.method == "POST" and form.validate_on_submit():
        file = request.files.get("file")
        content = file.read() if file else b""
        if file:
            file.close()  # the multipart parser may have spooled it to a temporary file
        iset = sets.get(chosen)
        if iset is not None and file and file.filename and not content:
            error = messages.describe(Problem("file.empty"))  # chosen, but 0 bytes: nothing kept
        elif iset is None or not content:
            error = _("Choose an indicator set and a file.")
        else:
            return _received(
                iset,
                request.form.get("period", ""),
                file.filename or "file",
                content,
                request.form.get("mapping", ""),
            )
    db = get_session()
    saved = {code: mappings.list_mappings(db, s.department, code) for code, s in sets.items()}
    return render_template(
        "uploads/new.html",
        form=form,
        sets=sets,
        saved=saved,
        error=error,
        default_period=_last_month(),
    )


def _last_month() -> str:
    today = datetime.now(UTC).date()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _received(iset: IndicatorSet, period: str, filename: str, content: bytes, mapping_name: str):
    """Keep the file; dry-run it at once with a saved mapping, else have the job read it
    and suggest a mapping for the operator to confirm."""
    db = get_session()
    now = datetime.now(UTC)
    # Files past their deadline go whenever anyone uploads, besides `flask purge-uploads`.
    imports.purge_expired(db, now)
    upload = imports.start_upload(
        db, current_account(), iset, period, filename, content, now, _ttl()
    )
    mapping = mappings.get_mapping(db, iset.department, mapping_name) if mapping_name else None
    # With a saved mapping the job first checks the file's headers against it: a column
    # moved or renamed opens the mapping page, else the dry run follows at once.
    _launch(upload, iset, mapping, job="suggest")
    if mapping is None:
        return redirect(url_for("uploads.mapping", upload_id=upload.id))
    return redirect(url_for("uploads.report", upload_id=upload.id))


def _launch(
    upload: Upload, iset: IndicatorSet, mapping: Mapping | None, job: str = "dry_run"
) -> None:
    """Start a job on the file (suggest a mapping, or the dry run): in a child process with
    limits, or here when configured so. The web process never parses a file itself."""
    db = get_session()
    upload.mapping_applied = mapping.to_json() if mapping else {}
    summary = {k: v for k, v in (upload.summary or {}).items() if k != "suggestion"}
    upload.summary = {**summary, "job": job, "lang": str(get_locale())}
    db.add(upload)
    db.commit()
    if current_app.config["IMPORT_IN_PROCESS"]:
        import_jobs.JOBS[job](
            db,
            db,
            upload.id,
            iset,
            datetime.now(UTC),
            _ttl(),
            build_report=messages.report_builder(str(get_locale())),
        )
        db.commit()
        return
    env = {**os.environ, "DATABASE_URL": current_app.config["DATABASE_URL"]}
    _CHILDREN[:] = [child for child in _CHILDREN if child.poll() is None]  # reap finished
    _CHILDREN.append(
        subprocess.Popen(  # noqa: S603 - our own module, an integer argument
            [sys.executable, "-m", "transparency.worker", str(upload.id)],
            env=env,
            cwd=str(Path(current_app.root_path).parent),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
    )


def _iset_of(upload: Upload) -> IndicatorSet:
    iset = load_indicator_sets(Path(current_app.config["INDICATOR_SETS"])).get(upload.indicator_set)
    if iset is None:
        abort(404)
    return iset


@bp.route("/<int:upload_id>/pemetaan", methods=["GET", "POST"])
@requires(Permission.UPLOADS_CREATE)
def mapping(upload_id: int):
    """Confirm or correct the suggested sheet, columns and category values."""
    upload = _own(upload_id)
    db = get_session()
    suggestion = (upload.summary or {}).get("suggestion")
    if upload.status != UploadStatus.QUEUED or not suggestion:
        return redirect(url_for("uploads.report", upload_id=upload.id))
    if not imports.file_exists(db, upload):
        return redirect(url_for("uploads.report", upload_id=upload.id))
    iset = _iset_of(upload)
    suggested = Mapping.from_json(suggestion["mapping"])
    header, found_values = suggestion["header"], suggestion["values"]
    form, error = FlaskForm(), None
    if request.method == "POST" and form.validate_on_submit():
        confirmed = _confirmed(suggested, header, found_values, iset)
        missing = missing_fields(confirmed.columns, iset)
        if not missing:
            name = request.form.get("save_as", "").strip()[:120]
            if name:
                mappings.save_mapping(
                    db, iset.department, name, iset.code, confirmed, current_account()
                )
            _launch(upload, iset, confirmed)
            return redirect(url_for("uploads.report", upload_id=upload.id))
        suggested = replace(confirmed, missing=missing)
        error = _("Choose a column for: %(fields)s.", fields=", ".join(map(_label, missing)))
    problems = [imports.problem_from_json(p) for p in suggestion.get("problems", [])]
    missing = set(suggested.missing)
    return render_template(
        "uploads/mapping.html",
        upload=upload,
        iset=iset,
        form=form,
        mapping=suggested,
        header=header,
        samples=suggestion.get("samples") or [[] for _ in header],
        private=set(suggestion.get("private") or ()),
        fields=_fields(iset),
        required=set(required_fields(iset)),
        missing=missing,
        values=found_values,
        letter=column_letter,
        problems=[p for p in problems if p.code != "import.missing_column"],
        changes=suggestion.get("changes", []),
        error=error,
        render=messages.render,
        label=_label,
    )


def _label(name: str) -> str:
    """A field's or an indicator's name in the user's language."""
    return messages.field_label(name)


def _fields(iset: IndicatorSet) -> list[str]:
    """The fields the mapping page offers, in a reading order."""
    order = ["kelurahan_code", "kelurahan", "kecamatan_code", "kecamatan", "rw", "rt", "rt_rw"]
    return order + [name for name in iset.column_aliases() if name not in order]


def _confirmed(suggested: Mapping, header: list, values: list[str], iset: IndicatorSet) -> Mapping:
    """The mapping as the operator confirmed it on the form (unknown entries are ignored)."""
    columns = {}
    for name in _fields(iset):
        column = parse_int(request.form.get(f"col_{name}"), maximum=len(header) - 1)
        if column is not None:
            columns[name] = column
    for shared in ("rt_rw", "rt_text"):  # one column holding the RT and the RW
        if shared in columns and "rt" not in columns and "rw" not in columns:
            columns["rt"] = columns[shared]
    chosen = {}
    for index, text in enumerate(values):
        category = request.form.get(f"val_{index}", "")
        if category in iset.categories:
            chosen[text] = category
    return Mapping(
        sheet=suggested.sheet,
        header_row=suggested.header_row,
        columns=columns,
        values=chosen,
        headers={n: str(header[c]) for n, c in columns.items()},
        ignored=[
            str(h) for i, h in enumerate(header) if i not in columns.values() and str(h).strip()
        ],
        header_first=suggested.header_first,
    )


@bp.get("/<int:upload_id>")
@requires(Permission.UPLOADS_CREATE)
def report(upload_id: int):
    """The dry-run report: counts, the mapping applied, changes and every problem."""
    upload = _own(upload_id)
    if upload.status == UploadStatus.QUEUED and (upload.summary or {}).get("suggestion"):
        return redirect(url_for("uploads.mapping", upload_id=upload.id))
    if UploadStatus(upload.status).running:
        stall = timedelta(seconds=current_app.config["IMPORT_STALL_SECONDS"])
        if import_jobs.sweep_stalled(get_session(), datetime.now(UTC), stall):
            get_session().commit()
    stored = upload.problems[:PROBLEMS_SHOWN]
    problems = [imports.problem_from_json(p) for p in stored]
    # The job stores at most imports.MAX_STORED_PROBLEMS, the page lists PROBLEMS_SHOWN:
    # the rest are counted, never silently left out.
    found = max((upload.summary or {}).get("problem_count", 0), len(upload.problems))
    blocked = (upload.summary or {}).get("blocked")
    if blocked:
        counts = {"accepted": upload.rows_accepted, "rejected": upload.rows_rejected}
        blocked = messages.refusal(imports.ImportRefused(blocked, **counts))
    summary = upload.summary or {}
    removed = summary.get("removed_by_kelurahan") or {}
    names = imports.kelurahan_names(get_session(), removed)
    return render_template(
        "uploads/report.html",
        upload=upload,
        blocked=blocked,
        coverage=imports.by_kecamatan(get_session(), summary.get("covers") or []),
        widen=summary.get("widen"),
        kecamatan=imports.list_kecamatan(get_session()),
        removals=[
            (*names.get(code, (code, "", ""))[::2], counts["rts"], counts["figures"])
            for code, counts in removed.items()
        ],
        problems=problems,
        problems_more=found - len(problems),
        render=messages.render,
        group_rows=messages.group_rows,
        label=messages.field_label,
        letter=column_letter,
        form=FlaskForm(),
        period=get_session().get(Period, upload.period_id),
        mine=upload.uploaded_by_id == current_account().id,
        progress=progress_of(upload),
    )


def progress_of(upload: Upload) -> dict:
    """How far the check of a running upload got: rows checked of the rows in the mapped
    sheet (its extent, kept when the file was first read; unknown without it)."""
    summary = upload.summary or {}
    checked = int(summary.get("rows_checked", 0))
    applied = upload.mapping_applied or {}
    extent = (summary.get("sheet_rows") or {}).get(applied.get("sheet"))
    total = max(extent - int(applied.get("header_row", 1)), checked, 1) if extent else None
    if total:
        text = _(
            "%(checked)s of %(total)s rows checked",
            checked=format_decimal(checked),
            total=format_decimal(total),
        )
    else:
        text = _("%(checked)s rows checked", checked=format_decimal(checked))
    return {
        "status": str(upload.status),
        "running": UploadStatus(upload.status).running,
        "rows_checked": checked,
        "rows_total": total,
        "text": text,
    }


@bp.get("/<int:upload_id>/status.json")
@requires(Permission.UPLOADS_CREATE)
def status(upload_id: int):
    """The progress of the check as JSON, for the report page to update in place."""
    response = jsonify(progress_of(_own(upload_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:upload_id>/laporan.xlsx")
@requires(Permission.UPLOADS_CREATE)
def report_workbook(upload_id: int):
    """The operator's rows with a reason column and the bad cells marked; only while the
    file is kept (until commit or cancel, a day at most)."""
    upload = _own(upload_id)
    body = imports.report_of(get_session(), upload)
    if body is None:
        abort(404)
    disposition = f'attachment; filename="laporan-unggah-{upload.id}.xlsx"'
    return Response(
        body,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bp.post("/<int:upload_id>/simpan")
@requires(Permission.UPLOADS_CREATE)
def commit(upload_id: int):
    """Commit exactly the dry run shown."""
    upload = _own(upload_id)
    db = get_session()
    if FlaskForm().validate_on_submit():
        try:
            imports.commit_upload(
                db,
                upload.id,
                current_account(),
                request.form.get("sha256", ""),
                datetime.now(UTC),
                remote_addr(),
                confirm_removals=request.form.get("confirm_removals") == "1",
            )
        except imports.ImportRefused as exc:
            db.rollback()
            flash(messages.refusal(exc), "error")
        except IntegrityError:  # a constraint refused the write: all of it is rolled back
            db.rollback()
            current_app.logger.exception("commit of upload %s refused by the database", upload_id)
            flash(
                _("The figures could not be saved; nothing was written. Please try again."), "error"
            )
        else:
            db.commit()
            flash(_("The figures were saved and are now in force."))
    return redirect(url_for("uploads.report", upload_id=upload.id))


@bp.post("/<int:upload_id>/cakupan")
@requires(Permission.UPLOADS_CREATE)
def coverage(upload_id: int):
    """Check the dry run again covering more than the file's kelurahan: the whole city or a
    kecamatan, the operator's explicit choice (or back to the file's own coverage)."""
    upload = _own(upload_id)
    db = get_session()
    if FlaskForm().validate_on_submit():
        choice = request.form.get("coverage", "")
        kecamatan = {f"kecamatan:{code}" for code, _name in imports.list_kecamatan(db)}
        if upload.status != UploadStatus.READY or not imports.file_exists(db, upload):
            flash(messages.refusal(imports.ImportRefused("import.already_done")), "error")
        elif upload.uploaded_by_id != current_account().id:
            flash(messages.refusal(imports.ImportRefused("import.not_yours")), "error")
        elif choice not in {"", "city", *kecamatan}:
            flash(messages.describe(Problem("import.bad_coverage", value=choice[:40])), "error")
        else:
            upload.status = UploadStatus.QUEUED
            upload.summary = {**(upload.summary or {}), "widen": choice or None}
            applied = upload.mapping_applied
            _launch(upload, _iset_of(upload), Mapping.from_json(applied) if applied else None)
    return redirect(url_for("uploads.report", upload_id=upload.id))


@bp.post("/<int:upload_id>/batal")
@requires(Permission.UPLOADS_CREATE)
def cancel(upload_id: int):
    """Drop a dry run: nothing is written and nothing of the file is kept."""
    upload = _own(upload_id)
    db = get_session()
    if FlaskForm().validate_on_submit():
        try:
            imports.cancel_upload(db, upload.id, current_account())
        except imports.ImportRefused as exc:
            flash(messages.refusal(exc), "error")
        db.commit()
    return redirect(url_for("uploads.history"))


@bp.get("/riwayat")
@requires(Permission.UPLOADS_CREATE)
def history():
    """The uploads of the department (all departments for the walidata), newest first."""
    db = get_session()
    scope = current_scope()
    statement = (
        select(Upload, Department.name, Period.code)
        .join(Department, Department.id == Upload.department_id)
        .join(Period, Period.id == Upload.period_id)
        .order_by(Upload.id.desc())
        .limit(200)
    )
    if scope.department_id is not None:
        statement = statement.where(Upload.department_id == scope.department_id)
    active = imports.active_upload_ids(db)
    return render_template(
        "uploads/history.html",
        rows=db.exec(statement).all(),
        active=active,
        form=FlaskForm(),
        can_restore=scope.can(Permission.UPLOADS_RESTORE),
    )


@bp.post("/<int:upload_id>/pulihkan")
@requires(Permission.UPLOADS_RESTORE)
def restore(upload_id: int):
    """Make an earlier committed upload the version in force again."""
    _own(upload_id)
    db = get_session()
    if FlaskForm().validate_on_submit():
        try:
            imports.restore_upload(db, upload_id, current_account(), datetime.now(UTC))
        except imports.ImportRefused as exc:
            db.rollback()
            flash(messages.refusal(exc), "error")
        else:
            db.commit()
            flash(_("The earlier version is in force again."))
    return redirect(url_for("uploads.history"))


@bp.get("/templat/<code>.xlsx")
@requires(Permission.UPLOADS_CREATE)
def template(code: str):
    """The indicator set's template workbook."""
    iset = _sets().get(code)
    if iset is None:
        abort(404)
    db = get_session()
    kecamatan = {
        a.id: a.name for a in db.exec(select(Area).where(Area.level == AreaLevel.KECAMATAN))
    }
    kelurahan = [
        (a.code, a.name, kecamatan.get(a.parent_id, ""))
        for a in db.exec(select(Area).where(Area.level == AreaLevel.KELURAHAN).order_by(Area.code))
    ]
    body = workbook_templates.build_template(iset, kelurahan)
    return Response(
        body,
        headers={"Content-Disposition": f'attachment; filename="templat-{code}.xlsx"'},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
