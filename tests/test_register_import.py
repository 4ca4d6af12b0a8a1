"""Importing the RT/RW register: the whole city, bad rows, odd files, and the CLI."""

import csv
import io
import random
from pathlib import Path

import flask_babel
import openpyxl
import pytest
from sqlalchemy import func
from sqlmodel import select

from transparency.messages import render
from transparency.models import Area, AreaLevel
from transparency.problems import Problem
from transparency.services.register import import_register

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
MAX_ROWS = 50_000
SHEET = "Register"
HEADER = ["KODE KELURAHAN", "KELURAHAN", "KECAMATAN", "RW", "RT", "JUMLAH KK", "JUMLAH JIWA"]
GENTENG = "35.78.07.1002"  # kelurahan Genteng, kecamatan Genteng


def workbook(rows: list[list], header: list[str] = HEADER) -> bytes:
    """An xlsx like the departments send: two title rows, a blank row, header on row 4."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.cell(row=1, column=1, value="DAFTAR RT DAN RW KOTA SURABAYA - KEADAAN 1 OKTOBER 2026")
    sheet.cell(row=2, column=1, value="Sumber: Dispendukcapil Kota Surabaya")
    for column, title in enumerate(header, start=1):
        sheet.cell(row=4, column=column, value=title)
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(row=5 + offset, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def genteng(rw, rt, households=100, residents=350) -> list:
    return [GENTENG, "Genteng", "Genteng", rw, rt, households, residents]


def count_level(session, level: AreaLevel) -> int:
    return session.exec(select(func.count()).select_from(Area).where(Area.level == level)).one()


def rt_figures(session) -> dict[str, tuple[int, int]]:
    """Every RT in the database: code → (households, residents)."""
    rts = session.exec(select(Area).where(Area.level == AreaLevel.RT))
    return {rt.code: (rt.households, rt.residents) for rt in rts}


def rendered(app, problem: Problem, lang: str) -> str:
    with app.app_context(), flask_babel.force_locale(lang):
        return render(problem)


def assert_nothing_written(session) -> None:
    assert count_level(session, AreaLevel.RW) == 0
    assert count_level(session, AreaLevel.RT) == 0


# --- the whole city register -------------------------------------------------------------


def sample_register() -> dict[str, tuple[int, int]]:
    """The register CSV beside the workbook: RT code → (households, residents)."""
    with (SAMPLES / "register_rt_rw_2026.csv").open(encoding="utf-8", newline="") as handle:
        return {
            f"{row['kelurahan_code']}.{row['rw']}.{row['rt']}": (
                int(row["households"]),
                int(row["residents"]),
            )
            for row in csv.DictReader(handle)
        }


@pytest.mark.slow
def test_full_register_xlsx_imports_every_rt_and_again_changes_nothing(session):
    data = (SAMPLES / "register_rt_rw_2026.xlsx").read_bytes()
    expected = sample_register()
    assert len(expected) == 9126

    report = import_register(session, data, "register_rt_rw_2026.xlsx", MAX_ROWS)

    assert report.problems == []
    assert report.ok is True
    assert (report.sheet, report.header_row, report.rows) == ("RT RW", 4, 9126)
    assert (report.created, report.updated, report.unchanged) == (9126, 0, 0)
    assert count_level(session, AreaLevel.RW) == 1360
    assert count_level(session, AreaLevel.RT) == 9126
    assert rt_figures(session) == expected

    again = import_register(session, data, "register_rt_rw_2026.xlsx", MAX_ROWS)

    assert again.ok is True
    assert (again.created, again.updated, again.unchanged) == (0, 0, 9126)
    assert count_level(session, AreaLevel.RW) == 1360
    assert count_level(session, AreaLevel.RT) == 9126
    assert rt_figures(session) == expected


@pytest.mark.slow
def test_full_register_csv_imports_the_same_as_the_xlsx(session):
    data = (SAMPLES / "register_rt_rw_2026.csv").read_bytes()
    expected = sample_register()

    report = import_register(session, data, "register_rt_rw_2026.csv", MAX_ROWS)

    assert report.problems == []
    assert (report.header_row, report.rows) == (1, 9126)
    assert (report.created, report.updated, report.unchanged) == (9126, 0, 0)
    assert count_level(session, AreaLevel.RW) == 1360
    assert count_level(session, AreaLevel.RT) == 9126
    assert rt_figures(session) == expected

    xlsx = (SAMPLES / "register_rt_rw_2026.xlsx").read_bytes()
    again = import_register(session, xlsx, "register_rt_rw_2026.xlsx", MAX_ROWS)

    assert again.ok is True
    assert (again.created, again.updated, again.unchanged) == (0, 0, 9126)
    assert count_level(session, AreaLevel.RW) == 1360
    assert count_level(session, AreaLevel.RT) == 9126


# --- small files: what is accepted ----------------------------------------------------------


def test_rt_and_rw_spellings_are_all_accepted(session):
    data = workbook(
        [
            genteng(1, 1, 10, 31),
            genteng("01", "02", 11, 32),
            genteng("001", "RT 03", 12, 33),
            genteng("RW 02", "RT.001", 13, 34),
            genteng(2.0, "004", 14, 35),
            genteng("RW. 3", "RT 01", 15, 36),
        ]
    )

    report = import_register(session, data, "register.xlsx", MAX_ROWS)

    assert report.problems == []
    assert (report.rows, report.created, report.updated, report.unchanged) == (6, 6, 0, 0)
    assert rt_figures(session) == {
        "35.78.07.1002.001.001": (10, 31),
        "35.78.07.1002.001.002": (11, 32),
        "35.78.07.1002.001.003": (12, 33),
        "35.78.07.1002.002.001": (13, 34),
        "35.78.07.1002.002.004": (14, 35),
        "35.78.07.1002.003.001": (15, 36),
    }
    rws = session.exec(select(Area).where(Area.level == AreaLevel.RW).order_by(Area.code)).all()
    assert [(rw.code, rw.name) for rw in rws] == [
        ("35.78.07.1002.001", "RW 001"),
        ("35.78.07.1002.002", "RW 002"),
        ("35.78.07.1002.003", "RW 003"),
    ]
    kelurahan = session.exec(select(Area).where(Area.code == GENTENG)).one()
    assert {rw.parent_id for rw in rws} == {kelurahan.id}
    rt = session.exec(select(Area).where(Area.code == "35.78.07.1002.002.004")).one()
    assert rt.name == "RT 004"
    assert rt.parent_id == rws[1].id


def test_undotted_kelurahan_code_and_indonesian_thousands_are_accepted(session):
    data = workbook(
        [
            ["3578071002", "Genteng", "Genteng", "001", "001", "1.234", "4.321"],
            [3578071002, "Genteng", "Genteng", "001", "002", 12.0, "40"],
        ]
    )

    report = import_register(session, data, "register.xlsx", MAX_ROWS)

    assert report.problems == []
    assert rt_figures(session) == {
        "35.78.07.1002.001.001": (1234, 4321),
        "35.78.07.1002.001.002": (12, 40),
    }


def test_reimport_with_changed_counts_updates_only_those_rts(session):
    first = workbook([genteng("001", "001", 10, 30), genteng("001", "002", 20, 60)])
    import_register(session, first, "register.xlsx", MAX_ROWS)

    second = workbook(
        [genteng("001", "001", 10, 30), genteng("001", "002", 21, 62), genteng("002", "001", 5, 15)]
    )
    report = import_register(session, second, "register.xlsx", MAX_ROWS)

    assert report.ok is True
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 1, 1, 1)
    assert count_level(session, AreaLevel.RW) == 2
    assert rt_figures(session) == {
        "35.78.07.1002.001.001": (10, 30),
        "35.78.07.1002.001.002": (21, 62),
        "35.78.07.1002.002.001": (5, 15),
    }


# --- small files: bad rows -----------------------------------------------------------------


def check_rejected(
    app, session, data: bytes, expected: Problem, english: str, indonesian: str
) -> None:
    """The import reports exactly this one problem, in both languages, and writes nothing."""
    report = import_register(session, data, "register.xlsx", MAX_ROWS)

    assert report.ok is False
    assert report.problems == [expected]
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert rendered(app, report.problems[0], "en") == english
    assert rendered(app, report.problems[0], "id") == indonesian
    assert_nothing_written(session)


def test_unknown_kelurahan_code(app, session):
    data = workbook(
        [
            genteng("001", "001"),
            ["35.78.99.9999", "Entah", "Entah", "001", "001", 50, 170],
            genteng("001", "002"),
        ]
    )

    check_rejected(
        app,
        session,
        data,
        Problem(
            "register.unknown_kelurahan",
            row=6,
            column="A",
            value="35.78.99.9999",
            sheet=SHEET,
            params={"code": "35.78.99.9999"},
        ),
        'sheet "Register", row 6, column A: '
        "Kelurahan code 35.78.99.9999 is not a kelurahan of this city.",
        'lembar "Register", baris 6, kolom A: '
        "Kode kelurahan 35.78.99.9999 bukan kelurahan di kota ini.",
    )


def test_kelurahan_code_that_is_not_a_code(app, session):
    data = workbook([genteng("001", "001"), ["Genteng", "Genteng", "Genteng", "001", "002", 5, 9]])

    check_rejected(
        app,
        session,
        data,
        Problem("register.bad_kelurahan_code", row=6, column="A", value="Genteng", sheet=SHEET),
        'sheet "Register", row 6, column A: '
        '"Genteng" is not a kelurahan code (like 35.78.07.1002 or 3578071002).',
        'lembar "Register", baris 6, kolom A: '
        '"Genteng" bukan kode kelurahan (contoh 35.78.07.1002 atau 3578071002).',
    )


@pytest.mark.parametrize(
    ("cell", "shown"),
    [("RT satu", "RT satu"), ("0", "0"), (0, "0"), ("1000", "1000"), ("1.5", "1.5")],
)
def test_rt_that_is_not_a_number(app, session, cell, shown):
    data = workbook([genteng("001", "001"), genteng("001", "002"), genteng("001", cell)])

    check_rejected(
        app,
        session,
        data,
        Problem(
            "register.bad_number",
            row=7,
            column="E",
            value=shown,
            sheet=SHEET,
            params={"field": "rt"},
        ),
        f'sheet "Register", row 7, column E: RT "{shown}" is not a number from 1 to 999.',
        f'lembar "Register", baris 7, kolom E: RT "{shown}" bukan angka 1 sampai 999.',
    )


def test_rw_that_is_not_a_number(app, session):
    data = workbook([genteng("RW dua", "001"), genteng("001", "001")])

    check_rejected(
        app,
        session,
        data,
        Problem(
            "register.bad_number",
            row=5,
            column="D",
            value="RW dua",
            sheet=SHEET,
            params={"field": "rw"},
        ),
        'sheet "Register", row 5, column D: RW "RW dua" is not a number from 1 to 999.',
        'lembar "Register", baris 5, kolom D: RW "RW dua" bukan angka 1 sampai 999.',
    )


def test_same_rt_twice_points_at_the_second_row_and_names_the_first(app, session):
    data = workbook(
        [
            genteng("001", "001"),
            genteng("001", "002"),
            genteng("002", "001"),
            genteng(1, "RT 02", 30, 90),  # the same RT as row 6, spelled differently
            genteng("002", "002"),
        ]
    )

    check_rejected(
        app,
        session,
        data,
        Problem(
            "register.duplicate_rt",
            row=8,
            column="E",
            value="RT 02",
            sheet=SHEET,
            params={"first_row": 6},
        ),
        'sheet "Register", row 8, column E: This RT is listed twice: it already appears in row 6.',
        'lembar "Register", baris 8, kolom E: RT ini tercantum dua kali: sudah ada di baris 6.',
    )


def test_negative_household_count(app, session):
    data = workbook([genteng("001", "001"), genteng("001", "002", households=-3)])

    check_rejected(
        app,
        session,
        data,
        Problem(
            "register.bad_count",
            row=6,
            column="F",
            value="-3",
            sheet=SHEET,
            params={"field": "households"},
        ),
        'sheet "Register", row 6, column F: '
        'The number of households (KK) "-3" is not a whole number of zero or more.',
        'lembar "Register", baris 6, kolom F: Jumlah KK "-3" bukan bilangan bulat nol atau lebih.',
    )


def test_household_count_that_is_a_word(app, session):
    data = workbook(
        [
            genteng("001", "001"),
            genteng("001", "002"),
            genteng("001", "003", households="banyak"),
            genteng("001", "004"),
        ]
    )

    check_rejected(
        app,
        session,
        data,
        Problem(
            "register.bad_count",
            row=7,
            column="F",
            value="banyak",
            sheet=SHEET,
            params={"field": "households"},
        ),
        'sheet "Register", row 7, column F: '
        'The number of households (KK) "banyak" is not a whole number of zero or more.',
        'lembar "Register", baris 7, kolom F: '
        'Jumlah KK "banyak" bukan bilangan bulat nol atau lebih.',
    )


def test_empty_household_count(app, session):
    data = workbook([genteng("001", "001"), genteng("001", "002", households=None)])

    check_rejected(
        app,
        session,
        data,
        Problem(
            "register.missing_count",
            row=6,
            column="F",
            value="",
            sheet=SHEET,
            params={"field": "households"},
        ),
        'sheet "Register", row 6, column F: The number of households (KK) is empty.',
        'lembar "Register", baris 6, kolom F: Jumlah KK kosong.',
    )


def test_fractional_resident_count(app, session):
    data = workbook([genteng("001", "001", residents=350.5), genteng("001", "002")])

    check_rejected(
        app,
        session,
        data,
        Problem(
            "register.bad_count",
            row=5,
            column="G",
            value="350.5",
            sheet=SHEET,
            params={"field": "residents"},
        ),
        'sheet "Register", row 5, column G: '
        'The number of residents (jiwa) "350.5" is not a whole number of zero or more.',
        'lembar "Register", baris 5, kolom G: '
        'Jumlah jiwa "350.5" bukan bilangan bulat nol atau lebih.',
    )


def test_missing_residents_column(app, session):
    header = HEADER[:-1]  # no JUMLAH JIWA
    data = workbook([genteng("001", "001")[:-1], genteng("001", "002")[:-1]], header=header)

    check_rejected(
        app,
        session,
        data,
        Problem("register.missing_column", row=4, sheet=SHEET, params={"field": "residents"}),
        'sheet "Register", row 4: The column for number of residents (jiwa) was not found. '
        'Add a column headed, for example, "JUMLAH JIWA".',
        'lembar "Register", baris 4: Kolom Jumlah jiwa tidak ditemukan. '
        'Tambahkan kolom dengan judul, misalnya, "JUMLAH JIWA".',
    )


def test_every_problem_of_a_file_is_reported_in_row_order(session):
    data = workbook(
        [
            genteng("001", "001"),
            genteng("001", "abc", households=-1),
            ["35.78.99.9999", "", "", "001", "001", 1, 2],
            genteng("001", "001"),
        ]
    )

    report = import_register(session, data, "register.xlsx", MAX_ROWS)

    assert [(p.code, p.row, p.column) for p in report.problems] == [
        ("register.bad_number", 6, "E"),
        ("register.bad_count", 6, "F"),
        ("register.unknown_kelurahan", 7, "A"),
        ("register.duplicate_rt", 8, "E"),
    ]
    assert_nothing_written(session)


def test_blank_and_total_rows_are_skipped(session):
    data = workbook(
        [
            genteng("001", "001", 10, 30),
            [None] * 7,
            genteng("001", "002", 20, 60),
            ["JUMLAH", None, None, None, None, 30, 90],
        ]
    )

    report = import_register(session, data, "register.xlsx", MAX_ROWS)

    assert report.problems == []
    assert rt_figures(session) == {
        "35.78.07.1002.001.001": (10, 30),
        "35.78.07.1002.001.002": (20, 60),
    }


def test_too_many_rows(app, session):
    data = workbook([genteng("001", f"{n:03d}") for n in range(1, 6)])

    report = import_register(session, data, "register.xlsx", 4)

    assert report.problems == [Problem("file.too_many_rows", sheet=SHEET, params={"limit": 4})]
    assert rendered(app, report.problems[0], "en") == (
        'sheet "Register": The sheet has more than 4 rows.'
    )
    assert rendered(app, report.problems[0], "id") == (
        'lembar "Register": Lembar kerja berisi lebih dari 4 baris.'
    )
    assert_nothing_written(session)


# --- files that are not spreadsheets --------------------------------------------------------

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
RANDOM = random.Random(20261001).randbytes(4096)
assert not RANDOM.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0"))
BROKEN_XLSX = b"PK\x03\x04" + RANDOM

NOT_SPREADSHEET_EN = (
    "The file is not a spreadsheet. Upload an Excel workbook (.xlsx, .xls) or a CSV file."
)
NOT_SPREADSHEET_ID = "Berkas ini bukan lembar kerja. Unggah berkas Excel (.xlsx, .xls) atau CSV."
DAMAGED_EN = "The file is damaged. Save it again in Excel and retry."
DAMAGED_ID = "Berkas rusak. Simpan ulang di Excel lalu coba lagi."

NOT_SPREADSHEETS = [
    pytest.param(
        PDF,
        "register.pdf",
        "file.not_spreadsheet",
        NOT_SPREADSHEET_EN,
        NOT_SPREADSHEET_ID,
        id="pdf",
    ),
    pytest.param(
        RANDOM,
        "register.xlsx",
        "file.not_spreadsheet",
        NOT_SPREADSHEET_EN,
        NOT_SPREADSHEET_ID,
        id="random-bytes",
    ),
    pytest.param(
        BROKEN_XLSX,
        "register.xlsx",
        "file.damaged",
        DAMAGED_EN,
        DAMAGED_ID,
        id="broken-zip",
    ),
]


@pytest.mark.parametrize(("data", "filename", "code", "english", "indonesian"), NOT_SPREADSHEETS)
def test_service_rejects_a_file_that_is_not_a_spreadsheet(
    app, session, data, filename, code, english, indonesian
):
    report = import_register(session, data, filename, MAX_ROWS)

    assert report.ok is False
    assert [p.code for p in report.problems] == [code]
    assert rendered(app, report.problems[0], "en") == english
    assert rendered(app, report.problems[0], "id") == indonesian
    assert_nothing_written(session)


@pytest.mark.parametrize(("data", "filename", "code", "english", "indonesian"), NOT_SPREADSHEETS)
def test_cli_rejects_a_file_that_is_not_a_spreadsheet(
    runner, session, tmp_path, data, filename, code, english, indonesian
):
    path = tmp_path / filename
    path.write_bytes(data)

    result_en = runner.invoke(args=["register", "import", str(path), "--lang", "en"])
    result_id = runner.invoke(args=["register", "import", str(path), "--lang", "id"])

    assert result_en.exit_code == 1
    assert result_en.output == (
        f"The register was not imported; nothing was changed. 1 problem(s):\n  {english}\n"
    )
    assert result_id.exit_code == 1
    assert result_id.output == (
        f"Register tidak diimpor; tidak ada yang diubah. 1 masalah:\n  {indonesian}\n"
    )
    assert "Traceback" not in result_en.output + result_id.output
    assert_nothing_written(session)


# --- the CLI on small files -----------------------------------------------------------------


def small_register(path: Path) -> Path:
    path.write_bytes(
        workbook(
            [
                genteng("001", "001", 10, 30),
                genteng("001", "002", 20, 60),
                genteng("002", "001", 30, 90),
            ]
        )
    )
    return path


def test_cli_imports_a_small_register_in_english(runner, session, tmp_path):
    path = small_register(tmp_path / "register.xlsx")

    result = runner.invoke(args=["register", "import", str(path), "--lang", "en"])

    assert result.exit_code == 0
    assert result.output == (
        'Register imported: 3 RT read from sheet "Register" (header on row 4); '
        "3 new, 0 updated, 0 unchanged.\n"
    )
    assert count_level(session, AreaLevel.RW) == 2
    assert rt_figures(session) == {
        "35.78.07.1002.001.001": (10, 30),
        "35.78.07.1002.001.002": (20, 60),
        "35.78.07.1002.002.001": (30, 90),
    }

    again = runner.invoke(args=["register", "import", str(path), "--lang", "en"])

    assert again.exit_code == 0
    assert again.output == (
        'Register imported: 3 RT read from sheet "Register" (header on row 4); '
        "0 new, 0 updated, 3 unchanged.\n"
    )
    assert count_level(session, AreaLevel.RT) == 3


def test_cli_imports_a_small_register_in_indonesian_by_default(runner, session, tmp_path):
    path = small_register(tmp_path / "register.xlsx")

    result = runner.invoke(args=["register", "import", str(path)])

    assert result.exit_code == 0
    assert result.output == (
        'Register berhasil diimpor: 3 RT dibaca dari lembar "Register" (judul kolom di baris 4); '
        "3 baru, 0 diperbarui, 0 tetap.\n"
    )
    assert count_level(session, AreaLevel.RT) == 3


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            'Dry run, nothing written: 3 RT read from sheet "Register" (header on row 4); '
            "3 new, 0 updated, 0 unchanged.\n",
        ),
        (
            "id",
            'Uji coba, tidak ada yang disimpan: 3 RT dibaca dari lembar "Register" '
            "(judul kolom di baris 4); 3 baru, 0 diperbarui, 0 tetap.\n",
        ),
    ],
)
def test_cli_dry_run_writes_nothing(runner, session, tmp_path, lang, expected):
    path = small_register(tmp_path / "register.xlsx")

    result = runner.invoke(args=["register", "import", str(path), "--lang", lang, "--dry-run"])

    assert result.exit_code == 0
    assert result.output == expected
    assert_nothing_written(session)


def test_cli_reports_a_bad_row_in_both_languages_and_writes_nothing(runner, session, tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(
        workbook(
            [
                genteng("001", "001"),
                genteng("001", "002", households="banyak"),
                genteng("001", "003"),
            ]
        )
    )

    result_en = runner.invoke(args=["register", "import", str(path), "--lang", "en"])
    result_id = runner.invoke(args=["register", "import", str(path), "--lang", "id"])

    assert result_en.exit_code == 1
    assert result_en.output == (
        "The register was not imported; nothing was changed. 1 problem(s):\n"
        '  sheet "Register", row 6, column F: '
        'The number of households (KK) "banyak" is not a whole number of zero or more.\n'
    )
    assert result_id.exit_code == 1
    assert result_id.output == (
        "Register tidak diimpor; tidak ada yang diubah. 1 masalah:\n"
        '  lembar "Register", baris 6, kolom F: '
        'Jumlah KK "banyak" bukan bilangan bulat nol atau lebih.\n'
    )
    assert "Traceback" not in result_en.output + result_id.output
    assert_nothing_written(session)


def test_cli_reports_an_unknown_kelurahan_in_both_languages(runner, session, tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(
        workbook(
            [genteng("001", "001"), ["35.78.99.9999", "Entah", "Entah", "001", "001", 50, 170]]
        )
    )

    result_en = runner.invoke(args=["register", "import", str(path), "--lang", "en"])
    result_id = runner.invoke(args=["register", "import", str(path), "--lang", "id"])

    assert result_en.exception is None or isinstance(result_en.exception, SystemExit)
    assert result_en.exit_code == 1
    assert result_en.output == (
        "The register was not imported; nothing was changed. 1 problem(s):\n"
        '  sheet "Register", row 6, column A: '
        "Kelurahan code 35.78.99.9999 is not a kelurahan of this city.\n"
    )
    assert result_id.exit_code == 1
    assert result_id.output == (
        "Register tidak diimpor; tidak ada yang diubah. 1 masalah:\n"
        '  lembar "Register", baris 6, kolom A: '
        "Kode kelurahan 35.78.99.9999 bukan kelurahan di kota ini.\n"
    )
    assert "Traceback" not in result_en.output + result_id.output
    assert_nothing_written(session)
