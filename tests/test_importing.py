"""The pure import pipeline (``transparency.importing``): small sheets built here, a
hand-made area index, and the exact rows, columns and values of every outcome."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transparency.importing import (
    AreaIndex,
    Change,
    Mapping,
    commit_blocker,
    plan,
    run,
    suggest_mapping,
)
from transparency.indicator_sets import load_indicator_sets
from transparency.problems import Problem
from transparency.spreadsheets import Sheet

SEED = Path(__file__).resolve().parent.parent / "seed"
SETS = load_indicator_sets(SEED / "indicator_sets.json")
DINSOS = SETS["dinsos_gamis_pramis"]  # household shape
DISPENDIK = SETS["dispendik_anak_sekolah"]  # RT shape, five indicator columns
STUNTING = SETS["dinkes_stunting"]  # RT shape, one indicator column

WONOREJO_R = "35.78.03.1005"  # Wonorejo in kecamatan Rungkut
WONOREJO_T = "35.78.05.1005"  # Wonorejo in kecamatan Tegalsari
GENTENG = "35.78.07.1002"
TANJUNG_PERAK = "35.78.12.1006"  # old names Perak Utara, Perak Timur

RT_IDS = {
    f"{WONOREJO_R}.001.001": 1,
    f"{WONOREJO_R}.001.002": 2,
    f"{WONOREJO_R}.002.001": 3,
    f"{WONOREJO_T}.001.001": 11,
    f"{WONOREJO_T}.001.002": 12,
    f"{GENTENG}.001.001": 21,
    f"{GENTENG}.002.001": 22,
    f"{GENTENG}.009.007": 23,
    f"{TANJUNG_PERAK}.001.001": 31,
    f"{TANJUNG_PERAK}.001.002": 32,
}
INDEX = AreaIndex(
    kelurahan={
        WONOREJO_R: "RUNGKUT",
        WONOREJO_T: "TEGALSARI",
        GENTENG: "GENTENG",
        TANJUNG_PERAK: "PABEANCANTIAN",
    },
    kelurahan_by_name={
        "WONOREJO": (WONOREJO_R, WONOREJO_T),
        "GENTENG": (GENTENG,),
        "TANJUNGPERAK": (TANJUNG_PERAK,),
        "PERAKUTARA": (TANJUNG_PERAK,),
        "PERAKTIMUR": (TANJUNG_PERAK,),
    },
    rt_ids=RT_IDS,
    rts_by_kelurahan={
        WONOREJO_R: (1, 2, 3),
        WONOREJO_T: (11, 12),
        GENTENG: (21, 22, 23),
        TANJUNG_PERAK: (31, 32),
    },
)

STUNTING_HEADER = ["KODE KELURAHAN", "RW", "RT", "BALITA STUNTING"]
FAMILY_HEADER = [
    "NO",
    "NO KK",
    "NIK",
    "NAMA KEPALA KELUARGA",
    "RT",
    "RW",
    "KELURAHAN",
    "KECAMATAN",
    "JUMLAH ANGGOTA",
    "KATEGORI",
]
KK = [f"35780712{n:08d}" for n in range(1, 40)]  # invented 16-digit family card numbers


def sheet(rows: list[list], name: str = "Data", visible: bool = True) -> Sheet:
    return Sheet(name=name, visible=visible, rows=rows)


def read(rows: list[list], iset, name: str = "Data"):
    """Suggest the mapping of a one-sheet workbook and run it; the mapping must be found."""
    data = sheet(rows, name)
    mapping, problems = suggest_mapping([data], iset)
    assert problems == []
    return mapping, run(data, mapping, iset, INDEX)


def stunting(rows: list[list]) -> list[list]:
    """A Dinkes-like RT file: a title row, a blank row, the header on Excel row 3."""
    return [["BALITA STUNTING PER RT - OKTOBER 2026"], [""], STUNTING_HEADER, *rows]


def family(n, rt, rw, kelurahan, kecamatan, members, category, kk=None) -> list:
    """One row of a Dinsos-like family list."""
    return [
        float(n),
        KK[n] if kk is None else kk,
        f"35780799{n:08d}",
        f"WARGA {n}",
        rt,
        rw,
        kelurahan,
        kecamatan,
        members,
        category,
    ]


def families(rows: list[list]) -> list[list]:
    """A family list: the header on Excel row 1, families from row 2."""
    return [FAMILY_HEADER, *rows]


def family_values(rt_id: int, gamis: int, pramis: int, jiwa: int) -> dict:
    return {
        (rt_id, "kk_gamis"): gamis,
        (rt_id, "kk_pramis"): pramis,
        (rt_id, "jiwa_gamis"): jiwa,
    }


def problem(code, row, column, value, sheet_name="Data", severity="error", **params) -> Problem:
    return Problem(
        code,
        row=row,
        column=column,
        value=value,
        sheet=sheet_name,
        params=params,
        severity=severity,
    )


# --- locating the header --------------------------------------------------------------


def test_header_is_found_below_title_rows_and_a_blank_row():
    rows = [
        ["DATA BALITA STUNTING PER RT", "", "", ""],
        ["Dinas Kesehatan Kota Surabaya - Oktober 2026", "", "", ""],
        ["", "", "", ""],
        STUNTING_HEADER,
        [GENTENG, "001", "001", 4.0],
    ]
    mapping, outcome = read(rows, STUNTING)
    assert mapping == Mapping(
        sheet="Data",
        header_row=4,
        columns={"kelurahan_code": 0, "rw": 1, "rt": 2, "balita_stunting": 3},
        values={},
        headers={
            "kelurahan_code": "KODE KELURAHAN",
            "rw": "RW",
            "rt": "RT",
            "balita_stunting": "BALITA STUNTING",
        },
        ignored=[],
    )
    assert outcome.values == {(21, "balita_stunting"): 4}
    assert (outcome.rows_read, outcome.rows_rejected, outcome.problems) == (1, 0, [])


def test_the_visible_sheet_with_the_header_is_chosen_hidden_sheets_are_never_read():
    notes = sheet([["Petunjuk pengisian"], ["Isi satu baris per RT."]], name="Petunjuk")
    hidden = sheet([STUNTING_HEADER, [GENTENG, "001", "001", 99.0]], name="Lama", visible=False)
    data = sheet(stunting([[GENTENG, "001", "001", 4.0]]), name="Rekap")
    mapping, problems = suggest_mapping([notes, hidden, data], STUNTING)
    assert problems == []
    assert (mapping.sheet, mapping.header_row) == ("Rekap", 3)


def test_header_aliases_nomor_kk_kel_kode_kelurahan_and_rt_rw():
    rows = [
        ["No", "NOMOR KK", "KODE KELURAHAN", "KEL.", "RT/RW", "STATUS", "JML JIWA"],
        [1.0, KK[1], "", "Kel. Genteng", "RT.001/RW.002", "Gamis", 4.0],
    ]
    mapping, outcome = read(rows, DINSOS)
    assert mapping.header_row == 1
    assert mapping.columns == {
        "household_id": 1,
        "kelurahan_code": 2,
        "kelurahan": 3,
        "rt_rw": 4,
        "rt": 4,
        "category": 5,
        "members": 6,
    }
    assert mapping.headers == {
        "household_id": "NOMOR KK",
        "kelurahan_code": "KODE KELURAHAN",
        "kelurahan": "KEL.",
        "rt_rw": "RT/RW",
        "rt": "RT/RW",
        "category": "STATUS",
        "members": "JML JIWA",
    }
    assert mapping.ignored == ["No"]
    assert mapping.values == {"GAMIS": "GAMIS"}
    assert outcome.problems == []
    assert outcome.values == {
        **family_values(21, 0, 0, 0),
        **family_values(22, 1, 0, 4),  # RT 001 / RW 002 of Genteng
        **family_values(23, 0, 0, 0),
    }


def test_missing_required_columns_are_named():
    rows = [["KELURAHAN", "RW", "RT", "JUMLAH ANGGOTA"], ["Genteng", "1", "1", 3.0]]
    mapping, problems = suggest_mapping([sheet(rows)], DINSOS)
    assert mapping is None
    assert problems == [
        Problem(
            "import.missing_column",
            row=1,
            sheet="Data",
            params={"field": "household_id", "example": "NO KK"},
        ),
        Problem(
            "import.missing_column",
            row=1,
            sheet="Data",
            params={"field": "category", "example": "KATEGORI"},
        ),
    ]


def test_a_field_headed_twice_is_refused_naming_both_columns_and_headers():
    # SS-05: the same header text twice, and two aliases of one field; the first column
    # used to win silently, leaving the other's counts unread.
    rows = stunting(
        [[GENTENG, "001", "001", 4.0, "001", 9.0]],
    )
    rows[2] = ["KODE KELURAHAN", "RW", "RT", "BALITA STUNTING", "NO RT", "Balita Stunting"]
    mapping, problems = suggest_mapping([sheet(rows)], STUNTING)
    assert mapping is None
    assert problems == [
        Problem(
            "import.duplicate_column",
            row=3,
            column="E",
            value="NO RT",
            sheet="Data",
            params={
                "field": "rt",
                "first": "C",
                "first_header": "RT",
                "second": "E",
                "second_header": "NO RT",
            },
        ),
        Problem(
            "import.duplicate_column",
            row=3,
            column="F",
            value="Balita Stunting",
            sheet="Data",
            params={
                "field": "balita_stunting",
                "first": "D",
                "first_header": "BALITA STUNTING",
                "second": "F",
                "second_header": "Balita Stunting",
            },
        ),
    ]


def test_a_missing_column_and_a_duplicated_one_are_reported_together():
    rows = [
        ["KELURAHAN", "RT", "RW", "RT", "KATEGORI", "JUMLAH ANGGOTA"],
        ["Genteng", "1", "1", "1", "GAMIS", 3],
    ]
    mapping, problems = suggest_mapping([sheet(rows)], DINSOS)
    assert mapping is None
    assert [(p.code, p.column, p.params.get("field")) for p in problems] == [
        ("import.missing_column", None, "household_id"),
        ("import.duplicate_column", "D", "rt"),
    ]


def test_a_merged_group_header_above_the_sub_headers_reads_the_sub_header_row():
    # SS-05: "WILAYAH" merged across A1:C1 over KODE KELURAHAN / RW / RT. The group row
    # matches no field; the sub-header row is the header, and the columns are its own.
    import io

    import openpyxl

    from transparency.spreadsheets import read_sheets

    workbook = openpyxl.Workbook()
    data = workbook.active
    data.title = "Data"
    data["A1"] = "WILAYAH"
    data.merge_cells("A1:C1")
    data["D1"] = "OKTOBER 2026"
    for row in (
        ["KODE KELURAHAN", "RW", "RT", "BALITA STUNTING"],
        [GENTENG, "001", "001", 4],
        [GENTENG, "002", "001", 6],
    ):
        data.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheets = read_sheets(buffer.getvalue(), "stunting.xlsx")
    assert sheets[0].rows[0] == ["WILAYAH", "", "", "OKTOBER 2026"]
    mapping, problems = suggest_mapping(sheets, STUNTING)
    assert problems == []
    assert (mapping.header_row, mapping.columns) == (
        2,
        {"kelurahan_code": 0, "rw": 1, "rt": 2, "balita_stunting": 3},
    )
    outcome = run(sheets[0], mapping, STUNTING, INDEX)
    assert outcome.values == {(21, "balita_stunting"): 4, (22, "balita_stunting"): 6}
    assert (outcome.rows_read, outcome.problems) == (2, [])


def test_an_rt_file_with_other_column_names_and_a_total_row():
    rows = [
        ["REKAP ANAK USIA SEKOLAH", "", "", "", "", "", "", ""],
        ["KD KEL", "NO RW", "NO RT", "USIA SD", "JML ANAK SMP", "ANAK SMA", "ATS", "SINAU BARENG"],
        ["3578071002", "001", "001", 31.0, 15.0, 15.0, 0.0, 4.0],
        ["3578071002", "002", "001", 23.0, 12.0, 11.0, 6.0, 4.0],
        ["TOTAL", "", "", 54.0, 27.0, 26.0, 6.0, 9.0],
    ]
    mapping, outcome = read(rows, DISPENDIK)
    assert mapping.header_row == 2
    assert mapping.columns == {
        "kelurahan_code": 0,
        "rw": 1,
        "rt": 2,
        "anak_sd": 3,
        "anak_smp": 4,
        "anak_sma": 5,
        "anak_tidak_sekolah": 6,
        "peserta_sinau_bareng": 7,
    }
    assert outcome.values == {
        (21, "anak_sd"): 31,
        (21, "anak_smp"): 15,
        (21, "anak_sma"): 15,
        (21, "anak_tidak_sekolah"): 0,
        (21, "peserta_sinau_bareng"): 4,
        (22, "anak_sd"): 23,
        (22, "anak_smp"): 12,
        (22, "anak_sma"): 11,
        (22, "anak_tidak_sekolah"): 6,
        (22, "peserta_sinau_bareng"): 4,
    }
    assert outcome.problems == [
        problem("import.total_mismatch", 5, "H", "9", severity="warning", stated=9, computed=8)
    ]


# --- RT and RW numbers ----------------------------------------------------------------


def test_rt_written_as_1_01_001_and_rt_01_in_one_column_is_the_same_rt():
    rows = families(
        [
            family(1, 1.0, "1", "GENTENG", "GENTENG", 2.0, "GAMIS"),
            family(2, "01", "01", "GENTENG", "GENTENG", 3.0, "GAMIS"),
            family(3, "001", "001", "GENTENG", "GENTENG", 4.0, "GAMIS"),
            family(4, "RT 01", "RW. 1", "GENTENG", "GENTENG", 5.0, "PRAMIS"),
            family(5, "RT 7", "RW 09", "GENTENG", "GENTENG", 1.0, "PRAMIS"),
        ]
    )
    _mapping, outcome = read(rows, DINSOS)
    assert outcome.problems == []
    assert outcome.values == {
        **family_values(21, 3, 1, 9),
        **family_values(22, 0, 0, 0),
        **family_values(23, 0, 1, 0),
    }


def test_rt_rw_in_one_column_in_several_spellings():
    rows = [
        ["KODE KELURAHAN", "RT/RW", "BALITA STUNTING"],
        [GENTENG, "RT.001/RW.002", 1.0],
        [TANJUNG_PERAK, "001/001", 2.0],
        [WONOREJO_R, "RT 02 / RW 01", 3.0],
        [WONOREJO_T, "1/1", 4.0],
        [GENTENG, "7/9", 5.0],
        [GENTENG, "RT 1", 6.0],  # no RW: rejected
    ]
    mapping, outcome = read(rows, STUNTING)
    assert mapping.columns == {"kelurahan_code": 0, "rt_rw": 1, "rt": 1, "balita_stunting": 2}
    assert outcome.values == {
        (22, "balita_stunting"): 1,
        (31, "balita_stunting"): 2,
        (2, "balita_stunting"): 3,
        (11, "balita_stunting"): 4,
        (23, "balita_stunting"): 5,
    }
    assert outcome.problems == [
        problem("import.bad_number", 7, "B", "RT 1", field="rw"),
        problem("import.bad_number", 7, "B", "RT 1", field="rt"),
    ]
    assert (outcome.rows_read, outcome.rows_rejected) == (6, 1)


def test_invisible_characters_and_full_width_digits_in_rt_rw_cells_name_the_same_rt():
    # SS-01 through the pipeline: RT 001 / RW 002 of Genteng (id 22) however it is spelled;
    # a spelling that is no number is refused, none lands on another RT.
    rows = [
        ["KODE KELURAHAN", "RW", "RT", "BALITA STUNTING"],
        [GENTENG, "0\u200b02", "001\u00a0", 1],
        [GENTENG, "００２", "\ufeffＲＴ ００１", 2],
        ["35.78.07.1002\u200b", "RW\u00a002", "0\u200d01", 3],
        [GENTENG, "0\u00a002", "001", 4],  # a visible gap between digits: refused
    ]
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.problems == [
        problem("import.duplicate_rt", 3, "C", "RT 001", first_row=2),
        problem("import.duplicate_rt", 4, "C", "001", first_row=2),
        problem("import.bad_number", 5, "B", "0 02", field="rw"),
    ]
    assert outcome.values == {(22, "balita_stunting"): 1}


def test_an_rt_not_in_the_register_is_rejected_with_its_column():
    rows = stunting([[GENTENG, "001", "099", 4.0], [GENTENG, "001", "0", 1.0]])
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.values == {}
    assert outcome.problems == [
        problem("import.unknown_rt", 4, "C", "099", rt="099", rw="001", kelurahan=GENTENG),
        problem("import.bad_number", 5, "C", "0", field="rt"),
    ]


# --- kelurahan ------------------------------------------------------------------------


def test_kelurahan_by_dotted_code_undotted_code_name_alias_and_kecamatan():
    rows = [
        ["KODE KELURAHAN", "KELURAHAN", "KECAMATAN", "RW", "RT", "BALITA STUNTING"],
        [GENTENG, "", "", "001", "001", 1.0],
        ["3578071002", "", "", "002", "001", 2.0],
        ["", "Kel. Genteng", "", "009", "007", 3.0],
        ["", "PERAK UTARA", "", "001", "001", 4.0],
        ["", "Perak Timur", "", "001", "002", 5.0],
        ["", "WONOREJO", "RUNGKUT", "001", "001", 6.0],
        ["", "Wonorejo", "Kec. Tegalsari", "001", "001", 7.0],
    ]
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.problems == []
    assert outcome.values == {
        (21, "balita_stunting"): 1,
        (22, "balita_stunting"): 2,
        (23, "balita_stunting"): 3,
        (31, "balita_stunting"): 4,
        (32, "balita_stunting"): 5,
        (1, "balita_stunting"): 6,
        (11, "balita_stunting"): 7,
    }


def test_wonorejo_without_a_kecamatan_column_is_ambiguous():
    rows = [
        ["KELURAHAN", "RW", "RT", "BALITA STUNTING"],
        ["WONOREJO", "001", "001", 6.0],
        ["GENTENG", "001", "001", 1.0],
    ]
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.problems == [problem("import.ambiguous_kelurahan", 2, "A", "WONOREJO")]
    assert outcome.values == {(21, "balita_stunting"): 1}
    assert (outcome.rows_read, outcome.rows_rejected) == (2, 1)


def test_wonorejo_with_a_kecamatan_that_has_no_wonorejo_is_ambiguous():
    rows = [
        ["KELURAHAN", "KECAMATAN", "RW", "RT", "BALITA STUNTING"],
        ["WONOREJO", "GENTENG", "001", "001", 6.0],
    ]
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.problems == [problem("import.ambiguous_kelurahan", 2, "A", "WONOREJO")]
    assert outcome.values == {}


def test_unknown_kelurahan_code_and_name_are_rejected():
    rows = [
        ["KODE KELURAHAN", "KELURAHAN", "RW", "RT", "BALITA STUNTING"],
        ["35.78.99.9999", "", "001", "001", 1.0],
        ["35781", "", "001", "001", 1.0],
        ["", "ATLANTIS", "001", "001", 1.0],
        ["35.15.01.2001", "", "001", "001", 1.0],  # Sidoarjo: outside any uploader's area
    ]
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.problems == [
        problem("import.unknown_kelurahan", 2, "A", "35.78.99.9999"),
        problem("import.unknown_kelurahan", 3, "A", "35781"),
        problem("import.unknown_kelurahan_name", 4, "B", "ATLANTIS"),
        problem("import.unknown_kelurahan", 5, "A", "35.15.01.2001"),
    ]
    assert outcome.values == {}
    assert outcome.rows_rejected == 4


def test_a_kelurahan_name_that_contradicts_the_code_is_rejected_at_the_name():
    """SS-09: the code says Genteng, the name says Tanjung Perak: neither is guessed. Both
    Wonorejo share a name, so the Rungkut code with "Wonorejo" is consistent; an old name
    (Perak Utara) of the code's kelurahan is too; a name the register does not know is
    left to the code."""
    rows = [
        ["KODE KELURAHAN", "KELURAHAN", "RW", "RT", "BALITA STUNTING"],
        [GENTENG, "Tanjung Perak", "001", "001", 1.0],
        [WONOREJO_R, "WONOREJO", "001", "001", 2.0],
        [TANJUNG_PERAK, "Perak Utara", "001", "001", 3.0],
        [GENTENG, "Gentengg", "002", "001", 4.0],
    ]
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.problems == [problem("import.kelurahan_mismatch", 2, "B", "Tanjung Perak")]
    assert outcome.values == {
        (RT_IDS[f"{WONOREJO_R}.001.001"], "balita_stunting"): 2,
        (RT_IDS[f"{TANJUNG_PERAK}.001.001"], "balita_stunting"): 3,
        (RT_IDS[f"{GENTENG}.002.001"], "balita_stunting"): 4,
    }
    assert outcome.rows_rejected == 1


def test_an_empty_kelurahan_code_is_reported_at_its_cell():
    rows = stunting([["", "001", "001", 3.0], [GENTENG, "001", "001", 1.0]])
    _mapping, outcome = read(rows, STUNTING)
    assert [(p.row, p.column, p.severity) for p in outcome.problems] == [(4, "A", "error")]
    assert outcome.values == {(21, "balita_stunting"): 1}


# --- counts ---------------------------------------------------------------------------


def test_indonesian_number_text_in_an_rt_file():
    rows = stunting(
        [
            [GENTENG, "001", "001", "1.234"],
            [GENTENG, "002", "001", "12,0"],
            [GENTENG, "009", "007", " 7 "],
            [WONOREJO_R, "001", "001", 5],
        ]
    )
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.problems == []
    assert outcome.values == {
        (21, "balita_stunting"): 1234,
        (22, "balita_stunting"): 12,
        (23, "balita_stunting"): 7,
        (1, "balita_stunting"): 5,
    }


def test_indonesian_thousands_with_decimal_zeros():
    rows = stunting([[GENTENG, "001", "001", "1.234,0"], [GENTENG, "002", "001", "1.234,00"]])
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.problems == []
    assert outcome.values == {(21, "balita_stunting"): 1234, (22, "balita_stunting"): 1234}


def test_dash_and_empty_are_zero_with_a_warning_in_an_rt_file():
    rows = stunting(
        [
            [GENTENG, "001", "001", "-"],
            [GENTENG, "002", "001", ""],
            [GENTENG, "009", "007", "–"],
            [WONOREJO_R, "001", "001", 3.0],
        ]
    )
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.values == {
        (21, "balita_stunting"): 0,
        (22, "balita_stunting"): 0,
        (23, "balita_stunting"): 0,
        (1, "balita_stunting"): 3,
    }
    assert outcome.problems == [
        problem("import.blank_as_zero", 4, "D", "-", severity="warning"),
        problem("import.blank_as_zero", 5, "D", "", severity="warning"),
        problem("import.blank_as_zero", 6, "D", "–", severity="warning"),
    ]
    assert (outcome.rows_read, outcome.rows_rejected, outcome.rows_warned) == (4, 0, 3)


def test_a_missing_cell_in_a_short_row_is_zero_with_a_warning():
    rows = stunting([[GENTENG, "001", "001"]])
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.values == {(21, "balita_stunting"): 0}
    assert outcome.problems == [problem("import.blank_as_zero", 4, "D", "", severity="warning")]


def test_negative_and_fractional_counts_are_rejected():
    rows = stunting(
        [
            [GENTENG, "001", "001", -3.0],
            [GENTENG, "002", "001", "-3"],
            [GENTENG, "009", "007", 2.5],
            [WONOREJO_R, "001", "001", "2,5"],
            [WONOREJO_R, "001", "002", "1.5"],
            [WONOREJO_R, "002", "001", "dua"],
            [TANJUNG_PERAK, "001", "001", 8.0],
        ]
    )
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.values == {(31, "balita_stunting"): 8}
    assert outcome.problems == [
        problem("import.bad_count", 4, "D", "-3"),
        problem("import.bad_count", 5, "D", "-3"),
        problem("import.bad_count", 6, "D", "2.5"),
        problem("import.bad_count", 7, "D", "2,5"),
        problem("import.bad_count", 8, "D", "1.5"),
        problem("import.bad_count", 9, "D", "dua"),
    ]
    assert (outcome.rows_read, outcome.rows_rejected) == (7, 6)


def test_numbers_too_large_for_any_rt_are_row_errors_not_a_crash():
    # SS-08: 1e308 read as a 309-digit count, which the database refused at commit.
    rows = stunting(
        [
            [GENTENG, "001", "001", 1e308],
            [GENTENG, "002", "001", float("inf")],
            [GENTENG, "009", "007", float("nan")],
            [WONOREJO_R, "001", "001", 3e9],
            [TANJUNG_PERAK, "001", "001", 8.0],
        ]
    )
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.values == {(31, "balita_stunting"): 8}
    assert [(p.code, p.row, p.column) for p in outcome.problems] == [
        ("import.bad_count", 4, "D"),
        ("import.bad_count", 5, "D"),
        ("import.bad_count", 6, "D"),
        ("import.bad_count", 7, "D"),
    ]
    assert (outcome.rows_read, outcome.rows_rejected) == (5, 4)


def test_negative_members_reject_the_family():
    rows = families(
        [
            family(1, "001", "001", "GENTENG", "GENTENG", -2.0, "GAMIS"),
            family(2, "001", "001", "GENTENG", "GENTENG", 1.5, "GAMIS"),
            family(3, "001", "001", "GENTENG", "GENTENG", 3.0, "GAMIS"),
        ]
    )
    _mapping, outcome = read(rows, DINSOS)
    assert outcome.problems == [
        problem("import.bad_count", 2, "I", "-2"),
        problem("import.bad_count", 3, "I", "1.5"),
    ]
    assert outcome.values == {
        **family_values(21, 1, 0, 3),
        **family_values(22, 0, 0, 0),
        **family_values(23, 0, 0, 0),
    }


def test_the_same_rt_twice_in_an_rt_file_is_rejected_naming_the_first_row():
    rows = stunting(
        [
            [GENTENG, "001", "001", 4.0],
            [GENTENG, "002", "001", 2.0],
            [GENTENG, "1", "RT 1", 9.0],
        ]
    )
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.problems == [problem("import.duplicate_rt", 6, "C", "RT 1", first_row=4)]
    assert outcome.values == {(21, "balita_stunting"): 4, (22, "balita_stunting"): 2}
    assert (outcome.rows_read, outcome.rows_rejected) == (3, 1)


def test_a_family_listed_twice_is_counted_once_with_a_warning():
    rows = families(
        [
            family(1, "001", "001", "GENTENG", "GENTENG", 4.0, "GAMIS"),
            family(2, "001", "001", "GENTENG", "GENTENG", 2.0, "PRAMIS"),
            family(3, "001", "001", "GENTENG", "GENTENG", 4.0, "Gamis", kk=KK[1]),
        ]
    )
    _mapping, outcome = read(rows, DINSOS)
    assert outcome.problems == [
        problem("import.duplicate_household", 4, "B", "", severity="warning", first_row=2)
    ]
    assert outcome.values == {
        **family_values(21, 1, 1, 4),
        **family_values(22, 0, 0, 0),
        **family_values(23, 0, 0, 0),
    }
    assert (outcome.rows_read, outcome.rows_rejected, outcome.rows_warned) == (3, 0, 1)


def test_an_unknown_category_is_rejected_and_known_spellings_are_mapped():
    rows = families(
        [
            family(1, "001", "001", "GENTENG", "GENTENG", 4.0, "gamis"),
            family(2, "001", "001", "GENTENG", "GENTENG", 2.0, "GAMIS "),
            family(3, "001", "001", "GENTENG", "GENTENG", 3.0, "Pra Miskin"),
            family(4, "001", "001", "GENTENG", "GENTENG", 5.0, "MAMPU "),
        ]
    )
    mapping, outcome = read(rows, DINSOS)
    assert mapping.values == {"GAMIS": "GAMIS", "PRA MISKIN": "PRAMIS"}
    assert outcome.problems == [problem("import.unknown_category", 5, "J", "MAMPU")]
    assert outcome.values == {
        **family_values(21, 2, 1, 6),
        **family_values(22, 0, 0, 0),
        **family_values(23, 0, 0, 0),
    }


@pytest.mark.parametrize("typed", [int, float])
def test_a_no_kk_typed_as_a_number_counts_with_one_warning_for_the_column(typed):
    """Most exports hold No. KK as numbers: every row counts, one warning names the column
    (how many cells, which rows), and duplicates are found on the value as given: two
    families whose 16th digit Excel turned into 0 look alike and are counted once."""
    rows = families(
        [
            family(1, "001", "001", "GENTENG", "GENTENG", 4.0, "GAMIS", kk=typed(3578071200000010)),
            family(2, "001", "001", "GENTENG", "GENTENG", 2.0, "GAMIS", kk=typed(3578071200000020)),
            family(3, "001", "001", "GENTENG", "GENTENG", 3.0, "PRAMIS"),
            family(4, "001", "002", "GENTENG", "GENTENG", 5.0, "GAMIS", kk=typed(3578071200000020)),
            family(
                5, "001", "002", "GENTENG", "GENTENG", 1.0, "PRAMIS", kk=typed(3578071200000030)
            ),
        ]
    )
    _mapping, outcome = read(rows, DINSOS)
    assert outcome.problems == [
        problem("import.duplicate_household", 5, "B", "", severity="warning", first_row=3),
        Problem(
            "import.household_id_numbers",
            column="B",
            value="",
            sheet="Data",
            severity="warning",
            params={"count": 4, "rows": "2–3, 5–6"},
        ),
    ]
    assert outcome.values == {
        **family_values(21, 2, 1, 6),
        **family_values(22, 0, 1, 0),
        **family_values(23, 0, 0, 0),
    }
    assert (outcome.rows_read, outcome.rows_rejected, outcome.rows_warned) == (5, 0, 1)


def test_a_no_kk_in_scientific_notation_text_is_rejected_not_merged():
    """A CSV saved from Excel with the No. KK column as numbers holds text like
    ``3.57807E+15``: the digits are lost, so different families look the same."""
    rows = families(
        [
            family(1, "001", "001", "GENTENG", "GENTENG", 4.0, "GAMIS", kk="3.57807E+15"),
            family(2, "001", "001", "GENTENG", "GENTENG", 2.0, "GAMIS", kk="3.57807E+15"),
            family(3, "001", "001", "GENTENG", "GENTENG", 1.0, "GAMIS"),
        ]
    )
    _mapping, outcome = read(rows, DINSOS)
    assert outcome.problems == [
        problem("import.long_number", 2, "B", ""),
        problem("import.long_number", 3, "B", ""),
    ]
    assert outcome.values[(21, "kk_gamis")] == 1
    assert (outcome.rows_read, outcome.rows_rejected) == (3, 2)


# --- totals ---------------------------------------------------------------------------


def test_total_rows_are_left_out_and_a_matching_total_is_silent():
    rows = stunting(
        [
            [GENTENG, "001", "001", 4.0],
            [GENTENG, "002", "001", 6.0],
            ["", "", "", ""],
            ["TOTAL", "", "", 10.0],
        ]
    )
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.problems == []
    assert outcome.rows_read == 2
    assert outcome.values == {(21, "balita_stunting"): 4, (22, "balita_stunting"): 6}


def test_a_stated_total_that_differs_is_reported_with_stated_and_computed():
    rows = stunting(
        [
            [GENTENG, "001", "001", "1.000"],
            [GENTENG, "002", "001", 234.0],
            ["Jumlah:", "", "", "1.235"],
        ]
    )
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.problems == [
        problem(
            "import.total_mismatch", 6, "D", "1.235", severity="warning", stated=1235, computed=1234
        )
    ]
    assert outcome.rows_read == 2
    assert outcome.values == {(21, "balita_stunting"): 1000, (22, "balita_stunting"): 234}


def test_a_jumlah_row_in_a_family_list_checks_the_number_of_families():
    rows = families(
        [
            family(1, "001", "001", "GENTENG", "GENTENG", 4.0, "GAMIS"),
            family(2, "001", "001", "GENTENG", "GENTENG", 2.0, "PRAMIS"),
            family(3, "001", "002", "GENTENG", "GENTENG", 1.0, "PRAMIS"),
            ["JUMLAH", 5.0, "", "", "", "", "", "", "", ""],
        ]
    )
    _mapping, outcome = read(rows, DINSOS)
    assert outcome.problems == [
        problem("import.total_mismatch", 5, "B", "5", severity="warning", stated=5, computed=3)
    ]
    assert outcome.rows_read == 3
    assert outcome.values == {
        **family_values(21, 1, 1, 4),
        **family_values(22, 0, 1, 0),
        **family_values(23, 0, 0, 0),
    }


def test_subtotals_per_rw_and_notes_rows_are_left_out_and_reported_once_each():
    # SS-07: each of these rows used to give three errors (kelurahan, RW, RT); SUBTOTAL
    # was checked against the whole sheet and gave a false mismatch.
    rows = stunting(
        [
            [GENTENG, "001", "001", 4],  # row 4
            ["JUMLAH RW 001", "", "", 4],
            [GENTENG, "002", "001", 6],
            ["Sub-Total RW 002 :", "", "", 6],
            [TANJUNG_PERAK, "001", "001", 1],
            [TANJUNG_PERAK, "001", "002", 2],
            ["SUBTOTAL", "", "", 3],  # row 10
            [],
            ["TOTAL", "", "", 13],  # the data rows only: 4 + 6 + 1 + 2
            ["Sumber: Dinsos Kota Surabaya", "", "", ""],
            ["Keterangan :", "data per 31 Oktober 2026", "", ""],
            ["Catatan", "", "", ""],  # a note word alone in its row
        ]
    )
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.values == {
        (21, "balita_stunting"): 4,
        (22, "balita_stunting"): 6,
        (31, "balita_stunting"): 1,
        (32, "balita_stunting"): 2,
    }
    assert (outcome.rows_read, outcome.rows_rejected, outcome.rows_warned) == (4, 0, 0)
    assert outcome.problems == [
        Problem(
            "import.subtotal_rows",
            sheet="Data",
            severity="warning",
            params={"count": 3, "rows": "5, 7, 10"},
        ),
        Problem(
            "import.note_rows",
            sheet="Data",
            severity="warning",
            params={"count": 3, "rows": "13\u201315"},
        ),
    ]


def test_a_grand_total_that_counts_the_subtotals_too_is_a_mismatch():
    rows = stunting(
        [
            [GENTENG, "001", "001", 4],
            ["JUMLAH RW 001", "", "", 4],
            [GENTENG, "002", "001", 6],
            ["JUMLAH RW 002", "", "", 6],
            ["TOTAL", "", "", 20],  # the subtotals summed in as well
        ]
    )
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.values == {(21, "balita_stunting"): 4, (22, "balita_stunting"): 6}
    assert outcome.problems == [
        problem("import.total_mismatch", 8, "D", "20", severity="warning", stated=20, computed=10),
        Problem(
            "import.subtotal_rows",
            sheet="Data",
            severity="warning",
            params={"count": 2, "rows": "5, 7"},
        ),
    ]


def test_bare_jumlah_rows_under_each_rw_are_subtotals_and_the_last_total_is_checked():
    rows = stunting(
        [
            [GENTENG, "001", "001", 4],
            ["JUMLAH", "", "", 4],
            [GENTENG, "002", "001", 6],
            ["JUMLAH", "", "", 6],
            ["JUMLAH", "", "", 10],
        ]
    )
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.problems == [
        Problem(
            "import.subtotal_rows",
            sheet="Data",
            severity="warning",
            params={"count": 2, "rows": "5, 7"},
        )
    ]


def test_a_kelurahan_spelled_like_a_note_word_is_still_a_data_row():
    rows = [["KELURAHAN", "RW", "RT", "BALITA STUNTING"], ["Sumber Rejo", "001", "001", 3]]
    _mapping, outcome = read(rows, STUNTING)
    assert outcome.problems == [problem("import.unknown_kelurahan_name", 2, "A", "Sumber Rejo")]
    assert (outcome.rows_read, outcome.rows_rejected) == (1, 1)


def test_a_subtotal_and_a_note_in_a_family_list_are_left_out():
    rows = families(
        [
            family(1, "001", "001", "GENTENG", "GENTENG", 4.0, "GAMIS"),
            ["", "JUMLAH RW 001", "", "", "", "", "", "", 4.0, ""],
            family(2, "001", "002", "GENTENG", "GENTENG", 2.0, "PRAMIS"),
            ["JUMLAH", 2.0, "", "", "", "", "", "", "", ""],
            ["Sumber: DTKS Kemensos, diolah Dinsos", "", "", "", "", "", "", "", "", ""],
        ]
    )
    _mapping, outcome = read(rows, DINSOS)
    assert outcome.values == {
        **family_values(21, 1, 0, 4),
        **family_values(22, 0, 1, 0),
        **family_values(23, 0, 0, 0),
    }
    assert outcome.rows_read == 2
    assert outcome.problems == [
        Problem(
            "import.subtotal_rows",
            sheet="Data",
            severity="warning",
            params={"count": 1, "rows": "3"},
        ),
        Problem(
            "import.note_rows", sheet="Data", severity="warning", params={"count": 1, "rows": "6"}
        ),
    ]


def test_five_thousand_formatted_empty_rows_after_the_data_add_no_rows_and_no_problems():
    # SS-07: cells with a fill and a border but no value, as Excel leaves them below a table.
    import io

    import openpyxl
    from openpyxl.styles import Border, PatternFill, Side

    from transparency.spreadsheets import read_sheets

    workbook = openpyxl.Workbook()
    data = workbook.active
    data.title = "Data"
    for row in stunting([[GENTENG, "001", "001", 4], [GENTENG, "002", "001", 6]]):
        data.append(row)
    fill = PatternFill("solid", start_color="FFFFFF00")
    border = Border(bottom=Side(style="thin"))
    for number in range(6, 5006):
        for column in range(1, 5):
            cell = data.cell(row=number, column=column)
            cell.fill, cell.border = fill, border
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheets = read_sheets(buffer.getvalue(), "stunting.xlsx")
    mapping, problems = suggest_mapping(sheets, STUNTING)
    assert problems == []
    outcome = run(sheets[0], mapping, STUNTING, INDEX)
    assert outcome.values == {(21, "balita_stunting"): 4, (22, "balita_stunting"): 6}
    assert (outcome.rows_read, outcome.rows_rejected, outcome.problems) == (2, 0, [])


# --- another department's indicator ------------------------------------------------------


def test_a_column_of_another_departments_indicator_is_named_with_its_department():
    from transparency.importing import foreign_columns

    rows = [
        ["KODE KELURAHAN", "RW", "RT", "ANAK USIA SD", "BALITA STUNTING", "STUNTING", "CATATAN"],
        [GENTENG, "001", "001", 12, 3, "", "ok"],
        [GENTENG, "002", "001", 10, "", "", ""],
    ]
    data = sheet(rows)
    area = {"kelurahan_code": 0, "rw": 1, "rt": 2}
    # Read for Dispendik (D): E is Dinkes's indicator. F is headed so too but holds
    # nothing, so it carries no figures to refuse; G is no indicator at all.
    dispendik = Mapping(sheet="Data", header_row=1, columns={**area, "anak_sd": 3})
    assert foreign_columns(data, dispendik, DISPENDIK) == [
        Problem(
            "import.other_department_column",
            row=1,
            column="E",
            value="BALITA STUNTING",
            sheet="Data",
            params={"indicator": "balita_stunting", "department": "DINKES"},
        )
    ]
    # Read for Dinkes (E): D is Dispendik's.
    dinkes = Mapping(sheet="Data", header_row=1, columns={**area, "balita_stunting": 4})
    assert foreign_columns(data, dinkes, STUNTING) == [
        Problem(
            "import.other_department_column",
            row=1,
            column="D",
            value="ANAK USIA SD",
            sheet="Data",
            params={"indicator": "anak_sd", "department": "DISPENDIK"},
        )
    ]


def test_every_set_knows_the_column_indicators_of_the_other_departments_only():
    assert [(f.indicator, f.department) for f in STUNTING.foreign] == [
        ("anak_sd", "dispendik"),
        ("anak_smp", "dispendik"),
        ("anak_sma", "dispendik"),
        ("anak_tidak_sekolah", "dispendik"),
        ("peserta_sinau_bareng", "dispendik"),
    ]
    assert [(f.indicator, f.department) for f in DISPENDIK.foreign] == [
        ("balita_stunting", "dinkes")
    ]
    assert len(DINSOS.foreign) == 6


# --- household files ------------------------------------------------------------------


def test_a_family_list_gives_zeros_to_every_rt_of_each_kelurahan_it_mentions():
    rows = families(
        [
            family(1, "001", "001", "GENTENG", "GENTENG", 3.0, "GAMIS"),
            family(2, "001", "001", "WONOREJO", "TEGALSARI", 2.0, "PRAMIS"),
        ]
    )
    _mapping, outcome = read(rows, DINSOS)
    assert outcome.problems == []
    assert outcome.values == {
        **family_values(21, 1, 0, 3),
        **family_values(22, 0, 0, 0),
        **family_values(23, 0, 0, 0),
        **family_values(11, 0, 1, 0),
        **family_values(12, 0, 0, 0),
    }  # nothing for Wonorejo (Rungkut) nor Tanjung Perak, which the file does not mention


def test_no_kk_never_appears_in_any_problem():
    rows = families(
        [
            family(1, "001", "001", "GENTENG", "GENTENG", 3.0, "GAMIS"),
            family(2, "001", "001", "GENTENG", "GENTENG", 3.0, "GAMIS", kk=KK[1]),  # twice
            family(3, "001", "001", "GENTENG", "GENTENG", 3.0, "GAMIS", kk=int(KK[3])),
            family(4, "001", "001", "GENTENG", "GENTENG", 3.0, "GAMIS", kk=float(KK[4])),
            family(5, "001", "001", "GENTENG", "GENTENG", 3.0, "MAMPU"),
            family(6, "099", "001", "GENTENG", "GENTENG", 3.0, "GAMIS"),
            family(7, "001", "001", "ATLANTIS", "", 3.0, "GAMIS"),
            family(8, "001", "001", "WONOREJO", "", 3.0, "GAMIS"),
            family(9, "001", "001", "GENTENG", "GENTENG", "tiga", "GAMIS"),
            family(10, "x", "y", "GENTENG", "GENTENG", 3.0, "GAMIS"),
            family(11, "001", "001", "GENTENG", "GENTENG", 3.0, "GAMIS", kk=" "),
            family(12, "001", "001", "GENTENG", "GENTENG", 3.0, "GAMIS", kk=KK[3]),
            family(13, "001", "001", "GENTENG", "GENTENG", 3.0, "GAMIS", kk=KK[3]),  # twice
            ["JUMLAH", 99.0, "", "", "", "", "", "", "", ""],
        ]
    )
    _mapping, outcome = read(rows, DINSOS)
    codes = sorted({p.code for p in outcome.problems})
    assert codes == [
        "import.ambiguous_kelurahan",
        "import.bad_count",
        "import.bad_number",
        "import.duplicate_household",
        "import.household_id_numbers",
        "import.missing_value",
        "import.total_mismatch",
        "import.unknown_category",
        "import.unknown_kelurahan_name",
        "import.unknown_rt",
    ]
    kk_numbers = set(KK[1:14])
    for found in outcome.problems:
        text = repr(found)
        leaked = [kk for kk in kk_numbers if kk in text]
        assert leaked == [], f"{found.code} row {found.row} names a No. KK"
        if found.column == "B":
            assert found.value in ("", "99")


# --- plan -----------------------------------------------------------------------------


def test_plan_sorts_new_changed_unchanged_and_removed():
    current = {
        (1, "a"): 5,
        (2, "a"): 10,
        (3, "a"): 40,
        (4, "a"): 1,
        (6, "a"): 7,
        (7, "a"): 3,
        (6, "b"): 2,
    }
    values = {
        (1, "a"): 5,  # unchanged
        (2, "a"): 30,  # +20
        (3, "a"): 15,  # -25: the largest change comes first
        (6, "a"): 6,  # -1
        (7, "a"): 4,  # +1, ties ordered by RT
        (5, "a"): 2,  # new
        (5, "b"): 0,  # new, zero
    }
    result = plan(values, current)
    assert result.new == [Change(5, "a", None, 2), Change(5, "b", None, 0)]
    assert result.changed == [
        Change(3, "a", 40, 15),
        Change(2, "a", 10, 30),
        Change(6, "a", 7, 6),
        Change(7, "a", 3, 4),
    ]
    assert result.unchanged == 1
    assert result.removed == [(4, "a"), (6, "b")]
    assert not result.is_noop


def test_plan_of_the_figures_in_force_is_a_noop():
    current = {(1, "a"): 5, (2, "a"): 0, (2, "b"): 7}
    result = plan(dict(current), current)
    assert (result.new, result.changed, result.unchanged, result.removed) == ([], [], 3, [])
    assert result.is_noop


def test_plan_with_only_removals_is_not_a_noop():
    result = plan({}, {(1, "a"): 5})
    assert result.removed == [(1, "a")]
    assert not result.is_noop


# --- saved mappings -------------------------------------------------------------------


def test_mapping_round_trips_through_json():
    rows = families([family(1, "001", "001", "GENTENG", "GENTENG", 3.0, "Gamis")])
    mapping, _outcome = read(rows, DINSOS)
    stored = json.loads(json.dumps(mapping.to_json()))
    assert Mapping.from_json(stored) == mapping
    assert stored == {
        "sheet": "Data",
        "header_row": 1,
        "columns": {
            "household_id": 1,
            "rt": 4,
            "rw": 5,
            "kelurahan": 6,
            "kecamatan": 7,
            "members": 8,
            "category": 9,
        },
        "values": {"GAMIS": "GAMIS"},
        "headers": {
            "household_id": "NO KK",
            "rt": "RT",
            "rw": "RW",
            "kelurahan": "KELURAHAN",
            "kecamatan": "KECAMATAN",
            "members": "JUMLAH ANGGOTA",
            "category": "KATEGORI",
        },
        "ignored": ["NO", "NIK", "NAMA KEPALA KELUARGA"],
    }


def test_a_mapping_read_back_reads_the_file_the_same_way():
    rows = families(
        [
            family(1, "001", "001", "GENTENG", "GENTENG", 3.0, "Gamis"),
            family(2, "001", "002", "GENTENG", "GENTENG", 1.0, "PRAMIS"),
        ]
    )
    mapping, outcome = read(rows, DINSOS)
    again = Mapping.from_json(json.loads(json.dumps(mapping.to_json())))
    assert run(sheet(rows), again, DINSOS, INDEX) == outcome


def test_a_hand_made_mapping_with_text_numbers_is_read_back_as_numbers():
    saved = {
        "sheet": "Rekap",
        "header_row": "3",
        "columns": {"kelurahan_code": "0", "rw": 1, "rt": 2, "balita_stunting": 3},
    }
    assert Mapping.from_json(saved) == Mapping(
        sheet="Rekap",
        header_row=3,
        columns={"kelurahan_code": 0, "rw": 1, "rt": 2, "balita_stunting": 3},
    )


# --- the fast path gives what the full checks give --------------------------------------

# Cells as city files spell them, clean and messy, for a property test of ``run``.
_KELURAHAN_CELLS = ("WONOREJO", "Genteng", "KEL. GENTENG", "PERAK UTARA", "NGAGEL", "", 7)
_KECAMATAN_CELLS = ("RUNGKUT", "TEGALSARI", "GENTENG", "")
_AREA_NUMBER_CELLS = ("1", "01", "RT 001", 1, 1.0, 2, "2", 9, "7", "x", "", True, "٠١")
_MEMBER_CELLS = (1, 3, 4.0, "5", "1.234", "-", "", -2, 2.5, "nihil", True)
_CATEGORY_CELLS = ("GAMIS", "Gamis", "PRAMIS ", "pramis", "MISKIN", "kaya", "", 1)
_KK_CELLS = (*KK[:6], "", "3.57807E+15", 3578071200000001.0, "1234 5678", "ABC")


@pytest.fixture(scope="module")
def dinsos_mapping() -> Mapping:
    mapping, problems = suggest_mapping([sheet(families([]))], DINSOS)
    assert problems == []
    # Every category spelling the property test uses, as an operator confirms them.
    mapping.values = {"GAMIS": "GAMIS", "PRAMIS": "PRAMIS", "MISKIN": "GAMIS"}
    return mapping


def _without_fast_path(monkeypatch) -> None:
    from transparency import importing

    monkeypatch.setattr(importing._FastPath, "contributions", lambda *args: None)


_MESSY_FAMILY = st.tuples(
    st.sampled_from(_KK_CELLS),
    st.sampled_from(_AREA_NUMBER_CELLS),
    st.sampled_from(_AREA_NUMBER_CELLS),
    st.sampled_from(_KELURAHAN_CELLS),
    st.sampled_from(_KECAMATAN_CELLS),
    st.sampled_from(_MEMBER_CELLS),
    st.sampled_from(_CATEGORY_CELLS),
    st.booleans(),  # a short row (cells missing at the end)
)
_CLEAN_AREAS = (  # (RT, RW, kelurahan, kecamatan) cells that name an RT of INDEX
    ("1", "1", "GENTENG", ""),
    ("RT 001", 1, "Kel. Genteng", "GENTENG"),
    (7, "009", "GENTENG", ""),
    (2, "1", "PERAK UTARA", ""),
    ("01", "01", "WONOREJO", "RUNGKUT"),
    (1, 2, "WONOREJO", "Rungkut"),
)
_CLEAN_FAMILY = st.builds(
    lambda kk, area, members, category: (kk, *area, members, category, False),
    st.sampled_from(KK[:6]),  # few numbers, so families repeat
    st.sampled_from(_CLEAN_AREAS),
    st.sampled_from((1, 3, 4.0, "5", "1.234")),
    st.sampled_from(("GAMIS", "Gamis", "PRAMIS ", "pramis", "MISKIN")),
)


@given(st.lists(st.one_of(_CLEAN_FAMILY, _CLEAN_FAMILY, _MESSY_FAMILY), max_size=40))
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_fast_path_and_the_full_checks_give_the_same_outcome(dinsos_mapping, monkeypatch, rows):
    cells = [
        family(n, rt, rw, kel, kec, members, category, kk=kk)[: 8 if short else None]
        for n, (kk, rt, rw, kel, kec, members, category, short) in enumerate(rows, start=1)
    ]
    data = sheet(families(cells))
    fast = run(data, dinsos_mapping, DINSOS, INDEX)
    with monkeypatch.context() as patched:
        _without_fast_path(patched)
        slow = run(data, dinsos_mapping, DINSOS, INDEX)
    assert fast.values == slow.values
    assert (fast.rows_read, fast.rows_rejected, fast.rows_warned) == (
        slow.rows_read,
        slow.rows_rejected,
        slow.rows_warned,
    )
    assert fast.problems == slow.problems


_RT_CODES = ("35.78.07.1002", "3578071002", "35.78.03.1005", "99", "")
_CLEAN_RT_ROW = st.tuples(
    st.sampled_from(_RT_CODES[:3]),
    st.sampled_from(("1", 1, "RW 01")),
    st.sampled_from(("1", 1, "RT 002", 2)),
    st.sampled_from((0, 3, "12", "1.234")),
)
_MESSY_RT_ROW = st.tuples(
    st.sampled_from(_RT_CODES),
    st.sampled_from(_AREA_NUMBER_CELLS),
    st.sampled_from(_AREA_NUMBER_CELLS),
    st.sampled_from(_MEMBER_CELLS),
)


@given(st.lists(st.one_of(_CLEAN_RT_ROW, _CLEAN_RT_ROW, _MESSY_RT_ROW), max_size=30))
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_fast_path_and_the_full_checks_agree_on_rt_files(monkeypatch, rows):
    data = sheet(stunting([list(row) for row in rows]))
    mapping, problems = suggest_mapping([data], STUNTING)
    assert problems == []
    fast = run(data, mapping, STUNTING, INDEX)
    with monkeypatch.context() as patched:
        _without_fast_path(patched)
        slow = run(data, mapping, STUNTING, INDEX)
    assert (fast.values, fast.problems, fast.rows_rejected, fast.rows_warned) == (
        slow.values,
        slow.problems,
        slow.rows_rejected,
        slow.rows_warned,
    )


# --- formulas without a saved result and error values (SS-03) ---------------------------


def _stunting_workbook(cells: list[list]) -> bytes:
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    for row in [["BALITA STUNTING PER RT"], [], STUNTING_HEADER, *cells]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_formula_without_a_saved_result_and_error_values_are_row_errors_at_their_cell():
    from transparency.spreadsheets import read_sheets, special_cells

    data = _stunting_workbook(
        [
            [GENTENG, "001", "001", 4],
            [GENTENG, "002", "001", "=SUM(1,2)"],  # openpyxl saves no result: calamine sees ""
            [GENTENG, "009", "007", "#N/A"],
            [TANJUNG_PERAK, "001", "001", "#REF!"],
            [TANJUNG_PERAK, "001", "002", ""],  # truly empty: zero, with a warning
        ]
    )
    assert special_cells(data, "Data") == {(5, 3): "formula", (6, 3): "#N/A", (7, 3): "#REF!"}
    sheets = read_sheets(data, "stunting.xlsx")
    mapping, problems = suggest_mapping(sheets, STUNTING)
    assert problems == []
    outcome = run(
        sheets[0], mapping, STUNTING, INDEX, special_cells=lambda: special_cells(data, "Data")
    )
    errors = [
        (p.code, p.row, p.column, p.params) for p in outcome.problems if p.severity == "error"
    ]
    assert errors == [
        ("import.formula_without_value", 5, "D", {}),
        ("import.error_value", 6, "D", {"error": "#N/A"}),
        ("import.error_value", 7, "D", {"error": "#REF!"}),
    ]
    assert [(p.code, p.row) for p in outcome.problems if p.severity == "warning"] == [
        ("import.blank_as_zero", 8)
    ]
    assert (outcome.rows_read, outcome.rows_rejected) == (5, 3)
    assert outcome.values == {(21, "balita_stunting"): 4, (32, "balita_stunting"): 0}


def _with_saved_results(data: bytes, results: dict[str, str]) -> bytes:
    """The workbook as Excel saves it: each formula cell keeps its last result (``<v>``)."""
    import io
    import zipfile

    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                for cell, value in results.items():
                    old = f'<c r="{cell}"><f>'.encode()
                    start = body.index(old)
                    end = body.index(b"<v />", start)
                    body = body[:end] + f"<v>{value}</v>".encode() + body[end + 5 :]
            target.writestr(item, body)
    return buffer.getvalue()


def test_a_formula_with_a_saved_result_counts_that_result():
    """SS-03 policy: a count cell holding a formula that Excel saved with its result is read
    as that result, like any number the department typed; only a formula without one is an
    error. A result that is no count (a fraction) is a bad count at its cell."""
    from transparency.spreadsheets import read_sheets, special_cells

    data = _stunting_workbook(
        [
            [GENTENG, "001", "001", "=SUM(1,2)"],
            [GENTENG, "002", "001", "=7/2"],
            [TANJUNG_PERAK, "001", "001", "=SUM(2,3)"],  # left without a saved result
        ]
    )
    data = _with_saved_results(data, {"D4": "3", "D5": "3.5"})
    assert special_cells(data, "Data") == {(6, 3): "formula"}
    sheets = read_sheets(data, "stunting.xlsx")
    mapping, _problems = suggest_mapping(sheets, STUNTING)
    outcome = run(
        sheets[0], mapping, STUNTING, INDEX, special_cells=lambda: special_cells(data, "Data")
    )
    assert [(p.code, p.row, p.column) for p in outcome.problems] == [
        ("import.bad_count", 5, "D"),
        ("import.formula_without_value", 6, "D"),
    ]
    assert outcome.values == {(21, "balita_stunting"): 3}


def test_special_cells_finds_the_sheet_by_name_through_the_relationships():
    import io

    import openpyxl

    from transparency.spreadsheets import special_cells

    workbook = openpyxl.Workbook()
    workbook.active.title = "Petunjuk"
    workbook.active.append(["=1/0"])
    data_sheet = workbook.create_sheet("Data & Angka")
    data_sheet.append(["RT", "JUMLAH"])
    data_sheet.append(["001", "#DIV/0!"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert special_cells(buffer.getvalue(), "Data & Angka") == {(2, 1): "#DIV/0!"}
    assert special_cells(buffer.getvalue(), "Petunjuk") == {(1, 0): "formula"}
    assert special_cells(buffer.getvalue(), "Tidak ada") == {}
    assert special_cells(b"not a zip", "Data") == {}


# --- hidden rows, columns and sheets (SS-06) ------------------------------------------------


def _workbook(sheets: dict[str, list[list]], change=None) -> bytes:
    """An .xlsx of these sheets (name → rows), changed by ``change(workbook)`` first."""
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        data = workbook.create_sheet(name)
        for row in rows:
            data.append(row)
    if change is not None:
        change(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_hidden_rows_and_a_hidden_column_are_read_counted_and_reported_once():
    from transparency.spreadsheets import read_sheets

    def hide(workbook) -> None:
        data = workbook["Data"]
        for number in (2, 5, 6, 7, 9, 12):  # 2: a hidden title row, above the header
            data.row_dimensions[number].hidden = True
        data.column_dimensions["C"].hidden = True  # RT
        data.column_dimensions["F"].hidden = True  # nothing is read there

    rows = stunting(
        [
            [GENTENG, "001", "001", 1],  # row 4
            [GENTENG, "002", "001", 2],  # row 5, hidden
            [GENTENG, "009", "007", 3],  # row 6, hidden
            [TANJUNG_PERAK, "001", "001", "x"],  # row 7, hidden: rejected, still read
            [],  # row 8
            [TANJUNG_PERAK, "001", "002", 5],  # row 9, hidden
            [WONOREJO_R, "001", "001", 6],  # row 10
            ["TOTAL", "", "", 17],  # row 11
            [],  # row 12: hidden and blank, so not read
        ]
    )
    sheets = read_sheets(_workbook({"Data": rows}, hide), "stunting.xlsx")
    mapping, problems = suggest_mapping(sheets, STUNTING)
    assert problems == []
    outcome = run(sheets[0], mapping, STUNTING, INDEX)
    assert outcome.values == {
        (21, "balita_stunting"): 1,
        (22, "balita_stunting"): 2,
        (23, "balita_stunting"): 3,
        (32, "balita_stunting"): 5,
        (1, "balita_stunting"): 6,
    }
    assert (outcome.rows_read, outcome.rows_rejected, outcome.rows_warned) == (6, 1, 0)
    assert outcome.problems == [
        problem("import.bad_count", 7, "D", "x"),
        Problem(
            "import.hidden_rows",
            sheet="Data",
            severity="warning",
            params={"count": 4, "rows": "5\u20137, 9"},
        ),
        Problem(
            "import.hidden_columns",
            sheet="Data",
            severity="warning",
            params={"columns": "C (RT)"},
        ),
    ]


def test_a_file_that_hides_nothing_reports_nothing_hidden():
    _mapping, outcome = read(stunting([[GENTENG, "001", "001", 4.0]]), STUNTING)
    assert outcome.problems == []


def test_the_visible_sheet_is_read_when_a_very_hidden_first_sheet_holds_stale_figures():
    from transparency.importing import hidden_sheets
    from transparency.spreadsheets import read_sheets

    def hide(workbook) -> None:
        workbook["Lama"].sheet_state = "veryHidden"
        workbook["Cadangan"].sheet_state = "hidden"

    data = _workbook(
        {
            "Lama": [STUNTING_HEADER, [GENTENG, "001", "001", 99], [GENTENG, "002", "001", 98]],
            "Cadangan": [STUNTING_HEADER, [GENTENG, "001", "001", 97]],
            "Data": stunting([[GENTENG, "001", "001", 4]]),
        },
        hide,
    )
    sheets = read_sheets(data, "stunting.xlsx")
    mapping, problems = suggest_mapping(sheets, STUNTING)
    assert (problems, mapping.sheet, mapping.header_row) == ([], "Data", 3)
    outcome = run(sheets[2], mapping, STUNTING, INDEX)
    assert outcome.values == {(21, "balita_stunting"): 4}
    assert hidden_sheets(sheets) == [
        Problem("import.hidden_sheets", severity="warning", params={"sheets": '"Lama", "Cadangan"'})
    ]


@pytest.mark.parametrize(
    ("numbers", "text"),
    [
        ([5], "5"),
        ([5, 6, 7, 9, 14, 15], "5\u20137, 9, 14\u201315"),
        (list(range(2, 60, 2)), "2, 4, 6, 8, 10, 12, 14, 16, 18, 20, \u2026"),
    ],
)
def test_row_numbers_are_named_as_ranges_and_cut_after_ten(numbers, text):
    from transparency.importing import number_ranges

    assert number_ranges(numbers) == text


# --- cross-column consistency (SS-10) ----------------------------------------------------


def test_children_not_in_school_beyond_the_school_age_children_is_a_row_error_naming_both():
    header = [
        "KODE KELURAHAN",
        "RW",
        "RT",
        "ANAK USIA SD",
        "ANAK USIA SMP",
        "ANAK USIA SMA",
        "ANAK TIDAK SEKOLAH",
        "PESERTA SINAU BARENG",
    ]
    rows = [
        header,
        [GENTENG, "001", "001", 10, 5, 3, 18, 9],  # 18 = 10 + 5 + 3: allowed
        [GENTENG, "002", "001", 10, 5, 3, 19, 9],  # one more than all school-age children
    ]
    _mapping, outcome = read(rows, DISPENDIK)
    assert outcome.problems == [
        problem("import.more_than_parts", 3, "G", "19", total=18, parts="D + E + F")
    ]
    assert outcome.rows_rejected == 1
    assert outcome.values[(21, "anak_tidak_sekolah")] == 18
    assert (22, "anak_tidak_sekolah") not in outcome.values


def test_a_date_where_a_count_belongs_is_a_row_error_never_a_serial_number():
    # SS-04: no indicator set reads a date; a date cell (Excel's serial 45383 shown as a
    # date) or date text in a count column is rejected, not counted as 45383.
    import datetime

    _mapping, outcome = read(
        stunting(
            [
                [GENTENG, "001", "001", datetime.datetime(2024, 4, 3)],
                [GENTENG, "002", "001", "03/04/2024"],
                [GENTENG, "009", "007", datetime.time(7, 30)],
            ]
        ),
        STUNTING,
    )
    assert [(p.code, p.row, p.column, p.value) for p in outcome.problems] == [
        ("import.bad_count", 4, "D", "2024-04-03 00:00:00"),
        ("import.bad_count", 5, "D", "03/04/2024"),
        ("import.bad_count", 6, "D", "07:30:00"),
    ]
    assert outcome.values == {}


@pytest.mark.parametrize("mac_1904", [False, True], ids=["1900", "1904"])
def test_real_date_cells_in_a_count_column_are_row_errors_in_both_date_systems(mac_1904):
    """SS-04 through a real .xlsx (calamine reads the cells): a date typed where a count
    belongs is refused with the date as it shows, in a 1900 or a 1904 workbook."""
    import datetime
    import io

    import openpyxl
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    from transparency.spreadsheets import read_sheets

    workbook = openpyxl.Workbook()
    if mac_1904:
        workbook.epoch = CALENDAR_MAC_1904
    sheet = workbook.active
    sheet.title = "Data"
    for row in [
        ["BALITA STUNTING PER RT"],
        [],
        STUNTING_HEADER,
        [GENTENG, "001", "001", datetime.datetime(2024, 4, 3)],
        [GENTENG, "002", "001", datetime.date(2200, 1, 31)],
        [TANJUNG_PERAK, "001", "001", 6],
    ]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheets = read_sheets(buffer.getvalue(), "stunting.xlsx")
    mapping, _problems = suggest_mapping(sheets, STUNTING)
    outcome = run(sheets[0], mapping, STUNTING, INDEX)
    assert [(p.code, p.row, p.column, p.value) for p in outcome.problems] == [
        ("import.bad_count", 4, "D", "2024-04-03"),  # the 1904 epoch honoured
        ("import.bad_count", 5, "D", "2200-01-31"),
    ]
    assert outcome.values == {(31, "balita_stunting"): 6}


def test_a_kelurahan_code_in_the_kelurahan_column_is_read_as_a_code_and_placed_there():
    _mapping, outcome = read(
        families(
            [
                family(1, "001", "001", "3578071002", "", 3, "GAMIS"),
                family(2, "001", "001", "35.78.99.9999", "", 3, "GAMIS"),
            ]
        ),
        DINSOS,
    )
    assert outcome.values[(21, "kk_gamis")] == 1
    assert outcome.problems == [problem("import.unknown_kelurahan", 3, "G", "35.78.99.9999")]


# --- nothing wrong is ever committed (issue 11, item 0) --------------------------------


def test_a_rejected_family_row_does_not_make_its_kelurahan_covered():
    """Only an accepted row speaks for its kelurahan: rejected rows of Wonorejo give its
    RTs no figure (they used to write 0 over all of them)."""
    rows = families(
        [
            family(1, "001", "001", "GENTENG", "GENTENG", 4.0, "GAMIS"),
            family(2, "001", "001", "WONOREJO", "RUNGKUT", 2.0, "MAMPU"),
            family(3, "002", "001", "WONOREJO", "RUNGKUT", 3.0, "MAMPU"),
        ]
    )
    _mapping, outcome = read(rows, DINSOS)
    assert outcome.values == {
        **family_values(21, 1, 0, 4),
        **family_values(22, 0, 0, 0),
        **family_values(23, 0, 0, 0),
    }
    assert (outcome.rows_read, outcome.rows_rejected) == (3, 2)


@pytest.mark.parametrize(
    ("accepted", "rejected", "blocker"),
    [
        (0, 0, "import.nothing_accepted"),
        (0, 7696, "import.nothing_accepted"),
        (10, 11, "import.mostly_rejected"),
        (10, 10, None),
        (12754, 2, None),
    ],
)
def test_a_dry_run_is_committable_only_with_accepted_rows_not_outnumbered(
    accepted, rejected, blocker
):
    assert commit_blocker(accepted, rejected) == blocker
