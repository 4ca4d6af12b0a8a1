"""The crawler (issue 6, "done when"): every public route and download of the demo, as an
anonymous visitor, shows no count from 1 to k−1, nothing recoverable from a parent total,
no unpublished period, and never the exact figure of an RT that the public tables hide.

Before crawling, small counts are planted in the latest month of ``kk_gamis`` (k = 10) in
RW 001 of Wonorejo (Rungkut), which the walidata then publishes; the same month of every
other indicator stays unpublished, with an unmistakable figure planted in one of them.
"""

import csv
import io
import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from tests.conftest import RT_A, RT_B, walidata_scope
from transparency import scoped
from transparency.disclosure import MARKER
from transparency.models import (
    Area,
    AreaLevel,
    Figure,
    Indicator,
    Period,
    Publication,
    PublishedFigure,
)
from transparency.services import publishing

pytestmark = pytest.mark.demo_once
DEMO_KELURAHAN = ("35.78.03.1005",)  # Wonorejo (Rungkut): 1 kelurahan keeps the crawl short

PLANTED_PERIOD = "2026-10"
INDICATOR = "kk_gamis"
UNPUBLISHED_CANARY = 86421  # in balita_stunting 2026-10, which is never published
RT_PLANTS = {  # RT code → how its kk_gamis count is set (households h)
    RT_A: lambda h: 3,  # a small count
    RT_B: lambda h: h - 2,  # a count whose complement is small
    "35.78.03.1005.001.003": lambda h: 0,
    "35.78.03.1005.001.004": lambda h: 9,  # k − 1
    "35.78.03.1005.001.005": lambda h: 10,  # k: may be shown, unless it must protect others
}
SKIP = ("/masuk", "/aktivasi", "/dasbor", "/admin", "/unggah", "/keluar", "/akun")


def _set(session, code: str, indicator: str, period: str, make) -> int:
    area = session.exec(select(Area).where(Area.code == code)).one()
    figure = session.exec(
        select(Figure)
        .join(Indicator, Indicator.id == Figure.indicator_id)
        .join(Period, Period.id == Figure.period_id)
        .where(Figure.area_id == area.id, Indicator.code == indicator, Period.code == period)
    ).one()
    figure.value = make(area.households)
    session.add(figure)
    return figure.value


@pytest.fixture
def planted(demo_city):
    """Plant, publish kk_gamis 2026-10, and return the exact RT values of the month."""
    session = demo_city
    for code, make in RT_PLANTS.items():
        _set(session, code, INDICATOR, PLANTED_PERIOD, make)
    _set(session, RT_A, "balita_stunting", PLANTED_PERIOD, lambda h: UNPUBLISHED_CANARY)
    session.flush()
    walidata, scope = walidata_scope(session)
    now = datetime(2026, 11, 12, 3, tzinfo=UTC)
    publication = publishing.publish(session, scope, walidata, INDICATOR, PLANTED_PERIOD, now)
    session.commit()
    exact = scoped.list_rt_values(
        session, scope, publication.indicator_id, publication.period_id, publication.upload_id
    )
    return publication, exact


class Cells(HTMLParser):
    """Every element with data-area/data-indicator/data-period and its text; every link."""

    def __init__(self):
        super().__init__()
        self.cells, self.links, self._open = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href", "").startswith("/"):
            self.links.append(attrs["href"])
        if "data-area" in attrs:
            self._open.append(
                [attrs["data-area"], attrs["data-indicator"], attrs["data-period"], ""]
            )
        elif self._open:
            self._open.append(None)

    def handle_endtag(self, tag):
        if self._open:
            top = self._open.pop()
            if top is not None:
                self.cells.append(tuple(top[:3]) + (top[3].strip(),))

    def handle_data(self, data):
        if self._open and self._open[-1] is not None:  # the cell's own text, not a note in it
            self._open[-1][3] += data


def _number(text: str) -> int | None:
    """A shown count in Indonesian format (``1.234``), or None for the marker."""
    first = text.split()[0] if text.split() else text
    if first == MARKER:
        return None
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", first), f"not a count: {text!r}"
    return int(first.replace(".", ""))


def _plain(value) -> int | None:
    """A count in a machine-readable download (a number, or the marker as text)."""
    if value == MARKER:
        return None
    assert isinstance(value, int) or re.fullmatch(r"\d+", value), f"not a count: {value!r}"
    return int(value)


def _follow(url: str) -> bool:
    if url.startswith(SKIP) or "lang=" in url or url.startswith("/static"):
        return False
    table = re.match(r"/indikator/([^/]+)/([^/?]+)", url)
    # Tables: every level and format of the planted month, the latest of the others.
    return not table or table.group(1) == INDICATOR or table.group(2) == "2026-09"


def test_crawl_every_public_page_and_download(app, planted, session):
    publication, exact = planted
    client = app.test_client()
    published = {
        (indicator, period)
        for indicator, period in session.exec(
            select(Indicator.code, Period.code)
            .join(Publication, Publication.indicator_id == Indicator.id)
            .join(Period, Period.id == Publication.period_id)
        )
    }
    k = {code: kk for code, kk in session.exec(select(Indicator.code, Indicator.suppression_k))}
    areas = {a.code: a for a in session.exec(select(Area))}
    rt_ids = {a.id: a.code for a in areas.values() if a.level == AreaLevel.RT}
    hidden_rts = {
        rt_ids[row.area_id]
        for row in session.exec(
            select(PublishedFigure).where(PublishedFigure.publication_id == publication.id)
        )
        if row.value is None and row.area_id in rt_ids
    }
    assert {RT_A, RT_B} <= hidden_rts  # the plants are hidden by the publication itself

    seen: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    queue = ["/", "/indikator/", "/cari?q=wonorejo", "/cari?q=RT+1+RW+1+Wonorejo"]
    queue += ["/api/v1/indicators", "/api/v1/catalog.jsonld", "/api/v1/openapi.json"]
    visited, problems = set(), []

    def note(where, area, indicator, period, shown):
        if (indicator, period) not in published:
            problems.append(f"{where}: unpublished {indicator} {period} for {area}")
        value = _number(shown) if isinstance(shown, str) else shown
        if value is not None and 0 < value < k[indicator]:
            problems.append(f"{where}: count {value} < k={k[indicator]} for {area} {indicator}")
        if indicator == INDICATOR and period == PLANTED_PERIOD:
            seen[(area, indicator, period)].add(MARKER if value is None else str(value))
            if area in hidden_rts and value is not None:
                problems.append(f"{where}: exact value {value} of hidden RT {area}")
            if area in rt_ids.values() and value is not None and value != exact.get(areas[area].id):
                problems.append(f"{where}: {area} shows {value}, not its published count")

    while queue:
        url = queue.pop()
        if url in visited:
            continue
        visited.add(url)
        response = client.get(url)
        if response.status_code != 200:
            problems.append(f"{url}: {response.status_code}")
            continue
        body = response.get_data()
        if str(UNPUBLISHED_CANARY).encode() in body or b"86.421" in body:
            problems.append(f"{url}: the unpublished canary")
        kind = response.mimetype
        if kind == "text/html":
            parser = Cells()
            parser.feed(body.decode())
            for area, indicator, period, shown in parser.cells:
                note(url, area, indicator, period, shown)
            queue += [link for link in parser.links if _follow(link) and link not in visited]
            for match in re.finditer(r'href="/wilayah/([0-9.]+)"', body.decode()):
                queue.append(f"/api/v1/areas/{match.group(1)}")
        elif kind in ("application/json", "application/ld+json"):
            payload = json.loads(body)
            for row in payload.get("rows", []) + payload.get("figures", []):
                if "area" in row:
                    shown = row["display"] if row["value"] is None else row["value"]
                    assert (row["value"] is None) == (row["display"] == MARKER) == row["hidden"]
                    indicator = row.get("indicator", payload.get("indicator"))
                    period = row.get("period", payload.get("period"))
                    note(url, row["area"], indicator, period, shown)
                else:  # a download's row
                    note(
                        url, row["area_code"], row["indicator"], row["period"], _plain(row["value"])
                    )
            if url.startswith("/api/v1/areas/"):
                for level in ("kecamatan", "kelurahan", "rw", "rt"):
                    queue.append(
                        f"/api/v1/indicators/{INDICATOR}/periods/{PLANTED_PERIOD}?level={level}"
                    )
        elif kind == "text/csv" and "untuk=excel" in url:  # the CSV for Excel, for people
            assert body.startswith("\ufeff".encode())
            text = io.StringIO(body.decode("utf-8-sig"))
            for row in csv.DictReader(text, delimiter=";"):
                period, value = _period_code(row["Periode"]), row["Angka"]
                note(url, row["Kode wilayah"], row["Kode indikator"], period, _plain(value))
        elif kind == "text/csv":
            assert body.startswith("\ufeff".encode())
            for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig"))):
                note(url, row["area_code"], row["indicator"], row["period"], _plain(row["value"]))
        else:
            sheet = load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
            rows = list(sheet.iter_rows(values_only=True))
            header = list(rows[0])
            for values in rows[1:]:
                row = dict(zip(header, values, strict=True))
                value = row["Angka"]  # the workbook is for people: headers in Indonesian
                assert value == MARKER or isinstance(value, int)
                period = _period_code(row["Periode"])
                note(url, row["Kode wilayah"], row["Kode indikator"], period, _plain(value))
    assert not problems, "\n".join(problems[:40])
    # The crawl reached every kind of page and format, and every RT of the kelurahan.
    endpoints = {app.url_map.bind("localhost").match(u.split("?")[0])[0] for u in visited}
    assert endpoints >= {
        "public.home",
        "public.area",
        "public.area_data",
        "public.indicators",
        "public.indicator",
        "public.table",
        "public.table_data",
        "public.search",
        "api.indicators",
        "api.area",
        "api.table",
        "api.catalog",
        "api.openapi",
    }
    wonorejo_rts = {c for c in rt_ids.values() if c.startswith("35.78.03.1005.")}
    assert wonorejo_rts <= {area for area, _, _ in seen}
    # One marker for a hidden count, the same in every format; a shown count one text.
    for key, texts in seen.items():
        assert len(texts) == 1, (key, texts)
    assert seen[(RT_A, INDICATOR, PLANTED_PERIOD)] == {MARKER}


def test_no_hidden_count_can_be_recovered_from_a_published_total(planted, session):
    """Over the whole published tree: every shown parent's hidden children are at least two
    and sum (exactly) to k or more, or the parent is hidden as well."""
    publication, exact = planted
    k = session.get(Indicator, publication.indicator_id).suppression_k
    rows = {
        row.area_id: row.value
        for row in session.exec(
            select(PublishedFigure).where(PublishedFigure.publication_id == publication.id)
        )
    }
    areas = {a.id: a for a in session.exec(select(Area))}
    truth = defaultdict(int)
    for area_id, value in exact.items():
        node = areas[area_id]
        while node is not None:
            truth[node.id] += value
            node = areas.get(node.parent_id)
    children = defaultdict(list)
    for area in areas.values():
        if area.id in rows and area.parent_id is not None:
            children[area.parent_id].append(area.id)
    checked = 0
    for parent, kids in children.items():
        hidden = [kid for kid in kids if rows[kid] is None]
        shown = [kid for kid in kids if rows[kid] is not None]
        for kid in shown:
            assert rows[kid] == truth[kid] and (rows[kid] == 0 or rows[kid] >= k)
        if hidden and rows.get(parent) is not None:
            checked += 1
            assert len(hidden) >= 2 and sum(truth[h] for h in hidden) >= k, (
                areas[parent].code,
                [areas[h].code for h in hidden],
            )
            # The shown total minus the shown children is the hidden group's sum only.
            assert rows[parent] - sum(rows[s] for s in shown) == sum(truth[h] for h in hidden)
    assert checked >= 1


MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


def _period_code(label: str) -> str:
    """``September 2026`` (a download for people) → ``2026-09``."""
    month, year = label.split()
    return f"{year}-{MONTHS_ID.index(month) + 1:02d}"
