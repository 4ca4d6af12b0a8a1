"""Person files, one row per resident (the SIAK layout): ``transparency.persons`` and the
person shape of ``importing.run``, the Dispendukcapil set, its template and the dry run.

Workbooks are generated here in several layouts (Dukcapil's SIAK export as OpenSID ships
it, the consolidated DKB headers, the platform's template, a list without a status
column), each with its columns shuffled; the expected figures are computed by
``expected_figures`` below, which shares no code with the importer.
"""

import io
import random
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from tests.conftest import SAMPLE_KELURAHAN, SEED
from tests.test_importing import GENTENG, INDEX, TANJUNG_PERAK, WONOREJO_R, WONOREJO_T, sheet
from transparency import messages
from transparency.importing import required_fields, run, suggest_mapping
from transparency.indicator_sets import load_indicator_sets
from transparency.models import Area, AreaLevel, Figure, Indicator
from transparency.persons import age_on, parse_date, period_end
from transparency.problems import Problem
from transparency.services.imports import commit_upload, preview_import, stage_import
from transparency.workbook_templates import PERSON_HEADER, build_template, header_for

pytestmark = pytest.mark.demo_once
DEMO_KELURAHAN = SAMPLE_KELURAHAN

SETS = load_indicator_sets(SEED / "indicator_sets.json")
PENDUDUK = SETS["dispendukcapil_penduduk"]
PERIOD = "2026-10"
LAST_DAY = date(2026, 10, 31)
TODAY = date(2026, 12, 4)
NAMES = {  # kelurahan code → (name, kecamatan) as the SIAK export writes them
    WONOREJO_R: ("WONOREJO", "RUNGKUT"),
    WONOREJO_T: ("WONOREJO", "TEGALSARI"),
    GENTENG: ("GENTENG", "GENTENG"),
    TANJUNG_PERAK: ("TANJUNG PERAK", "PABEAN CANTIAN"),
}
RTS = [
    (code.rsplit(".", 2)[0], int(code.split(".")[-2]), int(code.split(".")[-1]))
    for code in INDEX.rt_ids
]
LEFT_OUT = ("Mati", "MATI", "Pindah Dalam Negeri", "pindah", "Pergi", "Hilang", "Tidak Valid")


# --- records and what they add up to (independently of the importer) ------------------


def years_old(born: date, day: date) -> int:
    """Birthdays passed by ``day``, counted one by one (29 February's falls on 1 March
    in a year without one)."""
    age = 0
    for year in range(born.year + 1, day.year + 1):
        try:
            birthday = born.replace(year=year)
        except ValueError:
            birthday = date(year, 3, 1)
        if birthday <= day:
            age += 1
    return age


def expected_figures(records: list[tuple], index=INDEX) -> dict[tuple[int, str], int]:
    """What a correct import of these records gives: per RT the living persons, their
    distinct No. KK and those aged 60 or more on the period's last day, and zeros for
    every other RT of a kelurahan the file has a row for."""
    result: dict[tuple[int, str], int] = {}
    families: dict[int, set] = defaultdict(set)
    for kelurahan, _rw, _rt, _kk, _status, _born in records:
        for rt_id in index.rts_by_kelurahan[kelurahan]:
            for indicator in ("kk_total", "jiwa_total", "lansia"):
                result[(rt_id, indicator)] = 0
    for kelurahan, rw, rt, kk, status, born in records:
        if status.strip().lower() != "hidup" or born > LAST_DAY:
            continue
        rt_id = index.rt_ids[f"{kelurahan}.{rw:03d}.{rt:03d}"]
        result[(rt_id, "jiwa_total")] += 1
        result[(rt_id, "lansia")] += years_old(born, LAST_DAY) >= 60
        families[rt_id].add(kk)
    for rt_id, kks in families.items():
        result[(rt_id, "kk_total")] = len(kks)
    return result


# --- layouts ----------------------------------------------------------------------------

SIAK_HEADER = [  # the SIAK export as OpenSID's assets/import/format_siak.xls heads it
    "Nomor KK", "NIK", "Nama Penduduk", "Status", "Tempat Lahir", "Tanggal Lahir", "Kelamin",
    "NIK Ayah", "Ayah", "NIK Ibu", "Ibu", "Status Kawin", "SHDK", "Agama", "Kecamatan",
    "Desa/Kel", "Alamat", "RW", "RT", "Pendidikan", "Pekerjaan", "Gol. Darah", "Tgl Entri",
]  # fmt: skip


def _siak(record, n, rng) -> dict:
    kelurahan, rw, rt, kk, status, born = record
    name, kecamatan = NAMES[kelurahan]
    return {
        "Nomor KK": kk,
        "NIK": f"357807{n:010d}",
        "Nama Penduduk": f"WARGA {n}",
        "Status": rng.choice([status, status.upper(), f" {status.lower()} "]),
        "Tempat Lahir": "SURABAYA",
        "Tanggal Lahir": born if rng.random() < 0.7 else datetime(born.year, born.month, born.day),
        "Kelamin": rng.choice(["Laki-laki", "Perempuan"]),
        "NIK Ayah": "",
        "Ayah": "AYAH",
        "NIK Ibu": "",
        "Ibu": "IBU",
        "Status Kawin": "Kawin",
        "SHDK": rng.choice(["Kepala Keluarga", "Istri", "Anak"]),
        "Agama": "Islam",
        "Kecamatan": kecamatan,
        "Desa/Kel": name if rng.random() < 0.8 else name.title(),
        "Alamat": f"JL. MAWAR {n}",
        "RW": float(rw),
        "RT": float(rt),
        "Pendidikan": "SLTA/Sederajat",
        "Pekerjaan": "Wiraswasta",
        "Gol. Darah": "Tdk Th",
        "Tgl Entri": date(2017, 3, 8),
    }


DKB_HEADER = [  # the consolidated (DKB) export: capitals and underscores
    "NO", "NO_KK", "NIK", "NAMA_LGKP", "TMPT_LHR", "TGL_LHR", "JENIS_KLMIN", "STAT_HBKEL",
    "STATUS_DASAR", "ALAMAT", "NO_RT", "NO_RW", "KEL_NAME", "KEC_NAME",
]  # fmt: skip


def _dkb(record, n, rng) -> dict:
    kelurahan, rw, rt, kk, status, born = record
    name, kecamatan = NAMES[kelurahan]
    separator = rng.choice("-/")
    return {
        "NO": n,
        "NO_KK": kk,
        "NIK": f"357807{n:010d}",
        "NAMA_LGKP": f"WARGA {n}",
        "TMPT_LHR": "SURABAYA",
        "TGL_LHR": f"{born.day:02d}{separator}{born.month:02d}{separator}{born.year}",
        "JENIS_KLMIN": "LAKI-LAKI",
        "STAT_HBKEL": "KEPALA KELUARGA",
        "STATUS_DASAR": status.upper(),
        "ALAMAT": "JL. MELATI",
        "NO_RT": f"{rt:03d}",
        "NO_RW": rng.choice([f"{rw:03d}", f"RW {rw:02d}", str(rw)]),
        "KEL_NAME": f"KEL. {name}" if rng.random() < 0.3 else name,
        "KEC_NAME": kecamatan,
    }


def _template(record, n, rng) -> dict:
    kelurahan, rw, rt, kk, status, born = record
    return {
        "NOMOR KK": kk,
        "KODE KELURAHAN": kelurahan if rng.random() < 0.5 else kelurahan.replace(".", ""),
        "RW": rw,
        "RT": f"{rt:02d}",
        "STATUS": status,
        "TANGGAL LAHIR": rng.choice(
            [born, born.isoformat(), f"{born.day}/{born.month}/{born.year}"]
        ),
    }


def _living_only(record, n, rng) -> dict:
    """A list of living residents only: no status column."""
    row = _template(record, n, rng)
    del row["STATUS"]
    return row


LAYOUTS = {  # name → (header, row maker, title rows above the header, has a status column)
    "siak": (SIAK_HEADER, _siak, 0, True),
    "dkb": (DKB_HEADER, _dkb, 3, True),
    "template": (PERSON_HEADER, _template, 0, True),
    "living_only": ([h for h in PERSON_HEADER if h != "STATUS"], _living_only, 1, False),
}


def layout_rows(records: list[tuple], layout: str, seed: int) -> list[list]:
    """The records as a sheet of that layout, its columns in an order drawn from ``seed``;
    a layout without a status column lists only the living."""
    header, make, titles, has_status = LAYOUTS[layout]
    rng = random.Random(seed)
    order = list(header)
    rng.shuffle(order)
    rows = [[f"DATA PENDUDUK {layout.upper()} - OKTOBER 2026"] for _ in range(titles)]
    rows.append(order)
    for n, record in enumerate(records, start=1):
        if not has_status and record[4].strip().lower() != "hidup":
            continue
        cells = make(record, n, rng)
        rows.append([cells[name] for name in order])
    return rows


def visible(records: list[tuple], layout: str) -> list[tuple]:
    """The records a layout holds (one without a status column lists only the living)."""
    return [r for r in records if LAYOUTS[layout][3] or r[4].strip().lower() == "hidup"]


def counted(rows: list[list], name: str = "Data"):
    """Suggest the mapping of a one-sheet workbook and run it for the period."""
    data = sheet(rows, name)
    mapping, problems = suggest_mapping([data], PENDUDUK)
    assert problems == []
    return mapping, run(data, mapping, PENDUDUK, INDEX, period=PERIOD, today=TODAY)


def kk(n: int) -> str:
    return f"35780712{n:08d}"


RECORDS = [  # (kelurahan, RW, RT, No. KK, status, born)
    (GENTENG, 1, 1, kk(1), "Hidup", date(1950, 3, 1)),
    (GENTENG, 1, 1, kk(1), "Hidup", date(1966, 10, 31)),  # 60 on the last day
    (GENTENG, 1, 1, kk(1), "Hidup", date(1966, 11, 1)),  # 60 the day after
    (GENTENG, 1, 1, kk(1), "Mati", date(1930, 1, 1)),
    (GENTENG, 1, 1, kk(2), "Hidup", date(2001, 5, 5)),
    (GENTENG, 2, 1, kk(3), "Hidup", date(1964, 2, 29)),  # 62
    (GENTENG, 2, 1, kk(3), "Pindah Dalam Negeri", date(1990, 1, 1)),
    (GENTENG, 2, 1, kk(4), "Mati", date(1940, 1, 1)),  # a family of the dead: no KK
    (WONOREJO_T, 1, 2, kk(5), "Hidup", date(2026, 10, 31)),  # born on the last day: 0
    (WONOREJO_T, 1, 2, kk(5), "Hidup", date(1900, 1, 1)),
    (WONOREJO_T, 1, 2, kk(6), "Hidup", date(2026, 11, 20)),  # born after the period
]


def test_the_set_reads_a_siak_export_counting_living_persons_families_and_elderly():
    mapping, outcome = counted(layout_rows(RECORDS, "siak", seed=1))
    assert mapping.headers == {
        "household_id": "Nomor KK",
        "status": "Status",
        "birth_date": "Tanggal Lahir",
        "kecamatan": "Kecamatan",
        "kelurahan": "Desa/Kel",
        "rw": "RW",
        "rt": "RT",
    }
    assert "NIK" in mapping.ignored and "Nama Penduduk" in mapping.ignored
    assert outcome.values == {
        (21, "kk_total"): 2, (21, "jiwa_total"): 4, (21, "lansia"): 2,
        (22, "kk_total"): 1, (22, "jiwa_total"): 1, (22, "lansia"): 1,
        (23, "kk_total"): 0, (23, "jiwa_total"): 0, (23, "lansia"): 0,
        (12, "kk_total"): 1, (12, "jiwa_total"): 2, (12, "lansia"): 1,
        (11, "kk_total"): 0, (11, "jiwa_total"): 0, (11, "lansia"): 0,
    }  # fmt: skip
    assert outcome.values == expected_figures(RECORDS)
    assert (outcome.rows_read, outcome.rows_rejected, outcome.rows_warned) == (11, 0, 0)
    assert outcome.problems == [
        Problem(
            "import.status_left_out",
            sheet="Data",
            severity="warning",
            params={"count": 3, "statuses": "Mati 2, Pindah Dalam Negeri 1", "rows": "5, 8\u20139"},
        ),
        Problem(
            "import.born_after_period",
            sheet="Data",
            severity="warning",
            params={"count": 1, "day": "31-10-2026", "rows": "12"},
        ),
    ]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_layout_and_column_order_gives_the_expected_figures(layout, seed):
    rng = random.Random(seed)
    records = [
        (*rng.choice(RTS), kk(rng.randrange(12)), rng.choice(("Hidup",) * 4 + LEFT_OUT), born)
        for born in (date(1900, 1, 1) + timedelta(days=rng.randrange(46_000)) for _ in range(60))
    ]
    _mapping, outcome = counted(layout_rows(records, layout, seed))
    assert outcome.rows_rejected == 0
    assert outcome.values == expected_figures(visible(records, layout))


@st.composite
def person_records(draw) -> list[tuple]:
    """Residents of the test index's RTs: a few families, any status, any birth date up
    to today (some born after the period's last day)."""
    record = st.tuples(
        st.sampled_from(RTS),
        st.integers(0, 8).map(kk),
        st.sampled_from(("Hidup", "HIDUP", "hidup") + LEFT_OUT),
        st.dates(date(1900, 1, 1), TODAY),
    ).map(lambda r: (*r[0], *r[1:]))
    return draw(st.lists(record, min_size=1, max_size=40))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    person_records(),
    st.sampled_from(sorted(LAYOUTS)),
    st.sampled_from(sorted(LAYOUTS)),
    st.integers(0, 10**6),
)
def test_any_layout_of_the_same_records_gives_the_same_figures(records, first, second, seed):
    one = counted(layout_rows(records, first, seed))[1]
    other = counted(layout_rows(records, second, seed + 1))[1]
    assert one.values == expected_figures(visible(records, first))
    assert other.values == expected_figures(visible(records, second))
    if LAYOUTS[first][3] and LAYOUTS[second][3]:
        assert one.values == other.values
    else:  # a list of the living only agrees on every figure it has a row for
        shared = one.values.keys() & other.values.keys()
        assert {k: one.values[k] for k in shared} == {k: other.values[k] for k in shared}


# --- rows in error ----------------------------------------------------------------------

HEADER = ["NOMOR KK", "NIK", "NAMA", "STATUS", "TANGGAL LAHIR", "KODE KELURAHAN", "RW", "RT"]


FIRST_KK = kk(1)


def person(status="Hidup", born="01-01-1950", number=FIRST_KK, rw=1, rt=1) -> list:
    return [number, "3578070101500001", "WARGA", status, born, GENTENG, rw, rt]


@pytest.mark.parametrize(
    ("cells", "code", "column", "value", "params"),
    [
        (person(born="31-02-1960"), "import.bad_date", "E", "", {}),
        (person(born="1960"), "import.bad_date", "E", "", {}),
        (person(born=21_000.0), "import.bad_date", "E", "", {}),  # a serial, not a date cell
        (person(born="12-31-1960"), "import.bad_date", "E", "", {}),  # month first
        (person(born=date(1899, 12, 31)), "import.date_too_old", "E", "", {}),
        (person(born="31/12/1899"), "import.date_too_old", "E", "", {}),
        (person(born=date(2026, 12, 5)), "import.future_date", "E", "", {}),
        (person(born=""), "import.missing_value", "E", "", {"field": "birth_date"}),
        (person(status="Hidupp"), "import.unknown_status", "D", "Hidupp", None),
        (person(status="Meninggal?"), "import.unknown_status", "D", "Meninggal?", None),
        (person(status=""), "import.missing_value", "D", "", {"field": "status"}),
        (person(number=3.578071200000001e15), "import.long_number", "A", "", {}),
        (person(number="3.57807E+15"), "import.long_number", "A", "", {}),
        (person(number=""), "import.missing_value", "A", "", {"field": "household_id"}),
        (person(rt=9), "import.unknown_rt", "H", "9", {"rt": "009", "rw": "001",
                                                        "kelurahan": GENTENG}),
    ],
)  # fmt: skip
def test_a_bad_cell_rejects_its_row_placed_and_never_echoing_a_date_or_no_kk(
    cells, code, column, value, params
):
    rows = [HEADER, person(born="02-03-1940", number=kk(2)), cells]
    _mapping, outcome = counted(rows)
    assert (outcome.rows_read, outcome.rows_rejected) == (2, 1)
    (problem,) = outcome.problems
    assert (problem.code, problem.row, problem.column, problem.value) == (code, 3, column, value)
    if params is None:  # the status message names the statuses this set knows
        assert problem.params["statuses"].startswith("Hidup, Hilang, Mati, Meninggal")
    else:
        assert problem.params == params
    # The good row alone is counted.
    assert outcome.values[(21, "jiwa_total")] == 1 and outcome.values[(21, "lansia")] == 1


def test_a_dead_persons_row_is_left_out_before_its_other_cells_are_judged():
    rows = [HEADER, person(), person(status="Mati", born="not a date", number="")]
    _mapping, outcome = counted(rows)
    assert outcome.rows_rejected == 0
    assert [p.code for p in outcome.problems] == ["import.status_left_out"]
    assert outcome.values[(21, "jiwa_total")] == 1


def test_an_unknown_rt_is_an_error_even_for_a_dead_person():
    rows = [HEADER, person(status="Mati", rt=9)]
    _mapping, outcome = counted(rows)
    assert [p.code for p in outcome.problems] == ["import.unknown_rt"]


def test_the_birth_date_and_no_kk_are_required_and_the_status_is_not():
    assert required_fields(PENDUDUK) == ["rt", "household_id", "birth_date"]
    mapping, problems = suggest_mapping([sheet([["NIK", "KODE KELURAHAN", "RW", "RT"]])], PENDUDUK)
    assert mapping is None
    assert [p.params["field"] for p in problems] == ["household_id", "birth_date"]


def test_ages_need_the_period():
    rows = [HEADER, person()]
    data = sheet(rows)
    mapping, _problems = suggest_mapping([data], PENDUDUK)
    with pytest.raises(ValueError, match="period"):
        run(data, mapping, PENDUDUK, INDEX)


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        (date(1960, 12, 31), date(1960, 12, 31)),
        (datetime(1960, 12, 31, 0, 0), date(1960, 12, 31)),
        ("31-12-1960", date(1960, 12, 31)),
        ("31/12/1960", date(1960, 12, 31)),
        ("1/2/1960", date(1960, 2, 1)),  # day first
        (" 01-02-1960 ", date(1960, 2, 1)),
        ("1960-02-01", date(1960, 2, 1)),
        ("1960-02-01 00:00:00", date(1960, 2, 1)),
        ("29-02-1961", None),
        ("1960/02/01", None),
        ("01-02-60", None),
        (21_000, None),
        (None, None),
        ("", None),
    ],
)
def test_parse_date(raw, parsed):
    assert parse_date(raw) == parsed


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (date(1966, 10, 31), date(2026, 10, 31), 60),
        (date(1966, 11, 1), date(2026, 10, 31), 59),
        (date(1964, 2, 29), date(2024, 2, 29), 60),
        (date(1964, 2, 29), date(2025, 2, 28), 60),  # no 29th: a year older on 1 March
        (date(1964, 2, 29), date(2025, 3, 1), 61),
        (date(2026, 10, 31), date(2026, 10, 31), 0),
    ],
)
def test_age_on_the_day(born, day, age):
    assert age_on(born, day) == age == years_old(born, day)


def test_period_end():
    assert [period_end(p) for p in ("2026-10", "2026-02", "2028-02", "2026-12")] == [
        date(2026, 10, 31),
        date(2026, 2, 28),
        date(2028, 2, 29),
        date(2026, 12, 31),
    ]


def test_the_new_messages_read_as_sentences():
    problem = Problem(
        "import.status_left_out",
        params={"count": 3, "statuses": "Mati 2, Pindah 1", "rows": "5, 8"},
    )
    assert messages.describe(problem) == (
        "Persons whose status is not Hidup were left out, not counted: 3 in all "
        "(Mati 2, Pindah 1; rows 5, 8)."
    )
    assert messages.describe(Problem("import.missing_value", params={"field": "birth_date"})) == (
        "The birth date is empty."
    )


# --- the template and the dry run against the database ----------------------------------


def workbook(rows: list[list], title: str = "Sheet1") -> bytes:
    """An .xlsx of one sheet (dates as date cells, as Excel saves them)."""
    book = openpyxl.Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def db_index(session, kelurahan: tuple[str, ...]) -> tuple[dict, dict, list[tuple]]:
    """RT ids by code, and per kelurahan its RT ids, from the seeded register; with a few
    (kelurahan, RW, RT) of it to place records in."""
    codes = {
        code: rt_id
        for code, rt_id in session.exec(
            select(Area.code, Area.id).where(Area.level == AreaLevel.RT)
        )
        if code.rsplit(".", 2)[0] in kelurahan
    }
    by_kelurahan = defaultdict(list)
    for code, rt_id in codes.items():
        by_kelurahan[code.rsplit(".", 2)[0]].append(rt_id)
    places = sorted(
        (code.rsplit(".", 2)[0], int(code.split(".")[-2]), int(code.split(".")[-1]))
        for code in codes
    )[:12]
    return codes, by_kelurahan, places


def test_a_siak_xlsx_goes_through_the_dry_run_and_commit(session):
    codes, by_kelurahan, places = db_index(session, (GENTENG,))
    rng = random.Random(7)
    records = [
        (*rng.choice(places), kk(rng.randrange(20)), rng.choice(("Hidup",) * 3 + LEFT_OUT), born)
        for born in (date(1920, 1, 1) + timedelta(days=rng.randrange(38_000)) for _ in range(150))
    ]
    rows = layout_rows(records, "siak", seed=7)
    report = preview_import(session, workbook(rows), "siak.xlsx", PENDUDUK, PERIOD)
    index = SimpleNamespace(rt_ids=codes, rts_by_kelurahan=by_kelurahan)
    assert not report.refused and report.outcome.rows_rejected == 0
    assert report.outcome.values == expected_figures(records, index)
    now = datetime.now(UTC)
    upload = stage_import(session, report, None, now, timedelta(hours=1))
    commit_upload(session, upload.id, None, report.sha256, now)
    stored = dict(
        session.exec(
            select(Figure.area_id, Figure.value)
            .join(Indicator, Indicator.id == Figure.indicator_id)
            .where(Figure.upload_id == upload.id, Indicator.code == "lansia")
        ).all()
    )
    assert stored == {
        rt: value for (rt, code), value in report.outcome.values.items() if code == "lansia"
    }
    # Nothing of a person is kept: no NIK, No. KK, name or birth date in the upload's row.
    text = repr((upload.summary, upload.problems, upload.mapping_applied))
    assert not [r[3] for r in records if r[3] in text]
    assert "357807000" not in text and "WARGA" not in text
    assert not [r[5] for r in records if r[5].strftime("%d-%m-%Y") in text or str(r[5]) in text]


def test_the_template_filled_in_is_read_as_it_is_offered(session):
    codes, by_kelurahan, places = db_index(session, (GENTENG,))
    assert header_for(PENDUDUK) == PERSON_HEADER
    body = build_template(PENDUDUK, [(GENTENG, "Genteng", "Genteng")])
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["Petunjuk", "Data", "Kode Kelurahan", "_template"]
    guide = [row[0] for row in book["Petunjuk"].iter_rows(values_only=True)]
    assert any("TANGGAL LAHIR" in (line or "") for line in guide)
    data = book["Data"]
    assert [cell.value for cell in data[1]] == PERSON_HEADER
    (kelurahan, rw, rt) = places[0]
    data.append([kk(1), kelurahan, rw, rt, "Hidup", date(1950, 1, 1)])
    data.append([kk(1), kelurahan, rw, rt, "Hidup", "15-06-1990"])
    data.append([kk(2), kelurahan, rw, rt, "Mati", "15/06/1930"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = preview_import(session, buffer.getvalue(), "templat.xlsx", PENDUDUK, PERIOD)
    assert not report.refused and report.outcome.rows_rejected == 0
    rt_id = codes[f"{kelurahan}.{rw:03d}.{rt:03d}"]
    assert {k[1]: v for k, v in report.outcome.values.items() if k[0] == rt_id} == {
        "kk_total": 1,
        "jiwa_total": 2,
        "lansia": 1,
    }
    assert len(report.outcome.values) == 3 * len(by_kelurahan[GENTENG])


def test_a_siak_export_through_the_upload_pages(app, session):
    """The walidata sends a SIAK export for Dispendukcapil: the mapping page offers the
    person fields, the report says in Bahasa Indonesia who was left out, and the commit
    puts the expected figures in force."""
    from tests.test_upload_web import commit, confirm_suggestions, in_force, send, signed_in

    codes, by_kelurahan, places = db_index(session, (GENTENG,))
    rng = random.Random(11)
    records = [
        (*rng.choice(places), kk(rng.randrange(30)), status, born)
        for status, born in [("Mati", date(1931, 5, 6))]
        + [("Hidup", date(1930, 1, 1) + timedelta(days=rng.randrange(35_000))) for _ in range(80)]
    ]
    walidata = signed_in(app, "walidata", "walidata-demo-2026")
    rows = layout_rows(records, "siak", seed=11)  # the columns shuffled
    content = workbook(rows)
    received = send(walidata, "dispendukcapil_penduduk", "siak.xlsx", content=content)
    assert received.headers["Location"].endswith("/pemetaan")
    page = walidata.get(received.headers["Location"]).get_data(as_text=True)
    assert "Tanggal lahir" in page and "Status (Hidup, Mati, Pindah …)" in page
    confirmed, form = confirm_suggestions(walidata, received.headers["Location"], "")
    assert form["col_birth_date"] == str(rows[0].index("Tanggal Lahir"))
    assert form["col_household_id"] == str(rows[0].index("Nomor KK"))
    report_url = confirmed.headers["Location"]
    html = walidata.get(report_url).get_data(as_text=True)
    assert re.findall(r'id="rows-(\w+)">([\d.]+)<', html) == [
        ("read", "81"),
        ("accepted", "81"),
        ("rejected", "0"),
        ("warned", "0"),
    ]
    assert "Penduduk yang statusnya bukan Hidup tidak dihitung: 1 orang (Mati 1; baris 2)." in html
    assert commit(walidata, report_url).status_code == 302
    index = SimpleNamespace(rt_ids=codes, rts_by_kelurahan=by_kelurahan)
    figures = {
        (rt_code, indicator): value
        for (rt_code, indicator), value in in_force(
            session, ("kk_total", "jiwa_total", "lansia")
        ).items()
        if rt_code.startswith(GENTENG)
    }
    rt_code_of = {rt_id: code for code, rt_id in codes.items()}
    assert figures == {
        (rt_code_of[rt_id], indicator): value
        for (rt_id, indicator), value in expected_figures(records, index).items()
    }
