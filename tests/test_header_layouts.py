"""Headers as people write them (issue 11, items 0 and 4): workbooks generated here in
many layouts of the same records — a group title merged over sub-headers, two or three
header rows, vertically merged cells, a numbered row, short headers, columns in another
order — read to the same figures, computed from the records without the importer."""

import csv
import io
import random

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_importing import DINSOS, DISPENDIK, GENTENG, INDEX, RT_IDS, WONOREJO_R
from transparency.headers import Names, band, is_numbering_row, locate, similarity, tokens
from transparency.importing import Mapping, run, saved_changes, suggest_mapping
from transparency.spreadsheets import read_sheets

SCHOOL = ("anak_sd", "anak_smp", "anak_sma", "anak_tidak_sekolah", "peserta_sinau_bareng")
# Per RT: SD, SMP, SMA, not in school, Sinau Bareng (not in school ≤ SD + SMP + SMA).
RECORDS = [
    (WONOREJO_R, "001", "001", 31, 15, 15, 0, 4),
    (WONOREJO_R, "001", "002", 23, 12, 11, 6, 4),
    (WONOREJO_R, "002", "001", 8, 0, 2, 1, 0),
    (GENTENG, "001", "001", 40, 21, 19, 3, 12),
    (GENTENG, "009", "007", 5, 4, 0, 9, 1),
]
FLAT = {  # a one-row header: how each indicator column may be headed
    "anak_sd": ["Anak usia SD (7-12 th)", "Jml Anak SD", "ANAK USIA SD"],
    "anak_smp": ["Anak usia SMP (13-15 th)", "Jml Anak SMP", "Usia SMP"],
    "anak_sma": ["Anak usia SMA (16-18 th)", "Jml Anak SMA", "Usia SMA"],
    "anak_tidak_sekolah": ["Anak Tidak Sekolah", "ATS", "Anak usia sekolah tidak sekolah"],
    "peserta_sinau_bareng": ["Peserta Sinau Bareng", "Sinau Bareng", "Jml Peserta Sinau Bareng"],
}
SHORT = {"anak_sd": "SD", "anak_smp": "SMP", "anak_sma": "SMA"}
GROUPS = ["Jumlah anak usia sekolah", "JUMLAH ANAK USIA SEKOLAH (JIWA)", "Anak usia sekolah"]
AREA = {
    "kelurahan_code": ["KODE KELURAHAN", "Kode Kel.", "Kd Kel"],
    "rw": ["RW", "No. RW", "Nomor RW"],
    "rt": ["RT", "No. RT", "Nomor RT"],
}


def expected_school(records=RECORDS) -> dict[tuple[int, str], int]:
    """The figures of the records, straight from them."""
    return {
        (RT_IDS[f"{kel}.{rw}.{rt}"], code): value
        for kel, rw, rt, *values in records
        for code, value in zip(SCHOOL, values, strict=True)
    }


def school_layout(rnd: random.Random, records=RECORDS) -> tuple[bytes, str]:
    """The records as a Dispendik workbook in a layout drawn by ``rnd``: title rows, a
    header of one, two or three rows (group title merged or typed over blank cells), a
    numbered row, short or long headers, the RT and RW apart or as "RT/RW", the
    indicator columns in any order, and an .xlsx or a CSV."""
    as_csv = rnd.random() < 0.25
    merge = not as_csv and rnd.random() < 0.7
    depth = rnd.choice([1, 2, 3])
    joined = rnd.random() < 0.3  # one "RT/RW" column
    area = ["kelurahan_code", "rt_rw"] if joined else ["kelurahan_code", "rw", "rt"]
    if rnd.random() < 0.5:
        area.reverse()
    grouped = ["anak_sd", "anak_smp", "anak_sma"]
    rnd.shuffle(grouped)
    rest = ["anak_tidak_sekolah", "peserta_sinau_bareng"]
    rnd.shuffle(rest)
    order = (["no"] if rnd.random() < 0.5 else []) + area + grouped + rest
    if rnd.random() < 0.3:
        order.append("ket")
    sub = {name: rnd.choice(FLAT[name]) for name in FLAT}
    sub.update({name: rnd.choice(AREA[name]) for name in AREA})
    sub.update({"no": "No.", "ket": "Ket.", "rt_rw": rnd.choice(["RT/RW", "RT / RW"])})
    header: list[list[str]] = []
    merges: list[tuple[int, int, int, int]] = []  # zero-based (row, col, last row, last col)
    width = len(order)
    if depth == 1:
        header.append([sub[name] for name in order])
    else:
        top, bottom = [], []
        first_group = order.index(grouped[0])
        for col, name in enumerate(order):
            if name in grouped:
                top.append(rnd.choice(GROUPS) if col == first_group else "")
                bottom.append(SHORT[name] if rnd.random() < 0.7 else sub[name])
            else:
                top.append(sub[name])
                bottom.append("")
                merges.append((depth - 2, col, depth - 1, col))  # vertically merged
        merges.append((depth - 2, first_group, depth - 2, first_group + 2))
        if depth == 3:
            header.append(["REKAP PER RT"] + [""] * (width - 1))
            merges.append((0, 0, 0, width - 1))
        header += [top, bottom]
    titles = [["DINAS PENDIDIKAN KOTA SURABAYA"], ["Oktober 2026"], []][: rnd.choice([0, 1, 3])]
    rows: list[list] = [*titles, *header]
    offset = len(titles)
    if rnd.random() < 0.4:
        rows.append([f"({n})" for n in range(1, width + 1)])
    for number, (kel, rw, rt, *values) in enumerate(records, start=1):
        cells = {
            "no": number,
            "kelurahan_code": kel.replace(".", "") if rnd.random() < 0.5 else kel,
        }
        cells.update({"rw": rw, "rt": rt, "rt_rw": f"{rt}/{rw}", "ket": ""})
        cells.update(dict(zip(SCHOOL, values, strict=True)))
        rows.append([cells[name] for name in order])
    if as_csv:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        return buffer.getvalue().encode(), "anak.csv"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Rekap"
    for row in rows:
        sheet.append(row)
    if merge:
        for r0, c0, r1, c1 in merges:
            if (r0, c0) != (r1, c1):
                sheet.merge_cells(
                    start_row=r0 + offset + 1,
                    start_column=c0 + 1,
                    end_row=r1 + offset + 1,
                    end_column=c1 + 1,
                )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), "anak.xlsx"


def read_file(data: bytes, name: str, iset):
    sheets = read_sheets(data, name)
    mapping, problems = suggest_mapping(sheets, iset)
    assert problems == []
    sheet = next(s for s in sheets if s.name == mapping.sheet)
    return mapping, run(sheet, mapping, iset, INDEX)


@pytest.mark.parametrize("seed", range(40))
def test_forty_dispendik_layouts_of_the_same_records_give_the_records_figures(seed):
    data, name = school_layout(random.Random(seed))
    mapping, outcome = read_file(data, name, DISPENDIK)
    assert outcome.problems == []
    assert (outcome.rows_read, outcome.rows_rejected) == (5, 0)
    assert outcome.values == expected_school()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.randoms(use_true_random=False))
def test_any_two_layouts_of_the_same_records_give_the_same_figures(one, other):
    records = RECORDS[: one.randint(2, len(RECORDS))]
    first = read_file(*school_layout(one, records), DISPENDIK)[1]
    second = read_file(*school_layout(other, records), DISPENDIK)[1]
    assert first.values == second.values == expected_school(records)


def two_row_dispendik(group: str = "Jumlah anak usia sekolah") -> list[list]:
    """The issue's Dispendik file: a group title merged over SD, SMP, SMA, every other
    header cell vertically merged over two rows, then a numbered row."""
    return [
        ["REKAP ANAK USIA SEKOLAH PER RT"],
        ["Kode Kel.", "RW", "RT", group, "", "", "ATS", "Peserta Sinau Bareng"],
        ["", "", "", "SD", "SMP", "SMA", "", ""],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)"],
        [GENTENG, "001", "001", 40, 21, 19, 3, 12],
        [GENTENG, "009", "007", 5, 4, 0, 9, 1],
    ]


def xlsx(rows: list[list], merges: list[str] = ()) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_issues_two_row_dispendik_header_is_read_with_its_data_after_the_numbered_row():
    merges = ["A2:A3", "B2:B3", "C2:C3", "D2:F2", "G2:G3", "H2:H3", "A1:H1"]
    mapping, outcome = read_file(xlsx(two_row_dispendik(), merges), "anak.xlsx", DISPENDIK)
    assert (mapping.header_first, mapping.header_row) == (2, 4)
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
    assert mapping.headers["anak_sd"] == "Jumlah anak usia sekolah SD"
    assert mapping.headers["rt"] == "RT"
    assert outcome.values == {
        (21, "anak_sd"): 40,
        (21, "anak_smp"): 21,
        (21, "anak_sma"): 19,
        (21, "anak_tidak_sekolah"): 3,
        (21, "peserta_sinau_bareng"): 12,
        (23, "anak_sd"): 5,
        (23, "anak_smp"): 4,
        (23, "anak_sma"): 0,
        (23, "anak_tidak_sekolah"): 9,
        (23, "peserta_sinau_bareng"): 1,
    }
    assert (outcome.rows_read, outcome.problems) == (2, [])


def test_the_same_header_typed_over_blank_cells_without_merging_reads_the_same():
    rows = two_row_dispendik()
    merged = read_file(xlsx(rows, ["D2:F2"]), "a.xlsx", DISPENDIK)[1].values
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    typed = read_file(buffer.getvalue().encode(), "a.csv", DISPENDIK)[1].values
    assert typed == merged and len(typed) == 10


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Anak usia SD (7-12 th)", "anak_sd"),
        ("ANAK USIA SMP 13 - 15 TAHUN", "anak_smp"),
        ("Jml. Peserta Sinau Bareng", "peserta_sinau_bareng"),
        ("Anak usia sekolah yang tidak sekolah", "anak_tidak_sekolah"),
        ("Children of primary-school age", "anak_sd"),  # the catalogue's English name
    ],
)
def test_an_indicator_column_is_found_by_its_name_in_other_words(header, field):
    rows = [["KODE KELURAHAN", "RW", "RT", header], [GENTENG, "001", "001", 7]]
    sheets = read_sheets(xlsx(rows), "a.xlsx")
    mapping, problems = suggest_mapping(sheets, DISPENDIK, partial=True)
    assert mapping.columns[field] == 3
    assert field not in mapping.missing


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Jml Jiwa", "members"),
        ("Desa/Kel", "kelurahan"),
        ("No. KK", "household_id"),
        ("Kec.", "kecamatan"),
        ("Status Kesejahteraan", "category"),
    ],
)
def test_short_headers_of_a_family_list(header, field):
    names = Names.of(DINSOS.column_aliases(), DINSOS.match_names())
    rows = [[header, "Ket.", "NIK", "Nama Kepala Keluarga"]]
    found = locate(rows, names)
    assert found is not None
    assert found[1].columns == {field: 0}  # Ket., NIK and the name are nobody's column


def test_words_are_folded_and_near_spellings_match_but_other_words_do_not():
    assert tokens("(4) Jml. Anak usia SD (7-12 th)") == ("ANAK", "USIA", "SD")
    assert tokens("Desa/Kel") == ("DESA", "KELURAHAN")
    assert similarity(tokens("BALITA STUNTNG"), tokens("BALITA STUNTING")) > 0.9
    assert similarity(tokens("SMP"), tokens("ANAK USIA SD")) == 0.0
    assert similarity(tokens("Keterangan"), tokens("Kecamatan")) == 0.0


def test_a_numbered_row_is_told_from_a_data_row():
    assert is_numbering_row(["(1)", "(2)", "(3)", ""])
    assert is_numbering_row([1, 2, 3, 4])
    assert not is_numbering_row([1, 2, 4])
    assert not is_numbering_row(["3578071002", "001", "001", 4])


def test_a_group_title_merged_over_columns_is_spread_over_each_of_them():
    rows = [["Wilayah", "", "", "Jumlah"], ["Kode Kel", "RW", "RT", "Stunting"]]
    found = band(rows, 0, 1, merged=(((0, 0), (0, 2)),))
    assert [found.text(c) for c in range(4)] == [
        "Wilayah Kode Kel",
        "Wilayah RW",
        "Wilayah RT",
        "Jumlah Stunting",
    ]
    assert found.own(1) == "RW"


def test_a_required_column_that_cannot_be_placed_gives_a_partial_mapping_naming_it():
    rows = [["KODE KELURAHAN", "RW", "RT", "Kolom 4", "ANAK USIA SMP", "ANAK USIA SMA"]]
    rows += [["ATS", "SINAU BARENG"]]
    rows = [rows[0] + rows[1], [GENTENG, "001", "001", 4, 5, 6, 1, 2]]
    sheets = read_sheets(xlsx(rows), "a.xlsx")
    assert suggest_mapping(sheets, DISPENDIK)[0] is None
    mapping, problems = suggest_mapping(sheets, DISPENDIK, partial=True)
    assert mapping.missing == ["anak_sd"]
    assert mapping.columns == {
        "kelurahan_code": 0,
        "rw": 1,
        "rt": 2,
        "anak_smp": 4,
        "anak_sma": 5,
        "anak_tidak_sekolah": 6,
        "peserta_sinau_bareng": 7,
    }
    assert [(p.code, p.params) for p in problems] == [
        ("import.missing_column", {"field": "anak_sd", "example": "ANAK USIA SD (7-12)"})
    ]


def test_a_saved_mapping_is_checked_against_the_files_headers():
    rows = [["KODE KELURAHAN", "RW", "RT", "BALITA STUNTING"], [GENTENG, "001", "001", 4]]
    saved = Mapping(
        sheet="Data",
        header_row=1,
        columns={"kelurahan_code": 0, "rw": 1, "rt": 2, "balita_stunting": 3},
        headers={
            "kelurahan_code": "Kode Kelurahan",
            "rw": "RW",
            "rt": "RT",
            "balita_stunting": "BALITA STUNTING",
        },
    )
    assert saved_changes(read_sheets(xlsx(rows), "a.xlsx"), saved) == []
    moved = [["KODE KELURAHAN", "RW", "RT", "KETERANGAN", "BALITA STUNTING"]]
    assert saved_changes(read_sheets(xlsx(moved), "a.xlsx"), saved) == [
        {"field": "balita_stunting", "column": "D", "saved": "BALITA STUNTING", "now": "KETERANGAN"}
    ]
    gone = [["KODE KELURAHAN", "RW", "RT"]]
    assert saved_changes(read_sheets(xlsx(gone), "a.xlsx"), saved) == [
        {"field": "balita_stunting", "column": "D", "saved": "BALITA STUNTING", "now": ""}
    ]


CELLS = st.one_of(
    st.sampled_from(["", "RT", "RW", "SD", "Jumlah", "(1)", "Kode Kel", "ATS", "Ket."]),
    st.text(max_size=12),
    st.integers(-5, 5000),
    st.floats(allow_nan=True),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(CELLS, min_size=0, max_size=6), min_size=0, max_size=6),
    st.lists(st.tuples(*[st.integers(0, 6)] * 4), max_size=4),
)
def test_any_grid_with_any_merged_ranges_is_located_without_an_error(rows, ranges):
    names = Names.of(DISPENDIK.column_aliases(), DISPENDIK.match_names())
    merged = tuple(((r0, c0), (r0 + dr, c0 + dc)) for r0, c0, dr, dc in ranges)
    found = locate(rows, names, merged or None)
    if found is not None:
        header, matched = found
        assert 0 <= header.first <= header.last < header.data_start <= len(rows) + 1
        assert len(set(matched.columns.values())) == len(matched.columns)
