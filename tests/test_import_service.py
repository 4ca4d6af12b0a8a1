"""Importing department files against the database: both sample workbooks through the dry
run, the staged commit, the refusals, the ``flask import`` command, and privacy.

The demo is seeded once for the module over the six kelurahan of the samples; every test
runs in a savepoint of it.
"""

import csv
import hashlib
import io
import json
import random
import re
from datetime import UTC, datetime, timedelta

import flask_babel
import openpyxl
import pytest
from flask.cli import FlaskGroup
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, select

from tests.conftest import SAMPLE_KELURAHAN, SAMPLES, SEED
from transparency import messages
from transparency.areas import child_path
from transparency.cli_import import format_report
from transparency.importing import Change
from transparency.indicator_sets import load_indicator_sets
from transparency.models import (
    ActiveUpload,
    Area,
    AreaLevel,
    AuditEvent,
    Figure,
    ImportMapping,
    Indicator,
    Period,
    StagedFigure,
    Upload,
    UploadFile,
    UploadStatus,
    User,
)
from transparency.problems import Problem
from transparency.queries import figure_in_force
from transparency.services import import_jobs
from transparency.services.import_jobs import dry_run_upload
from transparency.services.imports import (
    ImportRefused,
    cancel_upload,
    commit_upload,
    file_of,
    preview_import,
    purge_expired,
    report_of,
    restore_upload,
    stage_import,
    start_upload,
)

pytestmark = pytest.mark.demo_once

PERIOD = "2026-10"
TTL = timedelta(hours=24)
SETS = load_indicator_sets(SEED / "indicator_sets.json")
DINSOS_FILE = "dinsos_gamis_pramis_2026-10.xlsx"
DISPENDIK_FILE = "dispendik_anak_sekolah_sinau_2026-10.xlsx"
SAMPLE = {  # file → (department, indicator set, expected CSV)
    DINSOS_FILE: ("dinsos", "dinsos_gamis_pramis", "dinsos_gamis_pramis_2026-10.csv"),
    DISPENDIK_FILE: (
        "dispendik",
        "dispendik_anak_sekolah",
        "dispendik_anak_sekolah_sinau_2026-10.csv",
    ),
}
DINSOS_SHEET = "DATA GAMIS PRAMIS"


DEMO_KELURAHAN = SAMPLE_KELURAHAN  # conftest's seeded_connection registers these


@pytest.fixture(scope="module")
def dinsos_preview(seeded_connection):
    """The Dinsos sample's dry run with the suggested mapping (read-only, computed once)."""
    savepoint = seeded_connection.begin_nested()
    with Session(bind=seeded_connection, join_transaction_mode="create_savepoint") as session:
        report = preview(session, DINSOS_FILE)
    savepoint.rollback()
    return report


# --- helpers --------------------------------------------------------------------------


def sample_bytes(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def iset_of(name: str):
    return SETS[SAMPLE[name][1]]


def expected(name: str) -> dict[str, dict[str, int]]:
    """The expected CSV of a sample: RT code → indicator → value."""
    path = SAMPLES / "expected" / SAMPLE[name][2]
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row.pop("rt_code"): {key: int(value) for key, value in row.items()}
            for row in csv.DictReader(handle)
        }


def preview(session, name: str, data: bytes | None = None):
    return preview_import(
        session, sample_bytes(name) if data is None else data, name, iset_of(name), PERIOD
    )


def by_rt(values: dict[tuple[int, str], int], rt_codes: dict[int, str]) -> dict:
    """Pipeline values keyed by RT code, then indicator."""
    result: dict[str, dict[str, int]] = {}
    for (rt_id, indicator), value in values.items():
        result.setdefault(rt_codes[rt_id], {})[indicator] = value
    return result


def in_force_rows(session, indicators) -> list[tuple[str, str, int, int]]:
    """(RT code, indicator, value, upload id) of every figure in force for the period."""
    statement = (
        select(Area.code, Indicator.code, Figure.value, Figure.upload_id)
        .join(Area, Area.id == Figure.area_id)
        .join(Indicator, Indicator.id == Figure.indicator_id)
        .join(Period, Period.id == Figure.period_id)
        .join(ActiveUpload, figure_in_force())
        .where(Indicator.code.in_(indicators), Period.code == PERIOD)
    )
    return list(session.exec(statement))


def in_force(session, name: str) -> dict[str, dict[str, int]]:
    """The figures in force of a sample's indicators: RT code → indicator → value."""
    result: dict[str, dict[str, int]] = {}
    for rt, indicator, value, _upload in in_force_rows(session, iset_of(name).indicators):
        assert indicator not in result.setdefault(rt, {}), f"two figures in force for {rt}"
        result[rt][indicator] = value
    return result


def count_rows(session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def file_rows(session, upload_id: int) -> int:
    """The kept files of an upload (0 or 1): its raw bytes and report workbook."""
    return count_rows(session, UploadFile, UploadFile.upload_id == upload_id)


def user(session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def staged(session, name: str, actor=None, now=None, data: bytes | None = None) -> Upload:
    """A dry run of a sample kept in the database, its bytes kept with it."""
    data = sample_bytes(name) if data is None else data
    report = preview(session, name, data)
    return stage_import(session, report, actor, now or datetime.now(UTC), TTL, content=data)


def edited_dispendik(cell: str, value, **more) -> bytes:
    """The Dispendik sample with a cell (and any ``more`` cells, ``J4=2``) changed."""
    book = openpyxl.load_workbook(SAMPLES / DISPENDIK_FILE)
    for name, new in {cell: value, **more}.items():
        book.active[name] = new
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def refusal(call) -> str:
    with pytest.raises(ImportRefused) as raised:
        call()
    return raised.value.code


def render(app, problem: Problem, lang: str) -> tuple[str, str]:
    """The problem as a full sentence, and its reason alone, in a language."""
    with app.app_context(), flask_babel.force_locale(lang):
        return messages.render(problem), messages.describe(problem)


def flask(runner, args: list[str]):
    """Run a command the way ``flask …`` does: through ``FlaskGroup``, which pushes the
    app context before the command runs."""
    return runner.invoke(cli=FlaskGroup(add_default_commands=False, load_dotenv=False), args=args)


def import_args(name: str, *extra: str) -> list[str]:
    department, indicator_set, _csv = SAMPLE[name]
    return [
        "import",
        str(SAMPLES / name),
        "--department",
        department,
        "--indicators",
        indicator_set,
        "--period",
        PERIOD,
        *extra,
    ]


# --- the dry run of the samples ---------------------------------------------------------


def test_dinsos_sample_adds_up_to_the_expected_figures(dinsos_preview):
    report = dinsos_preview
    assert report.problems == []
    assert by_rt(report.outcome.values, report.rt_codes) == expected(DINSOS_FILE)
    outcome = report.outcome
    assert (outcome.rows_read, outcome.rows_rejected, outcome.rows_warned) == (12756, 2, 1)


def test_dinsos_sample_rejects_exactly_rows_17_and_27_and_warns_on_row_4264(dinsos_preview):
    problems = dinsos_preview.all_problems
    assert problems == [
        Problem(
            "import.unknown_rt",
            row=17,
            column="F",
            value="RT 99",
            sheet=DINSOS_SHEET,
            params={"rt": "099", "rw": "001", "kelurahan": "35.78.03.1005"},
        ),
        Problem("import.unknown_category", row=27, column="K", value="MAMPU", sheet=DINSOS_SHEET),
        Problem(
            "import.duplicate_household",
            row=4264,
            column="B",
            value="",
            sheet=DINSOS_SHEET,
            params={"first_row": 4263},
            severity="warning",
        ),
    ]
    with (SAMPLES / "expected" / "dinsos_gamis_pramis_2026-10.rejected.csv").open() as handle:
        listed = {int(row["excel_row"]) for row in csv.DictReader(handle)}
    assert {p.row for p in problems} == listed


def test_dinsos_problems_read_as_sentences_in_english(app, dinsos_preview):
    sentences = [render(app, p, "en")[0] for p in dinsos_preview.all_problems]
    assert sentences == [
        'sheet "DATA GAMIS PRAMIS", row 17, column F: RT 099 / RW 001 is not in the register '
        "of kelurahan 35.78.03.1005.",
        'sheet "DATA GAMIS PRAMIS", row 27, column K: "MAMPU" is not one of the categories of '
        "this indicator set.",
        'sheet "DATA GAMIS PRAMIS", row 4264, column B: The same No. KK as row 4263: the family '
        "is counted once.",
    ]


def test_dinsos_problems_read_as_sentences_in_indonesian(app, dinsos_preview):
    rows = {17: ("F", ("099", "001")), 27: ("K", ("MAMPU",)), 4264: ("B", ("4263",))}
    for found in dinsos_preview.all_problems:
        column, keep = rows[found.row]
        sentence, reason = render(app, found, "id")
        _english, english_reason = render(app, found, "en")
        assert f"baris {found.row}, kolom {column}: " in sentence
        assert DINSOS_SHEET in sentence
        for part in keep:
            assert part in reason
        assert reason != english_reason, f"{found.code} is not translated: {reason!r}"


def test_dispendik_sample_adds_up_to_the_expected_figures_with_nothing_rejected(session):
    report = preview(session, DISPENDIK_FILE)
    assert report.problems == []
    assert report.all_problems == []
    assert by_rt(report.outcome.values, report.rt_codes) == expected(DISPENDIK_FILE)
    outcome = report.outcome
    assert (outcome.rows_read, outcome.rows_rejected, outcome.rows_warned) == (483, 0, 0)
    assert report.mapping.header_row == 3


def test_a_column_headed_like_another_is_refused_in_words_naming_both(app, session):
    # SS-05: a second "NO RT" column beside RT (D): the file is refused, nothing is read.
    report = preview(session, DISPENDIK_FILE, edited_dispendik("J3", "NO RT"))
    assert (report.mapping, report.outcome, report.can_commit) == (None, None, False)
    [found] = report.problems
    english, _reason = render(app, found, "en")
    assert english == (
        'sheet "Rekap per RT", row 3, column J: Columns D ("RT") and J ("NO RT") are both '
        "headed as the RT, so it is not clear which one to read. Delete or rename one of them "
        "and send the file again."
    )
    indonesian, _reason = render(app, found, "id")
    assert indonesian == (
        'lembar "Rekap per RT", baris 3, kolom J: Kolom D ("RT") dan J ("NO RT") sama-sama '
        "berjudul RT, sehingga tidak jelas kolom mana yang dibaca. Hapus atau ganti judul "
        "salah satunya, lalu kirim berkas lagi."
    )


def test_a_very_hidden_stale_sheet_is_named_not_read_and_does_not_stop_the_commit(app, session):
    # SS-06: a stale copy of the figures first, very hidden; the visible sheet is read.
    book = openpyxl.load_workbook(SAMPLES / DISPENDIK_FILE)
    stale = book.copy_worksheet(book.active)
    stale.title = "Lama"
    stale["E4"] = 999
    stale.sheet_state = "veryHidden"
    book.move_sheet(stale, offset=-1)
    buffer = io.BytesIO()
    book.save(buffer)
    report = preview(session, DISPENDIK_FILE, buffer.getvalue())
    assert report.problems == [
        Problem("import.hidden_sheets", severity="warning", params={"sheets": '"Lama"'})
    ]
    assert report.mapping.sheet == "Rekap per RT"
    assert report.can_commit
    assert by_rt(report.outcome.values, report.rt_codes) == expected(DISPENDIK_FILE)
    assert render(app, report.problems[0], "en")[0] == (
        'Hidden sheets of the workbook were not read: "Lama".'
    )
    assert render(app, report.problems[0], "id")[0] == (
        'Lembar tersembunyi dalam berkas ini tidak dibaca: "Lama".'
    )


def test_a_column_of_another_departments_indicator_refuses_the_file_naming_it(app, session):
    # The rule: a count for another department's indicator is an error. Dispendik's
    # file carries Dinkes's BALITA STUNTING in J: refused as a whole, the rest still checked.
    data = edited_dispendik("J3", "BALITA STUNTING", J4=2)
    refused = Problem(
        "import.other_department_column",
        row=3,
        column="J",
        value="BALITA STUNTING",
        sheet="Rekap per RT",
        params={"indicator": "balita_stunting", "department": "DINKES"},
    )
    report = preview(session, DISPENDIK_FILE, data)
    assert report.problems == [refused]
    assert report.mapping.ignored == ["BALITA STUNTING"]
    assert (report.outcome.rows_read, report.can_commit) == (483, False)
    # A mapping saved before the column appeared reads the same file the same way.
    saved = preview_import(
        session, data, DISPENDIK_FILE, iset_of(DISPENDIK_FILE), PERIOD, report.mapping
    )
    assert saved.problems == [refused]
    upload = stage_import(session, report, None, datetime.now(UTC), TTL, content=data)
    assert upload.status == UploadStatus.FAILED
    assert count_rows(session, StagedFigure, StagedFigure.upload_id == upload.id) == 0
    assert render(app, refused, "en")[0] == (
        'sheet "Rekap per RT", row 3, column J: This column ("BALITA STUNTING") holds figures '
        "for Stunted children under five, an indicator of DINKES, which only DINKES uploads. "
        "Nothing was imported: delete the column and send the file again."
    )
    assert render(app, refused, "id")[0] == (
        'lembar "Rekap per RT", baris 3, kolom J: Kolom ini ("BALITA STUNTING") berisi angka '
        "Balita stunting, indikator milik DINKES yang hanya boleh diunggah oleh DINKES. Tidak "
        "ada yang diimpor: hapus kolom ini lalu kirim berkas lagi."
    )


def test_the_dry_run_writes_nothing(session):
    before = {model: count_rows(session, model) for model in (Upload, Figure, StagedFigure)}
    report = preview(session, DISPENDIK_FILE)
    assert report.can_commit
    assert {model: count_rows(session, model) for model in before} == before


# --- stage, commit, history -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "counts"),
    [(DINSOS_FILE, (12756, 12754, 2, 1)), (DISPENDIK_FILE, (483, 483, 0, 0))],
)
def test_stage_then_commit_puts_exactly_the_sample_in_force(session, name, counts):
    operator = user(session, SAMPLE[name][0])
    data = sample_bytes(name)
    indicators = iset_of(name).indicators
    previous = {upload for *_rest, upload in in_force_rows(session, indicators)}
    figures_before = count_rows(session, Figure)
    areas_before = count_rows(session, Area)

    upload = staged(session, name, operator)
    cells = sum(len(values) for values in expected(name).values())
    assert upload.status == UploadStatus.READY
    assert count_rows(session, StagedFigure, StagedFigure.upload_id == upload.id) == cells
    assert count_rows(session, UploadFile, UploadFile.upload_id == upload.id) == 1
    assert count_rows(session, Figure) == figures_before  # staged, not written

    committed = commit_upload(session, upload.id, operator, upload.sha256, datetime.now(UTC))
    session.commit()

    assert in_force(session, name) == expected(name)
    assert {upload_id for *_rest, upload_id in in_force_rows(session, indicators)} == {upload.id}
    assert count_rows(session, Figure, Figure.upload_id == upload.id) == cells
    assert count_rows(session, Figure) == figures_before + cells
    assert committed.status == UploadStatus.COMMITTED
    assert committed.sha256 == hashlib.sha256(data).hexdigest()
    assert committed.size_bytes == len(data)
    assert committed.file_name == name
    assert committed.committed_at is not None
    assert committed.supersedes_id in previous
    assert count_rows(session, Area) == areas_before  # RT 099 of row 17 was not created
    assert (
        committed.rows_read,
        committed.rows_accepted,
        committed.rows_rejected,
        committed.rows_warned,
    ) == counts
    assert count_rows(session, StagedFigure, StagedFigure.upload_id == upload.id) == 0
    assert count_rows(session, UploadFile, UploadFile.upload_id == upload.id) == 0


def test_an_identical_second_upload_is_a_noop(session):
    operator = user(session, "dispendik")
    first = staged(session, DISPENDIK_FILE, operator)
    commit_upload(session, first.id, operator, first.sha256, datetime.now(UTC))
    session.commit()
    figures = count_rows(session, Figure)

    report = preview(session, DISPENDIK_FILE)
    assert report.plan.is_noop
    assert (len(report.plan.new), len(report.plan.changed), report.plan.unchanged) == (0, 0, 2415)
    second = stage_import(session, report, operator, datetime.now(UTC), TTL)
    session.commit()

    assert second.status == UploadStatus.NOOP
    assert count_rows(session, StagedFigure, StagedFigure.upload_id == second.id) == 0
    assert count_rows(session, Figure) == figures
    assert in_force(session, DISPENDIK_FILE) == expected(DISPENDIK_FILE)
    rows = in_force_rows(session, iset_of(DISPENDIK_FILE).indicators)
    assert {upload_id for *_rest, upload_id in rows} == {first.id}
    assert refusal(
        lambda: commit_upload(session, second.id, operator, second.sha256, datetime.now(UTC))
    ) == ("import.already_done")


def test_a_changed_file_commits_keeps_the_previous_in_history_and_restore_brings_it_back(
    session,
):
    operator = user(session, "dispendik")
    first = staged(session, DISPENDIK_FILE, operator)
    commit_upload(session, first.id, operator, first.sha256, datetime.now(UTC))
    session.commit()

    changed = edited_dispendik("E4", 35)  # RT 001/001 of Wonorejo (Rungkut): 31 → 35 SD
    report = preview(session, DISPENDIK_FILE, changed)
    rt = session.exec(select(Area).where(Area.code == "35.78.03.1005.001.001")).one()
    assert report.plan.changed == [Change(rt.id, "anak_sd", 31, 35)]
    assert (len(report.plan.new), report.plan.unchanged, report.plan.removed) == (0, 2414, [])
    second = stage_import(session, report, operator, datetime.now(UTC), TTL, content=changed)
    commit_upload(session, second.id, operator, second.sha256, datetime.now(UTC))
    session.commit()

    now_in_force = expected(DISPENDIK_FILE)
    now_in_force["35.78.03.1005.001.001"]["anak_sd"] = 35
    assert in_force(session, DISPENDIK_FILE) == now_in_force
    session.refresh(first)
    assert first.status == UploadStatus.COMMITTED
    assert count_rows(session, Figure, Figure.upload_id == first.id) == 2415
    assert session.get(Upload, second.id).supersedes_id == first.id

    walidata = user(session, "walidata")
    restore_upload(session, first.id, walidata, datetime.now(UTC))
    session.commit()
    assert in_force(session, DISPENDIK_FILE) == expected(DISPENDIK_FILE)
    rows = in_force_rows(session, iset_of(DISPENDIK_FILE).indicators)
    assert {upload_id for *_rest, upload_id in rows} == {first.id}
    assert count_rows(session, Figure, Figure.upload_id == second.id) == 2415

    # IM-06: every step is in the audit trail, with its actor and its upload.
    trail = session.exec(
        select(
            AuditEvent.action,
            AuditEvent.actor_id,
            AuditEvent.actor_name,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.outcome,
        )
        .where(AuditEvent.object_id.in_([str(first.id), str(second.id)]))
        .where(AuditEvent.action.like("upload.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert [tuple(event) for event in trail] == [
        ("upload.dry_run", operator.id, "dispendik", "upload", str(first.id), "ready"),
        ("upload.commit", operator.id, "dispendik", "upload", str(first.id), "ok"),
        ("upload.dry_run", operator.id, "dispendik", "upload", str(second.id), "ready"),
        ("upload.commit", operator.id, "dispendik", "upload", str(second.id), "ok"),
        ("upload.restore", walidata.id, "walidata", "upload", str(first.id), "ok"),
    ]
    restored = session.exec(select(AuditEvent).where(AuditEvent.action == "upload.restore")).one()
    assert restored.details == {"period": PERIOD}


# --- refusals ---------------------------------------------------------------------------


def test_committing_twice_is_refused(session):
    operator = user(session, "dispendik")
    upload = staged(session, DISPENDIK_FILE, operator)
    commit_upload(session, upload.id, operator, upload.sha256, datetime.now(UTC))
    figures = count_rows(session, Figure)
    code = refusal(
        lambda: commit_upload(session, upload.id, operator, upload.sha256, datetime.now(UTC))
    )
    assert code == "import.already_done"
    assert count_rows(session, Figure) == figures


def test_a_register_change_after_the_dry_run_refuses_the_commit(session):
    """IM-07: the dry run rejected row 17 (RT 099 of RW 001 Wonorejo, not in the register).
    The register then gains RT 099; saving the old dry run would leave out a row that is
    now valid, so the commit is refused and a fresh dry run accepts the row."""
    operator = user(session, "dinsos")
    upload = staged(session, DINSOS_FILE, operator)
    assert [p["row"] for p in upload.problems if p["severity"] == "error"] == [17, 27]
    rw = session.exec(select(Area).where(Area.code == "35.78.03.1005.001")).one()
    # Households updated by a register import do not change how rows are read.
    rw_rt = session.exec(select(Area).where(Area.code == "35.78.03.1005.001.001")).one()
    rw_rt.households += 1
    session.flush()
    figures = count_rows(session, Figure)
    session.add(
        Area(
            code="35.78.03.1005.001.099",
            level=AreaLevel.RT,
            name="RT 099",
            parent_id=rw.id,
            path=child_path(rw.path, "35.78.03.1005.001.099"),
            households=40,
            residents=120,
        )
    )
    session.flush()
    code = refusal(
        lambda: commit_upload(session, upload.id, operator, upload.sha256, datetime.now(UTC))
    )
    assert code == "import.register_changed"
    assert count_rows(session, Figure) == figures
    assert session.get(Upload, upload.id).status == UploadStatus.READY

    again = staged(session, DINSOS_FILE, operator)
    assert [p["row"] for p in again.problems if p["severity"] == "error"] == [27]
    commit_upload(session, again.id, operator, again.sha256, datetime.now(UTC))
    rt_099 = in_force(session, DINSOS_FILE)["35.78.03.1005.001.099"]
    assert rt_099 == {"kk_gamis": 0, "kk_pramis": 1, "jiwa_gamis": 0}  # one Pramis family


def test_another_operator_cannot_commit_the_dry_run(session):
    upload = staged(session, DISPENDIK_FILE, user(session, "dispendik"))
    figures = count_rows(session, Figure)
    other = user(session, "dinsos")
    code = refusal(
        lambda: commit_upload(session, upload.id, other, upload.sha256, datetime.now(UTC))
    )
    assert code == "import.not_yours"
    assert count_rows(session, Figure) == figures
    assert session.get(Upload, upload.id).status == UploadStatus.READY


def test_another_files_sha256_is_refused(session):
    operator = user(session, "dispendik")
    upload = staged(session, DISPENDIK_FILE, operator)
    other_sha = hashlib.sha256(sample_bytes(DINSOS_FILE)).hexdigest()
    code = refusal(
        lambda: commit_upload(session, upload.id, operator, other_sha, datetime.now(UTC))
    )
    assert code == "import.not_this_file"


def test_a_dry_run_past_its_deadline_is_refused(session):
    operator = user(session, "dispendik")
    ran = datetime.now(UTC)
    upload = staged(session, DISPENDIK_FILE, operator, now=ran)
    figures = count_rows(session, Figure)
    late = ran + TTL + timedelta(seconds=1)
    code = refusal(lambda: commit_upload(session, upload.id, operator, upload.sha256, late))
    assert code == "import.expired"
    assert count_rows(session, Figure) == figures
    # just in time is fine
    commit_upload(session, upload.id, operator, upload.sha256, ran + TTL - timedelta(seconds=1))


def test_two_dry_runs_then_two_commits_the_second_is_stale_and_writes_nothing(session):
    operator = user(session, "dispendik")
    first = staged(session, DISPENDIK_FILE, operator)
    second = staged(session, DISPENDIK_FILE, operator, data=edited_dispendik("E4", 35))
    commit_upload(session, first.id, operator, first.sha256, datetime.now(UTC))
    session.commit()
    figures = count_rows(session, Figure)

    code = refusal(
        lambda: commit_upload(session, second.id, operator, second.sha256, datetime.now(UTC))
    )
    assert code == "import.stale"
    session.commit()
    assert count_rows(session, Figure) == figures
    assert count_rows(session, Figure, Figure.upload_id == second.id) == 0
    assert session.get(Upload, second.id).status == UploadStatus.READY
    assert in_force(session, DISPENDIK_FILE) == expected(DISPENDIK_FILE)
    rows = in_force_rows(session, iset_of(DISPENDIK_FILE).indicators)
    assert {upload_id for *_rest, upload_id in rows} == {first.id}


def test_cancel_leaves_nothing_staged(session):
    operator = user(session, "dispendik")
    before = in_force(session, DISPENDIK_FILE)
    figures = count_rows(session, Figure)
    upload = staged(session, DISPENDIK_FILE, operator)
    cancelled = cancel_upload(session, upload.id, operator)
    session.commit()
    assert cancelled.status == UploadStatus.CANCELLED
    assert count_rows(session, StagedFigure, StagedFigure.upload_id == upload.id) == 0
    assert count_rows(session, UploadFile, UploadFile.upload_id == upload.id) == 0
    assert count_rows(session, Figure) == figures
    assert in_force(session, DISPENDIK_FILE) == before
    code = refusal(
        lambda: commit_upload(session, upload.id, operator, upload.sha256, datetime.now(UTC))
    )
    assert code == "import.already_done"


def test_purge_expired_cancels_an_expired_dry_run_only(session):
    operator = user(session, "dispendik")
    now = datetime.now(UTC)
    old = staged(session, DISPENDIK_FILE, operator, now=now - timedelta(days=2))
    fresh = staged(session, DISPENDIK_FILE, operator, now=now)
    session.commit()

    assert purge_expired(session, now) == 1
    session.commit()
    assert session.get(Upload, old.id).status == UploadStatus.CANCELLED
    assert count_rows(session, StagedFigure, StagedFigure.upload_id == old.id) == 0
    assert count_rows(session, UploadFile, UploadFile.upload_id == old.id) == 0
    assert session.get(Upload, fresh.id).status == UploadStatus.READY
    assert count_rows(session, StagedFigure, StagedFigure.upload_id == fresh.id) == 2415
    assert count_rows(session, UploadFile, UploadFile.upload_id == fresh.id) == 1


DAY2 = timedelta(days=2)


def test_purge_expired_deletes_files_of_queued_and_failed_uploads(session):
    """A file is kept a day at most whatever became of its upload: a job that never ran,
    a failure recorded before failures dropped their file, a dry run never saved. The
    committed figures, the version in force and the uploads' history stay as they were."""
    operator = user(session, "dispendik")
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=2)
    data = sample_bytes(DISPENDIK_FILE)
    iset = iset_of(DISPENDIK_FILE)
    committed = staged(session, DISPENDIK_FILE, operator, now=long_ago)
    commit_upload(session, committed.id, operator, committed.sha256, long_ago)
    queued = start_upload(session, operator, iset, PERIOD, DISPENDIK_FILE, data, long_ago, TTL)
    failed = start_upload(session, operator, iset, PERIOD, DISPENDIK_FILE, data, long_ago, TTL)
    failed.status, failed.error = UploadStatus.FAILED, "import.crashed"  # file still kept
    session.add(failed)
    changed = edited_dispendik("E4", 35)  # RT 001/001 of Wonorejo (Rungkut): 31 → 35 SD
    ready = staged(session, DISPENDIK_FILE, operator, long_ago, changed)
    # received two days ago, its dry run only now: the dry run is in time, its file is not
    late = start_upload(session, operator, iset, PERIOD, DISPENDIK_FILE, changed, long_ago, TTL)
    dry_run_upload(session, session, late.id, iset, now, TTL)
    fresh = start_upload(session, operator, iset, PERIOD, DISPENDIK_FILE, data, now, TTL)
    session.commit()
    old = [queued.id, failed.id, ready.id, late.id]
    assert [file_rows(session, upload_id) for upload_id in [*old, fresh.id]] == [1, 1, 1, 1, 1]
    figures, uploads = count_rows(session, Figure), count_rows(session, Upload)
    pointers = session.exec(select(ActiveUpload.indicator_id, ActiveUpload.upload_id)).all()

    assert purge_expired(session, now) == 4
    session.commit()

    assert [file_rows(session, upload_id) for upload_id in [*old, fresh.id]] == [0, 0, 0, 0, 1]
    statuses = {u.id: (u.status, u.error) for u in session.exec(select(Upload))}
    assert statuses[queued.id] == (UploadStatus.FAILED, "import.expired")
    assert statuses[failed.id] == (UploadStatus.FAILED, "import.crashed")
    assert statuses[ready.id] == (UploadStatus.CANCELLED, "")
    assert statuses[late.id] == (UploadStatus.READY, "")
    assert statuses[fresh.id] == (UploadStatus.QUEUED, "")
    assert statuses[committed.id] == (UploadStatus.COMMITTED, "")
    assert count_rows(session, StagedFigure, StagedFigure.upload_id == ready.id) == 0
    assert count_rows(session, StagedFigure, StagedFigure.upload_id == late.id) == 2415
    assert session.get(Upload, late.id).sha256 == hashlib.sha256(changed).hexdigest()
    assert count_rows(session, Figure) == figures
    assert count_rows(session, Figure, Figure.upload_id == committed.id) == 2415
    assert count_rows(session, Upload) == uploads
    assert session.exec(select(ActiveUpload.indicator_id, ActiveUpload.upload_id)).all() == (
        pointers
    )
    assert in_force(session, DISPENDIK_FILE) == expected(DISPENDIK_FILE)
    assert purge_expired(session, now) == 0  # nothing left to purge
    # The dry run still in time can be saved without its file.
    commit_upload(session, late.id, operator, late.sha256, now)
    now_in_force = expected(DISPENDIK_FILE)
    now_in_force["35.78.03.1005.001.001"]["anak_sd"] = 35
    assert in_force(session, DISPENDIK_FILE) == now_in_force


@pytest.mark.parametrize("job", ["dry_run", "suggest"])
def test_a_job_whose_upload_expired_while_it_ran_leaves_it_ended(session, job):
    """The purge (or the sweeper) ends a job that is still reading; when the job finishes
    it must not bring the upload back as a dry run ready to save, without its file."""
    operator = user(session, "dispendik")
    iset = iset_of(DISPENDIK_FILE)
    now = datetime.now(UTC)
    data = sample_bytes(DISPENDIK_FILE)
    upload = start_upload(session, operator, iset, PERIOD, DISPENDIK_FILE, data, now, TTL)
    session.commit()

    def expire_meanwhile():
        assert purge_expired(session, now + timedelta(days=2)) == 1

    ended = import_jobs.JOBS[job](
        session, session, upload.id, iset, now, TTL, before_writing=expire_meanwhile
    )
    session.commit()
    assert (ended.status, ended.error) == (UploadStatus.FAILED, "import.expired")
    assert "suggestion" not in (ended.summary or {})
    assert count_rows(session, StagedFigure, StagedFigure.upload_id == upload.id) == 0
    assert file_rows(session, upload.id) == 0


def test_a_heartbeat_after_the_sweep_does_not_bring_the_job_back(session):
    """The sweeper fails a job whose heartbeat stopped (its file goes with it); when the
    slow job wakes and reports progress, the upload stays failed and its dry run is not
    kept as ready to save."""
    operator = user(session, "dispendik")
    iset = iset_of(DISPENDIK_FILE)
    now = datetime.now(UTC)
    upload = start_upload(
        session, operator, iset, PERIOD, DISPENDIK_FILE, sample_bytes(DISPENDIK_FILE), now, TTL
    )
    import_jobs.heartbeat(session, upload.id, "reading")
    assert import_jobs.sweep_stalled(session, now + timedelta(hours=1), timedelta(minutes=3)) == 1

    import_jobs.heartbeat(session, upload.id, "checking", 200)  # the job wakes up
    session.expire_all()
    assert (session.get(Upload, upload.id).status, session.get(Upload, upload.id).error) == (
        UploadStatus.FAILED,
        "import.stalled",
    )
    ended = dry_run_upload(session, session, upload.id, iset, now, TTL)
    assert (ended.status, ended.error) == (UploadStatus.FAILED, "import.stalled")
    assert count_rows(session, StagedFigure, StagedFigure.upload_id == upload.id) == 0


def fail_by_rejection(session, upload: Upload) -> None:
    """The dry run refuses the file (a Dispendik file read as Dinsos lacks its columns)."""
    dry_run_upload(
        session,
        session,
        upload.id,
        SETS["dinsos_gamis_pramis"],
        datetime.now(UTC),
        TTL,
        build_report=lambda rows, header_row, problems: b"report",
    )


def fail_by_sweep(session, upload: Upload) -> None:
    """The job's heartbeat stopped: the sweeper ends it."""
    import_jobs.heartbeat(session, upload.id, "checking", 100)
    later = datetime.now(UTC) + timedelta(hours=1)
    assert import_jobs.sweep_stalled(session, later, timedelta(minutes=3)) == 1


def fail_as_the_worker(code: str):
    """The worker records the job's end: out of time or memory, a crash, a dead child."""
    return lambda session, upload: import_jobs.mark_failed(session, upload, code)


@pytest.mark.parametrize(
    ("fail", "error"),
    [
        (fail_by_rejection, "import.missing_column"),
        (fail_by_sweep, "import.stalled"),
        (fail_as_the_worker("import.too_slow"), "import.too_slow"),
        (fail_as_the_worker("import.too_big"), "import.too_big"),
        (fail_as_the_worker("import.crashed"), "import.crashed"),
    ],
    ids=["rejected", "stalled", "too_slow", "too_big", "crashed"],
)
def test_a_failed_upload_keeps_no_byte_of_its_file(session, fail, error):
    operator = user(session, "dispendik")
    data = sample_bytes(DISPENDIK_FILE)
    upload = start_upload(
        session,
        operator,
        iset_of(DISPENDIK_FILE),
        PERIOD,
        DISPENDIK_FILE,
        data,
        datetime.now(UTC),
        TTL,
    )
    session.commit()
    assert file_rows(session, upload.id) == 1

    fail(session, upload)
    session.commit()

    row = session.get(Upload, upload.id)
    session.refresh(row)
    assert row.status == UploadStatus.FAILED
    assert [p["code"] for p in row.problems][:1] == [error]
    assert file_rows(session, upload.id) == 0
    assert count_rows(session, StagedFigure, StagedFigure.upload_id == upload.id) == 0
    assert file_of(session, row) is None and report_of(session, row) is None
    assert row.sha256 == hashlib.sha256(data).hexdigest()  # what stays: the hash, the size
    assert row.size_bytes == len(data)


# --- the CLI ----------------------------------------------------------------------------


def test_flask_import_of_both_samples_reports_rejected_rows_and_commits(runner, session):
    dinsos = flask(runner, import_args(DINSOS_FILE, "--lang", "en"))
    assert dinsos.exit_code == 0, dinsos.output
    assert (
        '[rejected] sheet "DATA GAMIS PRAMIS", row 17, column F: RT 099 / RW 001 is not in the '
        "register of kelurahan 35.78.03.1005." in dinsos.output
    )
    assert (
        '[rejected] sheet "DATA GAMIS PRAMIS", row 27, column K: "MAMPU" is not one of the '
        "categories of this indicator set." in dinsos.output
    )
    assert (
        '[warning] sheet "DATA GAMIS PRAMIS", row 4264, column B: The same No. KK as row 4263'
        in dinsos.output
    )
    assert "Rows read 12756, accepted 12754, rejected 2, with warnings 1." in dinsos.output
    dinsos_id = int(re.search(r"Committed as upload (\d+)\.\Z", dinsos.output.strip()).group(1))

    dispendik = flask(runner, import_args(DISPENDIK_FILE, "--lang", "en"))
    assert dispendik.exit_code == 0, dispendik.output
    assert "[rejected]" not in dispendik.output
    assert "Rows read 483, accepted 483, rejected 0, with warnings 0." in dispendik.output
    dispendik_id = int(
        re.search(r"Committed as upload (\d+)\.\Z", dispendik.output.strip()).group(1)
    )

    assert in_force(session, DINSOS_FILE) == expected(DINSOS_FILE)
    assert in_force(session, DISPENDIK_FILE) == expected(DISPENDIK_FILE)
    for name, upload_id in ((DINSOS_FILE, dinsos_id), (DISPENDIK_FILE, dispendik_id)):
        rows = in_force_rows(session, iset_of(name).indicators)
        assert {upload for *_rest, upload in rows} == {upload_id}
        assert session.get(Upload, upload_id).status == UploadStatus.COMMITTED


def test_flask_import_dry_run_writes_no_figures(runner, session):
    figures = count_rows(session, Figure)
    before = in_force(session, DISPENDIK_FILE)
    result = flask(runner, import_args(DISPENDIK_FILE, "--lang", "en", "--dry-run"))
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("Dry run: nothing was written.")
    assert "Committed" not in result.output
    assert count_rows(session, Figure) == figures
    assert count_rows(session, StagedFigure) == 0
    assert count_rows(session, UploadFile) == 0
    assert in_force(session, DISPENDIK_FILE) == before


def test_flask_import_saved_mapping_is_used_on_the_next_run_without_questions(runner, session):
    first = flask(runner, import_args(DISPENDIK_FILE, "--lang", "en", "--save-mapping", "rekap-rt"))
    assert first.exit_code == 0, first.output
    assert "Committed as upload" in first.output
    saved = session.exec(select(ImportMapping).where(ImportMapping.name == "rekap-rt")).one()
    assert saved.definition["indicator_set"] == "dispendik_anak_sekolah"
    assert saved.definition["mapping"]["header_row"] == 3

    second = flask(runner, import_args(DISPENDIK_FILE, "--lang", "en", "--mapping", "rekap-rt"))
    assert second.exit_code == 0, second.output
    assert "Committed" not in second.output
    assert second.output.strip().endswith(
        "The figures in force are already exactly these: nothing to do."
    )
    latest = session.exec(select(Upload).order_by(Upload.id.desc())).first()
    assert latest.status == UploadStatus.NOOP
    assert in_force(session, DISPENDIK_FILE) == expected(DISPENDIK_FILE)


def test_flask_import_refuses_an_indicator_set_of_another_department(runner, session):
    uploads = count_rows(session, Upload)
    args = import_args(DISPENDIK_FILE, "--lang", "en")
    args[args.index("--department") + 1] = "dinsos"
    result = flask(runner, args)
    assert result.exit_code == 1
    assert "Error: This indicator set belongs to another department." in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert count_rows(session, Upload) == uploads


def test_flask_import_refuses_an_unknown_indicator_set(runner, session):
    args = import_args(DISPENDIK_FILE, "--lang", "en")
    args[args.index("--indicators") + 1] = "anak_sekolah"
    result = flask(runner, args)
    assert result.exit_code == 1
    assert "Error: There is no indicator set anak_sekolah." in result.output
    assert "Traceback" not in result.output


def test_flask_import_runs_from_the_apps_own_cli_group(runner, session):
    """``app.cli`` as the test runner and any embedding caller use it: every other command
    of the app gets its app context from its ``AppGroup``; this one must work there too."""
    result = runner.invoke(args=import_args(DISPENDIK_FILE, "--lang", "en", "--dry-run"))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("Dry run: nothing was written.")


def test_flask_purge_uploads_deletes_the_files_past_their_deadline(runner, session):
    operator = user(session, "dispendik")
    iset = iset_of(DISPENDIK_FILE)
    data = sample_bytes(DISPENDIK_FILE)
    now = datetime.now(UTC)
    old = start_upload(session, operator, iset, PERIOD, DISPENDIK_FILE, data, now - DAY2, TTL)
    fresh = start_upload(session, operator, iset, PERIOD, DISPENDIK_FILE, data, now, TTL)
    session.commit()
    result = runner.invoke(args=["purge-uploads"])
    assert result.exit_code == 0, result.output
    assert result.output == "1 expired upload file(s) deleted.\n"
    session.expire_all()
    assert (file_rows(session, old.id), file_rows(session, fresh.id)) == (0, 1)
    assert session.get(Upload, old.id).error == "import.expired"


# --- privacy ----------------------------------------------------------------------------


def personal_values() -> tuple[list[str], set[str]]:
    """NO KK, NIK and NAMA KEPALA KELUARGA of a sample of the Dinsos file's families
    (a few hundred, the first and the last), and every 16-digit number of the file."""
    book = openpyxl.load_workbook(SAMPLES / DINSOS_FILE, read_only=True)
    rows = []
    for cells in book.active.iter_rows(min_row=6, values_only=True):
        if cells[1] and str(cells[0]).isdigit():
            rows.append([str(cells[1]), str(cells[2]), str(cells[3])])
    book.close()
    assert len(rows) == 12756
    chosen = [rows[0], rows[-1], *random.Random(20261001).sample(rows[1:-1], 300)]
    sampled = [value for row in chosen for value in row]
    numbers = {value for row in rows for value in row[:2]}
    assert all(len(number) == 16 and number.isdigit() for number in numbers)
    return sampled, numbers


def database_text(session) -> str:
    """Every text and JSON value of every table, all rows, as one string."""
    parts = []
    connection = session.connection()
    for table in SQLModel.metadata.sorted_tables:
        for row in connection.execute(sa_select(table)):
            for value in row:
                if isinstance(value, str):
                    parts.append(value)
                elif isinstance(value, dict | list):
                    parts.append(json.dumps(value, ensure_ascii=False))
    return "\n".join(parts)


def database_bytes(session) -> list[tuple[str, str, int]]:
    """(table, column, length) of every binary value of every table, all rows: the
    text dump above skips them, and a kept upload file is one."""
    found = []
    connection = session.connection()
    for table in SQLModel.metadata.sorted_tables:
        for row in connection.execute(sa_select(table)):
            for column, value in zip(table.columns, row, strict=True):
                if isinstance(value, bytes | bytearray | memoryview):
                    found.append((table.name, column.name, len(value)))
    return found


def test_no_personal_value_of_the_dinsos_file_is_stored_anywhere(app, session):
    operator = user(session, "dinsos")
    data = sample_bytes(DINSOS_FILE)
    report = preview(session, DINSOS_FILE)
    upload = stage_import(session, report, operator, datetime.now(UTC), TTL, content=data)
    commit_upload(session, upload.id, operator, upload.sha256, datetime.now(UTC))
    session.commit()
    stored = session.get(Upload, upload.id)
    assert stored.problems and stored.summary and stored.mapping_applied

    # The file's bytes are gone with the commit: no binary value is left in any table.
    assert count_rows(session, UploadFile) == 0
    assert database_bytes(session) == []

    sampled, numbers = personal_values()
    text = database_text(session)
    assert "Wonorejo" in text and DINSOS_SHEET in text  # the dump does read the tables
    leaked = [value for value in sampled if value in text]
    assert leaked == []
    assert set(re.findall(r"(?<!\d)\d{16}(?!\d)", text)) & numbers == set()

    with app.app_context(), flask_babel.force_locale("en"):
        shown = format_report(report)
    assert [value for value in sampled if value in shown] == []
    assert set(re.findall(r"(?<!\d)\d{16}(?!\d)", shown)) & numbers == set()


def test_a_corrected_upload_reopens_verification_only_for_the_rts_whose_figure_changed(
    session,
):
    from transparency.models import AuditEvent, Indicator, Verification, VerificationStatus

    operator = user(session, "dispendik")
    first = staged(session, DISPENDIK_FILE, operator)
    commit_upload(session, first.id, operator, first.sha256, datetime.now(UTC))
    rt = session.exec(select(Area).where(Area.code == "35.78.03.1005.001.001")).one()
    indicators = {i.code: i for i in session.exec(select(Indicator))}
    for code in ("anak_sd", "anak_smp"):  # the RT head confirmed both figures
        session.add(
            Verification(
                area_id=rt.id,
                indicator_id=indicators[code].id,
                period_id=first.period_id,
                upload_id=first.id,
                status=VerificationStatus.CONFIRMED,
                created_by_id=operator.id,
            )
        )
    session.commit()

    changed = edited_dispendik("E4", 35)  # RT 001/001: anak_sd 31 → 35, anak_smp unchanged
    report = preview(session, DISPENDIK_FILE, changed)
    second = stage_import(session, report, operator, datetime.now(UTC), TTL, content=changed)
    commit_upload(session, second.id, operator, second.sha256, datetime.now(UTC))
    session.commit()
    kept = session.exec(
        select(Indicator.code, Verification.status)
        .join(Indicator, Indicator.id == Verification.indicator_id)
        .where(Verification.upload_id == second.id)
    ).all()
    assert [tuple(row) for row in kept] == [("anak_smp", VerificationStatus.CONFIRMED)]
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "verification.reopen", AuditEvent.object_id == str(second.id)
        )
    ).one()
    assert (event.actor_name, event.details) == ("dispendik", {"carried": 1, "reopened": 1})
