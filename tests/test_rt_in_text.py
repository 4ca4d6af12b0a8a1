"""RT and RW inside a text (issue 11, item 5): an SLS name or an address holding the RT
(``DUSUN 3, RW 03, RT 07``, ``Jl. Melati 5 RT 003/RW 002``), or ``003/002`` under an
``RT/RW`` header. Family lists are generated here in several spellings of the same
records; their figures are counted from the records, without the importer."""

import io
import random
from collections import Counter

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_importing import DINSOS, GENTENG, INDEX, KK, RT_IDS, WONOREJO_R
from transparency.codes import rt_rw_in_text
from transparency.importing import run, suggest_mapping
from transparency.problems import Problem
from transparency.spreadsheets import read_sheets

# (kelurahan code, kecamatan, RW, RT, members, category)
FAMILIES = [
    (GENTENG, "Genteng", "001", "001", 4, "GAMIS"),
    (GENTENG, "Genteng", "001", "001", 3, "PRAMIS"),
    (GENTENG, "Genteng", "009", "007", 5, "GAMIS"),
    (GENTENG, "Genteng", "009", "007", 2, "GAMIS"),
    (WONOREJO_R, "Rungkut", "001", "002", 6, "GAMIS"),
    (WONOREJO_R, "Rungkut", "002", "001", 1, "PRAMIS"),
]
SPELLINGS = [
    lambda rt, rw, n: f"RT {rt} RW {rw}",
    lambda rt, rw, n: f"RW {rw}, RT {rt}",
    lambda rt, rw, n: f"DUSUN {n}, RW {rw}, RT {rt}",
    lambda rt, rw, n: f"Jl. Melati {n} RT {rt}/RW {rw}",
    lambda rt, rw, n: f"Gg. Kartini {n} No. 12 rt.{rt} rw.{rw}",
    lambda rt, rw, n: f"RT/RW {rt}/{rw}",
]


def expected(families=FAMILIES) -> dict[tuple[int, str], int]:
    """What the families add up to per RT, and 0 for every other RT of their kelurahan."""
    values: Counter = Counter()
    for kelurahan in {f[0] for f in families}:
        for rt_id in INDEX.rts_by_kelurahan[kelurahan]:
            for code in ("kk_gamis", "kk_pramis", "jiwa_gamis"):
                values[(rt_id, code)] += 0
    for kelurahan, _kec, rw, rt, members, category in families:
        rt_id = RT_IDS[f"{kelurahan}.{rw}.{rt}"]
        values[(rt_id, "kk_gamis" if category == "GAMIS" else "kk_pramis")] += 1
        if category == "GAMIS":
            values[(rt_id, "jiwa_gamis")] += members
    return dict(values)


def pad(number: str, rnd: random.Random) -> str:
    return str(int(number)).zfill(rnd.choice([1, 2, 3]))


def family_list(rnd: random.Random, families=FAMILIES) -> bytes:
    """The families as a workbook whose RT is inside a text, spelled as ``rnd`` draws."""
    place = rnd.choice(["Nama SLS", "Alamat", "RT/RW"])
    header = ["No", "No. KK", "Kode Kelurahan", place, "Jml Jiwa", "Kategori"]
    rows = [header]
    for n, (kelurahan, _kec, rw, rt, members, category) in enumerate(families, start=1):
        rt_text, rw_text = pad(rt, rnd), pad(rw, rnd)
        if place == "RT/RW":
            text = f"{rt_text}/{rw_text}" if rnd.random() < 0.5 else f"RT.{rt_text}/RW.{rw_text}"
        else:
            text = rnd.choice(SPELLINGS)(rt_text, rw_text, rnd.randint(1, 9))
        rows.append([n, KK[n], kelurahan, text, members, category])
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read(data: bytes):
    sheets = read_sheets(data, "keluarga.xlsx")
    mapping, problems = suggest_mapping(sheets, DINSOS)
    assert problems == []
    return mapping, run(sheets[0], mapping, DINSOS, INDEX)


@pytest.mark.parametrize(
    ("text", "bare", "found"),
    [
        ("RT 07 RW 03", False, ("007", "003", None)),
        ("RW 03, RT 07", False, ("007", "003", None)),
        ("DUSUN 3, RW 03, RT 07", False, ("007", "003", None)),
        ("Jl. Melati 5 RT 003/RW 002", False, ("003", "002", None)),
        ("Jl. Kartini 12 RT 003/002", False, ("003", "002", None)),
        ("RT/RW 003/002", False, ("003", "002", None)),
        ("003/002", True, ("003", "002", None)),
        ("003/002", False, (None, None, "import.rt_text_none")),
        ("Jl. Melati 5", False, (None, None, "import.rt_text_none")),
        ("RT 03", False, (None, None, "import.rt_text_none")),
        ("RT 03 RT 05 RW 01", False, (None, None, "import.rt_text_many")),
        ("RT 07 RW 03 / RT 7", False, ("007", "003", None)),  # the same RT twice is one
        ("RW 1 RW 2 RT 3", True, (None, None, "import.rt_text_many")),
    ],
)
def test_rt_and_rw_are_read_from_a_text(text, bare, found):
    assert rt_rw_in_text(text, bare=bare) == found


@pytest.mark.parametrize("seed", range(12))
def test_family_lists_with_the_rt_in_a_text_give_the_families_figures(seed):
    mapping, outcome = read(family_list(random.Random(seed)))
    assert outcome.problems == []
    assert (outcome.rows_read, outcome.rows_rejected) == (6, 0)
    assert outcome.values == expected()


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_any_spelling_of_the_rt_gives_the_same_figures(rnd):
    assert read(family_list(rnd))[1].values == expected()


def test_a_text_with_two_rt_numbers_or_none_is_a_row_error_quoting_it():
    rows = [
        ["No. KK", "Kode Kelurahan", "Nama SLS", "Jml Jiwa", "Kategori"],
        [KK[1], GENTENG, "RW 01, RT 01", 4, "GAMIS"],
        [KK[2], GENTENG, "RT 01 dan RT 02, RW 01", 3, "GAMIS"],
        [KK[3], GENTENG, "DUSUN 3", 2, "GAMIS"],
    ]
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    mapping, outcome = read(buffer.getvalue())
    assert mapping.columns["rt_text"] == 2 and "rw" not in mapping.columns
    assert outcome.problems == [
        Problem(
            "import.rt_text_many", row=3, column="C", value="RT 01 dan RT 02, RW 01", sheet="Sheet"
        ),
        Problem("import.rt_text_none", row=4, column="C", value="DUSUN 3", sheet="Sheet"),
    ]
    assert (outcome.rows_read, outcome.rows_rejected) == (3, 2)
    assert outcome.values[(21, "kk_gamis")] == 1 and outcome.values[(21, "jiwa_gamis")] == 4


def test_an_address_beside_rt_and_rw_columns_is_not_read():
    rows = [
        ["No. KK", "Kode Kelurahan", "Alamat", "RW", "RT", "Jml Jiwa", "Kategori"],
        [KK[1], GENTENG, "Jl. Melati 5 RT 009/RW 009", "001", "001", 2, "GAMIS"],
    ]
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    mapping, outcome = read(buffer.getvalue())
    assert "rt_text" not in mapping.columns
    assert outcome.values[(21, "kk_gamis")] == 1 and outcome.problems == []
