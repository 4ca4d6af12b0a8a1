"""BPS region codes (issue 11, item 7): the walidata loads a crosswalk (BPS desa code ↔
Kemendagri kelurahan code) as kelurahan aliases; a household file of BPS/Kemensos shape
(``Kode Kecamatan`` ``020``, ``Kode Desa/Kelurahan`` ``007``, the RT in ``Nama SLS``)
then resolves, whole or split; without a crosswalk such a code is a row error saying so.

No real BPS codes are shipped: the crosswalk here is generated, the same way for the
test area index and for the database's kelurahan."""

import csv
import io
import random
from collections import Counter
from dataclasses import replace

import openpyxl
import pytest
from sqlmodel import select

from tests.test_import_service import flask
from tests.test_importing import DINSOS, GENTENG, INDEX, KK, RT_IDS, WONOREJO_R, WONOREJO_T
from transparency.codes import bps_code
from transparency.importing import run, suggest_mapping
from transparency.models import KelurahanAlias
from transparency.problems import Problem
from transparency.services.imports import area_index
from transparency.services.wilayah import load_bps_crosswalk
from transparency.spreadsheets import read_sheets


def crosswalk(codes: list[str], seed: int = 7) -> dict[str, str]:
    """A synthetic crosswalk: Kemendagri kelurahan code → a BPS desa code of the city,
    kecamatan numbered 010, 020, … and desa 001, 002, … in a shuffled order."""
    rnd = random.Random(seed)
    kecamatan = sorted({code[:8] for code in codes})
    rnd.shuffle(kecamatan)
    bps_kecamatan = {kec: f"{10 * (n + 1):03d}" for n, kec in enumerate(kecamatan)}
    seen: Counter = Counter()
    result = {}
    for code in sorted(codes, key=lambda _c: rnd.random()):
        kec = bps_kecamatan[code[:8]]
        seen[kec] += 1
        result[code] = f"3578{kec}{seen[kec]:03d}"
    return result


WALK = crosswalk(list(INDEX.kelurahan))
WITH_WALK = replace(
    INDEX,
    kelurahan_by_name={
        **INDEX.kelurahan_by_name,
        **{f"BPS{bps}": (code,) for code, bps in WALK.items()},
    },
)
# (Kemendagri kelurahan, RW, RT, members, category)
HOUSEHOLDS = [
    (GENTENG, "001", "001", 4, "GAMIS"),
    (GENTENG, "009", "007", 2, "PRAMIS"),
    (WONOREJO_R, "001", "002", 5, "GAMIS"),
    (WONOREJO_T, "001", "001", 3, "GAMIS"),
]


def expected() -> dict[tuple[int, str], int]:
    values: Counter = Counter()
    for kelurahan in {h[0] for h in HOUSEHOLDS}:
        for rt_id in INDEX.rts_by_kelurahan[kelurahan]:
            for code in ("kk_gamis", "kk_pramis", "jiwa_gamis"):
                values[(rt_id, code)] += 0
    for kelurahan, rw, rt, members, category in HOUSEHOLDS:
        rt_id = RT_IDS[f"{kelurahan}.{rw}.{rt}"]
        values[(rt_id, "kk_gamis" if category == "GAMIS" else "kk_pramis")] += 1
        values[(rt_id, "jiwa_gamis")] += members if category == "GAMIS" else 0
    return dict(values)


def bps_file(split: str, numbers: bool = False) -> bytes:
    """A BPS-shaped household list: the region by BPS code, split over kecamatan and
    desa columns (``split="split"``), or whole (``"whole"``), the RT in ``Nama SLS``."""
    if split == "split":
        header = ["Kode Provinsi", "Kode Kab/Kota", "Kode Kecamatan", "Kode Desa/Kelurahan"]
    else:
        header = ["Kode Desa/Kelurahan"]
    rows = [[*header, "Nama SLS", "Nomor KK", "Jumlah Anggota Keluarga", "Status Kesejahteraan"]]
    for n, (kelurahan, rw, rt, members, category) in enumerate(HOUSEHOLDS, start=1):
        bps = WALK[kelurahan]
        if split == "split":
            kec, desa = bps[4:7], bps[7:]
            place = [35, 78, float(kec), float(desa)] if numbers else ["35", "78", kec, desa]
        else:
            place = [float(bps)] if numbers else [bps]
        sls = f"DUSUN {n}, RW {rw[1:]}, RT {rt[1:]}"
        rows.append([*place, sls, KK[n], members, category])
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read(data: bytes, index=WITH_WALK):
    sheets = read_sheets(data, "dtks.xlsx")
    mapping, problems = suggest_mapping(sheets, DINSOS)
    assert problems == []
    return mapping, run(sheets[0], mapping, DINSOS, index)


def test_bps_codes_are_told_from_kemendagri_codes():
    assert bps_code("3578020007", "", "3578") == "3578020007"
    assert bps_code("007", "020", "3578") == "3578020007"
    assert bps_code(7.0, 20.0, "3578") == "3578020007"
    assert bps_code("007", "3578020", "3578") == "3578020007"
    assert bps_code("3578071002", "", "3578") is None  # Kemendagri 35.78.07.1002
    assert bps_code("35.78.07.1002", "020", "3578") is None
    assert bps_code("3571020007", "", "3578") is None  # another city's
    assert bps_code("Genteng", "020", "3578") is None


@pytest.mark.parametrize(
    ("split", "numbers"), [("split", False), ("split", True), ("whole", False), ("whole", True)]
)
def test_a_bps_household_file_resolves_through_the_crosswalk(split, numbers):
    mapping, outcome = read(bps_file(split, numbers))
    if split == "split":
        assert (mapping.columns["kecamatan_code"], mapping.columns["kelurahan_code"]) == (2, 3)
    assert mapping.columns["rt_text"] == mapping.columns["rt"]
    assert outcome.problems == []
    assert (outcome.rows_read, outcome.rows_rejected) == (4, 0)
    assert outcome.values == expected()


def test_without_a_crosswalk_a_bps_code_is_a_row_error_that_says_so():
    mapping, outcome = read(bps_file("split"), index=INDEX)
    assert (outcome.rows_read, outcome.rows_rejected) == (4, 4)
    assert outcome.problems[0] == Problem(
        "import.bps_code",
        row=2,
        column="D",
        value=WALK[GENTENG][7:],
        sheet="Sheet",
        params={"bps": WALK[GENTENG]},
    )
    assert {p.code for p in outcome.problems} == {"import.bps_code"}


def crosswalk_csv(rows: list[tuple[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Kode BPS", "Nama Desa", "Kode Kemendagri"])
    writer.writerows((bps, "", code) for bps, code in rows)
    return buffer.getvalue().encode()


def database_walk(session) -> dict[str, str]:
    index = area_index(session)
    return crosswalk(sorted(index.kelurahan))


def test_the_crosswalk_is_loaded_as_kelurahan_aliases_and_resolves(session):
    walk = database_walk(session)
    pairs = [(bps, code) for code, bps in sorted(walk.items())][:20]
    added, problems = load_bps_crosswalk(session, crosswalk_csv(pairs), "crosswalk.csv")
    assert (added, problems) == (20, [])
    index = area_index(session)
    for bps, code in pairs:
        assert index.kelurahan_by_name[f"BPS{bps}"] == (code,)
    again, problems = load_bps_crosswalk(session, crosswalk_csv(pairs), "crosswalk.csv")
    assert (again, problems) == (0, [])  # loading it twice adds nothing


def test_a_crosswalk_with_a_bad_row_loads_nothing_and_names_every_row(session):
    walk = database_walk(session)
    (code, bps), (other, other_bps) = sorted(walk.items())[:2]
    pairs = [(bps, code), ("3578071002", other), (other_bps, "35.78.99.9999"), (bps, other)]
    before = len(session.exec(select(KelurahanAlias)).all())
    added, problems = load_bps_crosswalk(session, crosswalk_csv(pairs), "crosswalk.csv")
    assert added == 0
    assert [(p.code, p.row, p.value) for p in problems] == [
        ("crosswalk.bad_bps_code", 3, "3578071002"),
        ("crosswalk.unknown_kelurahan", 4, "35.78.99.9999"),
        ("crosswalk.conflict", 5, bps),
    ]
    assert len(session.exec(select(KelurahanAlias)).all()) == before


def test_flask_city_bps_crosswalk_loads_a_workbook_and_refuses_a_bad_one(runner, session, tmp_path):
    walk = database_walk(session)
    book = openpyxl.Workbook()
    book.active.append(["KODE DESA BPS", "KODE KELURAHAN"])
    for code, bps in sorted(walk.items())[:5]:
        book.active.append([bps, code])
    good = tmp_path / "crosswalk.xlsx"
    book.save(good)
    result = flask(runner, ["city", "bps-crosswalk", str(good), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "5 BPS code(s) loaded as kelurahan aliases." in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("Kode BPS,Kode Kemendagri\n12345,35.78.07.1002\n")
    refused = flask(runner, ["city", "bps-crosswalk", str(bad), "--lang", "en"])
    assert refused.exit_code == 1
    assert 'row 2: "12345" is not a BPS desa/kelurahan code of this city' in refused.output
    assert "Nothing was loaded." in refused.output
