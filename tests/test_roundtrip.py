"""Round trip (battery SS-11): any valid family list, written as an .xlsx and as a CSV
and read back through the whole pipeline, adds up to the figures computed directly from
the generated families."""

import csv
import io
from collections import Counter

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_importing import DINSOS, FAMILY_HEADER, INDEX, RT_IDS
from transparency.importing import run, suggest_mapping
from transparency.spreadsheets import read_sheets

RTS = sorted(RT_IDS)  # "kelurahan.rw.rt" codes of the test index
KECAMATAN = {"35.78.03.1005": "RUNGKUT", "35.78.05.1005": "TEGALSARI"}

family = st.tuples(
    st.sampled_from(RTS),
    st.integers(min_value=1, max_value=12),  # members
    st.sampled_from(["GAMIS", "Gamis", "PRAMIS", "pramis "]),
    st.sampled_from(["001", "1", "RT 01", 1]),  # how the RT number is written (RT 001)
)


def _cells(n: int, rt_code: str, members: int, category: str, spelling) -> list:
    kelurahan, rw, rt = rt_code.rsplit(".", 2)
    rt_cell = spelling if rt == "001" else rt
    return [
        n,
        f"3578{n:012d}",  # a unique No. KK per family, as text
        f"3578{n:012d}",
        f"WARGA {n}",
        rt_cell,
        rw,
        kelurahan,  # by code (the column is named KELURAHAN: codes are read there too)
        KECAMATAN.get(kelurahan, ""),
        members,
        category,
    ]


def _expected(families) -> dict:
    values: Counter = Counter()
    for rt_code, members, category, _spelling in families:
        rt_id = RT_IDS[rt_code]
        if category.strip().upper() == "GAMIS":
            values[(rt_id, "kk_gamis")] += 1
            values[(rt_id, "jiwa_gamis")] += members
        else:
            values[(rt_id, "kk_pramis")] += 1
    covered = {code.rsplit(".", 2)[0] for code, *_ in families}
    for kelurahan in covered:  # a family list speaks for every RT of its kelurahan
        for rt_id in INDEX.rts_by_kelurahan[kelurahan]:
            for indicator in ("kk_gamis", "kk_pramis", "jiwa_gamis"):
                values[(rt_id, indicator)] += 0
    return dict(values)


def _xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


@given(st.lists(family, min_size=1, max_size=60))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_written_family_list_reads_back_to_the_figures_computed_directly(families):
    rows = [FAMILY_HEADER] + [_cells(n, *f) for n, f in enumerate(families, start=1)]
    for data, name in ((_xlsx(rows), "data.xlsx"), (_csv(rows), "data.csv")):
        sheets = read_sheets(data, name)
        mapping, problems = suggest_mapping(sheets, DINSOS)
        assert problems == []
        outcome = run(sheets[0], mapping, DINSOS, INDEX)
        assert outcome.problems == []
        assert (outcome.rows_read, outcome.rows_rejected) == (len(families), 0)
        assert outcome.values == _expected(families), name
