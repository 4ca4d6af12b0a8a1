"""``flask import``: the same pipeline as the upload page, and the same report, as text."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale, gettext

from transparency import importing, messages
from transparency.db import get_session
from transparency.indicator_sets import load_indicator_sets
from transparency.services import imports, mappings
from transparency.spreadsheets import column_letter


@click.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--department", required=True, help="Department code, e.g. dinsos.")
@click.option(
    "--indicators",
    "indicator_set",
    required=True,
    help="Indicator set code, e.g. dinsos_gamis_pramis.",
)
@click.option("--period", required=True, help="Month, e.g. 2026-10.")
@click.option("--mapping", "mapping_name", help="Use the department's saved mapping.")
@click.option("--save-mapping", help="Save the mapping applied under this name.")
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Read a field from this column (letters or a 1-based number), e.g. anak_sd=E.",
)
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option(
    "--coverage",
    "widen",
    help="Cover more than the kelurahan the file has rows for: city, or kecamatan:35.78.03.",
)
@click.option(
    "--confirm-removals",
    is_flag=True,
    help="Save even though figures in force that the file does not give would be removed.",
)
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
def import_command(
    file,
    department,
    indicator_set,
    period,
    mapping_name,
    save_mapping,
    columns,
    dry_run,
    widen,
    confirm_removals,
    lang,
) -> None:
    """Import a department workbook for an indicator set and a period."""
    session = get_session()
    sets = load_indicator_sets(Path(current_app.config["INDICATOR_SETS"]))
    with force_locale(lang):
        iset = sets.get(indicator_set)
        if iset is None or iset.department != department:
            code = "import.unknown_set" if iset is None else "import.wrong_department"
            refused = imports.ImportRefused(code, code=indicator_set)
            raise click.ClickException(messages.refusal(refused))
        mapping = None
        if mapping_name:
            mapping = mappings.get_mapping(session, department, mapping_name)
            if mapping is None:
                raise click.ClickException(
                    gettext("There is no saved mapping %(name)s.", name=mapping_name)
                )
        data = file.read_bytes()
        mapping = _resolved(data, file.name, iset, mapping, _columns(columns))
        report = imports.preview_import(
            session, data, file.name, iset, period, mapping, widen=widen
        )
        click.echo(format_report(report))
        coverage_lines = format_coverage(session, report)
        if coverage_lines:
            click.echo(coverage_lines)
        now = datetime.now(UTC)
        upload = imports.stage_import(
            session, report, None, now, timedelta(hours=current_app.config["IMPORT_TTL_HOURS"])
        )
        if save_mapping and report.mapping is not None:
            mappings.save_mapping(
                session, department, save_mapping, iset.code, report.mapping, None
            )
        if dry_run or not report.can_commit or report.plan.is_noop:
            if upload.status == "ready":  # a dry run, or rows mostly rejected: never kept
                imports.cancel_upload(session, upload.id, None)
            session.commit()
            click.echo(_closing(report, dry_run))
            raise SystemExit(0 if report.can_commit else 1)
        try:
            imports.commit_upload(
                session, upload.id, None, report.sha256, now, confirm_removals=confirm_removals
            )
        except imports.ImportRefused as refused:
            session.rollback()
            raise click.ClickException(messages.refusal(refused)) from None
        session.commit()
        click.echo(gettext("Committed as upload %(id)s.", id=upload.id))


def _columns(given: tuple[str, ...]) -> dict[str, int]:
    """``--column FIELD=COLUMN`` options as field → zero-based column."""
    columns = {}
    for spec in given:
        name, _, column = spec.partition("=")
        index = mappings.column_index(column)
        if not name.strip() or index is None:
            raise click.ClickException(
                gettext(
                    'Give a column as FIELD=COLUMN, e.g. anak_sd=E or anak_sd=5 (not "%(spec)s").',
                    spec=spec,
                )
            )
        columns[name.strip()] = index
    return columns


def _resolved(data, filename, iset, saved, columns):
    """The mapping to import with: the saved one checked against the file's headers, the
    columns given on the command line applied; stops with exit status 1, naming what is
    missing or moved and the columns found, when it cannot be read so."""
    try:
        resolved = mappings.resolve_mapping(data, filename, iset, saved, columns)
    except mappings.UnknownField as exc:
        raise click.ClickException(
            gettext("This indicator set has no field %(fields)s.", fields=str(exc))
        ) from exc
    if resolved.mapping is None:
        return saved  # unreadable or no header: the dry run reports why
    if not resolved.changes and not resolved.missing:
        return resolved.mapping if (saved is not None or columns) else None
    lines = []
    for change in resolved.changes:
        lines.append(
            gettext(
                '%(field)s: column %(column)s was headed "%(saved)s" and is now headed "%(now)s".',
                field=messages.field_label(change["field"]),
                column=change["column"],
                saved=change["saved"],
                now=change["now"],
            )
        )
    if resolved.changes:
        lines.insert(0, gettext("The saved mapping does not fit this file:"))
    if resolved.missing:
        lines.append(
            gettext(
                "Columns not found: %(fields)s.",
                fields=", ".join(messages.field_label(name) for name in resolved.missing),
            )
        )
    found = resolved.suggestion or resolved.mapping
    lines.append(gettext("Columns found in the file:"))
    for name, column in sorted(found.columns.items(), key=lambda item: item[1]):
        lines.append(
            f"  {column_letter(column)}  {found.headers.get(name, '')!r} → "
            f"{messages.field_label(name)}"
        )
    lines.append(
        gettext(
            "Give the columns with --column FIELD=COLUMN (fields: %(fields)s). Nothing was "
            "imported.",
            fields="; ".join(
                f"{name} = {messages.field_label(name)}" for name in iset.column_aliases()
            ),
        )
    )
    click.echo("\n".join(lines), err=True)
    raise SystemExit(1)


@click.command("purge-uploads")
@with_appcontext
def purge_uploads_command() -> None:
    """Delete every kept upload file past its deadline (a day after receipt); run it
    hourly from cron. Each new upload on the web does the same."""
    session = get_session()
    purged = imports.purge_expired(session, datetime.now(UTC))
    session.commit()
    click.echo(f"{purged} expired upload file(s) deleted.")


def format_coverage(session, report: imports.ImportReport) -> str:
    """The kelurahan the file covers, by kecamatan, and the figures in force it would
    remove, per kelurahan (a warning: the commit needs ``--confirm-removals``)."""
    lines = []
    covered = report.outcome.covered if report.outcome else []
    if covered:
        lines.append(gettext("The file has accepted rows for these kelurahan:"))
        for kecamatan, kelurahan in imports.by_kecamatan(session, covered):
            lines.append(
                "  " + gettext("Kecamatan %(name)s", name=kecamatan) + ": " + ", ".join(kelurahan)
            )
    if report.plan is not None and report.plan.removed:
        removed = importing.removed_by_kelurahan(report.plan.removed, report.rt_codes)
        names = imports.kelurahan_names(session, removed)
        lines.append(
            "["
            + gettext("warning")
            + "] "
            + gettext(
                "These RTs have figures in force that the file does not give again. Saving "
                "removes them:"
            )
        )
        for code, counts in removed.items():
            name, _kec_code, kecamatan = names.get(code, (code, "", ""))
            lines.append(
                "  "
                + gettext(
                    "Kelurahan %(kelurahan)s (kecamatan %(kecamatan)s): %(rts)s RTs, "
                    "%(figures)s figures",
                    kelurahan=name,
                    kecamatan=kecamatan,
                    rts=counts["rts"],
                    figures=counts["figures"],
                )
            )
    return "\n".join(lines)


def _closing(report: imports.ImportReport, dry_run: bool) -> str:
    if report.blocked and not report.refused:
        refused = imports.ImportRefused(
            report.blocked,
            accepted=report.outcome.rows_accepted,
            rejected=report.outcome.rows_rejected,
        )
        return messages.refusal(refused)
    if not report.can_commit:
        return gettext("Nothing was imported.")
    if report.plan.is_noop:
        return gettext("The figures in force are already exactly these: nothing to do.")
    return gettext("Dry run: nothing was written.")


PROBLEMS_LISTED = 200  # problems printed one per line; the rest are counted


def format_report(report: imports.ImportReport) -> str:
    """The dry-run report as lines of text in the current locale."""
    lines = [
        gettext(
            "File %(name)s (sha256 %(sha)s…), indicator set %(set)s, period %(period)s.",
            name=report.filename,
            sha=report.sha256[:12],
            set=report.indicator_set.code,
            period=report.period,
        )
    ]
    if report.mapping is not None:
        mapping = report.mapping
        lines.append(
            gettext(
                'Sheet "%(sheet)s", header on row %(row)s. Columns read:',
                sheet=mapping.sheet,
                row=mapping.header_row,
            )
        )
        for name, column in sorted(mapping.columns.items(), key=lambda item: item[1]):
            lines.append(
                f"  {column_letter(column)}  {mapping.headers.get(name, '')!r} → "
                f"{messages.field_label(name)}"
            )
        for text, category in sorted(mapping.values.items()):
            lines.append(f"  {text!r} → {category}")
        if mapping.ignored:
            lines.append(
                gettext("Columns not read: %(columns)s", columns=", ".join(mapping.ignored))
            )
    outcome, plan = report.outcome, report.plan
    if outcome is not None:
        lines.append(
            gettext(
                "Rows read %(read)s, accepted %(accepted)s, rejected %(rejected)s, with warnings "
                "%(warned)s.",
                read=outcome.rows_read,
                accepted=outcome.rows_accepted,
                rejected=outcome.rows_rejected,
                warned=outcome.rows_warned,
            )
        )
    if plan is not None:
        lines.append(
            gettext(
                "RT figures: %(new)s new, %(changed)s changed, %(unchanged)s unchanged, "
                "%(removed)s no longer in the file.",
                new=len(plan.new),
                changed=len(plan.changed),
                unchanged=plan.unchanged,
                removed=len(plan.removed),
            )
        )
        for change in plan.changed[:10]:
            lines.append(
                f"  {report.rt_codes.get(change.rt_id)} {messages.field_label(change.indicator)}: "
                f"{change.old} → {change.new}"
            )
    problems = report.listed_problems  # the same problem on many rows: one line
    if problems:
        lines.append(gettext("%(count)s problem(s):", count=len(report.all_problems)))
        for problem in problems[:PROBLEMS_LISTED]:
            mark = gettext("rejected") if problem.severity == "error" else gettext("warning")
            lines.append(f"  [{mark}] {messages.render(problem)}")
        if len(problems) > PROBLEMS_LISTED:
            more = len(problems) - PROBLEMS_LISTED
            lines.append("  " + gettext("+%(count)s more, not listed here.", count=more))
    return "\n".join(lines)
