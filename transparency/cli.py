"""``flask`` commands: the demo city and the RT/RW register import."""

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale, gettext

from transparency import messages
from transparency.db import get_session
from transparency.services import accounts, demo, publishing, wilayah
from transparency.services.register import RegisterReport, import_register


def init_app(app: Flask) -> None:
    """Add the command groups to the app's CLI."""
    from transparency.cli_import import import_command, purge_uploads_command

    app.cli.add_command(import_command)
    app.cli.add_command(purge_uploads_command)
    app.cli.add_command(city_cli)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(register_cli)
    app.cli.add_command(publications_cli)


@click.group("city", cls=AppGroup)
def city_cli() -> None:
    """The city's official area tree and catalogue."""


@city_cli.command("load")
def city_load_command() -> None:
    """Load the kota, kecamatan and kelurahan, the aliases, departments and indicators."""
    session = get_session()
    demo.load_city(session, Path(current_app.config["SEED_DIR"]))
    session.commit()
    click.echo("City tree and catalogue loaded.")


@city_cli.command("bps-crosswalk")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
def city_bps_crosswalk_command(file: Path, lang: str) -> None:
    """Load a BPS ↔ Kemendagri crosswalk (CSV or XLSX with a BPS desa code and a
    Kemendagri kelurahan code column) as kelurahan aliases, all or nothing."""
    session = get_session()
    with force_locale(lang):
        added, problems = wilayah.load_bps_crosswalk(session, file.read_bytes(), file.name)
        if problems:
            session.rollback()
            for problem in problems:
                click.echo(messages.render(problem), err=True)
            raise click.ClickException(gettext("Nothing was loaded."))
        session.commit()
        click.echo(gettext("%(count)s BPS code(s) loaded as kelurahan aliases.", count=added))


@click.group("accounts", cls=AppGroup)
def accounts_cli() -> None:
    """Accounts."""


@accounts_cli.command("create-walidata")
@click.argument("username")
def create_walidata_command(username: str) -> None:
    """Create a walidata account and print its one-time activation code (valid one day)."""
    session = get_session()
    try:
        _user, code = accounts.create_first_walidata(session, username, datetime.now(UTC))
    except accounts.AccountError as exc:
        session.rollback()
        raise click.ClickException(messages.account_error(exc)) from exc
    session.commit()
    click.echo(f"Walidata account {username} created. Activate it at /aktivasi with the code:")
    click.echo(f"  {code}")


@click.group("demo", cls=AppGroup)
def demo_cli() -> None:
    """The demo city of Surabaya."""


@demo_cli.command("seed")
def seed_command() -> None:
    """Seed the demo on an empty database; do nothing if a city is already there."""
    session = get_session()
    if demo.is_seeded(session):
        click.echo("Demo data already present; nothing to seed.")
        return
    click.echo("Seeding the demo city of Surabaya (about half a minute)…")
    report = demo.seed_demo(session, Path(current_app.config["SEED_DIR"]))
    session.commit()
    click.echo(f"Seeded: {report.created} RT, {demo.DEMO_MONTHS} months of figures.")


@demo_cli.command("logins")
def logins_command() -> None:
    """Print the demo accounts and their passwords."""
    click.echo("Demo logins (username / password — role):")
    for account in demo.DEMO_ACCOUNTS:
        click.echo(f"  {account.username:<22} {account.password:<20} {account.description}")


@click.group("publications", cls=AppGroup)
def publications_cli() -> None:
    """Published releases."""


@publications_cli.command("rederive")
@click.option("--as", "username", required=True, help="The walidata account making the update.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
def rederive_command(username: str, lang: str) -> None:
    """Re-derive every published release with the disclosure rules in force: what they hide
    now is hidden in every version, with the note "privacy protection updated"."""
    session = get_session()
    with force_locale(lang):
        try:
            changed = publishing.rederive_as(session, username, datetime.now(UTC))
        except publishing.PublishRefused as refused:
            session.rollback()
            message = gettext("Only an active walidata account can do this.")
            raise click.ClickException(message) from refused
        session.commit()
        click.echo(gettext("Cells newly hidden: %(count)s", count=sum(changed.values())))
        for code, count in sorted(changed.items()):
            if count:
                click.echo(f"  {code}: {count}")


@click.group("register", cls=AppGroup)
def register_cli() -> None:
    """The RT/RW register."""


@register_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
def register_import_command(file: Path, lang: str, dry_run: bool) -> None:
    """Create or update the RWs and RTs of a register workbook or CSV."""
    session = get_session()
    report = import_register(
        session, file.read_bytes(), file.name, current_app.config["REGISTER_MAX_ROWS"]
    )
    with force_locale(lang):
        click.echo(format_report(report, dry_run))
    if not report.ok:
        session.rollback()
        raise SystemExit(1)
    if dry_run:
        session.rollback()
    else:
        session.commit()


def format_report(report: RegisterReport, dry_run: bool) -> str:
    """The register report as lines of text in the current locale."""
    if not report.ok:
        lines = [
            gettext(
                "The register was not imported; nothing was changed. %(count)s problem(s):",
                count=len(report.problems),
            )
        ]
        lines += ["  " + messages.render(problem) for problem in report.problems]
        return "\n".join(lines)
    head = gettext("Dry run, nothing written:") if dry_run else gettext("Register imported:")
    return gettext(
        '%(head)s %(rows)s RT read from sheet "%(sheet)s" (header on row %(header)s); '
        "%(created)s new, %(updated)s updated, %(unchanged)s unchanged.",
        head=head,
        rows=report.rows,
        sheet=report.sheet,
        header=report.header_row,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
    )
