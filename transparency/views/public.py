"""The public portal: the city, every area, indicators, tables, search and downloads.

No sign-in. Every figure comes from ``published`` (published, protected counts of current
publications); exact figures are on the dashboard only. Responses are cacheable (ETag,
``security.set_security_headers``) for anonymous visitors.
"""

import json
import re

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from transparency import charts, disclosure, exporting, i18n, published, queries, sharing
from transparency.access import public
from transparency.db import get_session
from transparency.models import AreaLevel
from transparency.views import params
from transparency.views.memo import memoized

bp = Blueprint("public", __name__)

LEVELS = {
    "kecamatan": AreaLevel.KECAMATAN,
    "kelurahan": AreaLevel.KELURAHAN,
    "rw": AreaLevel.RW,
    "rt": AreaLevel.RT,
}
CHILD_LEVEL = {"kota": "kecamatan", "kecamatan": "kelurahan", "kelurahan": "rw", "rw": "rt"}
DEFAULT_INDICATOR = "kk_gamis"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
TABLE_HEADER = [
    "area_code",
    "area_name",
    "level",
    "indicator",
    "period",
    "value",
    "share_of_households_pct",
    "households",
    "rts_without_data",
    "published_at",
    "publication",
]


def name_of(indicator) -> str:
    """The indicator's name in the request's language."""
    return indicator.name_en if str(get_locale()) == "en" else indicator.name_id


def definition_of(indicator) -> str:
    """The indicator's definition in the request's language."""
    return indicator.definition_en if str(get_locale()) == "en" else indicator.definition_id


def period_label(period) -> str:
    """``Oktober 2026``: the month in the request's language."""
    return i18n.format_period(period, str(get_locale()))


def day_label(moment) -> str:
    """``12 November 2026`` (the day in Jakarta), or an empty string."""
    return i18n.day(moment)


def number(value) -> str:
    """A published count as shown on a page: Indonesian digits, or the marker."""
    return disclosure.display(value) if value is None else format_decimal(value)


@bp.app_context_processor
def portal_helpers() -> dict:
    """Formatting helpers for the portal's templates."""
    return {
        "indicator_name": name_of,
        "indicator_definition": definition_of,
        "period_label": period_label,
        "day_label": day_label,
        "shown": number,
        "MARKER": disclosure.MARKER,
    }


AREA_CODE = re.compile(r"[0-9.]{1,40}")
INDICATOR_CODE = re.compile(r"[a-z0-9_]{1,60}")
PERIOD_CODE = re.compile(r"[0-9A-Za-z-]{1,10}")


def well_formed(pattern: re.Pattern, value: str) -> str:
    """The path value if it could name something (a NUL or a stray character cannot:
    404 before any query, which PostgreSQL would refuse with an error)."""
    if not pattern.fullmatch(value):
        abort(404)
    return value


def _area_or_404(code: str):
    found = queries.get_area(get_session(), well_formed(AREA_CODE, code))
    if found is None:
        abort(404)
    return found


def _chosen(releases, wanted: str | None):
    """The release of the indicator asked for (``?indikator=``), else the default one."""
    by_code = {release.indicator.code: release for release in releases}
    if wanted and wanted not in by_code:
        abort(404)
    return by_code.get(wanted or DEFAULT_INDICATOR) or (releases[0] if releases else None)


@bp.get("/")
@public
@memoized
def home():
    """The city: headline figures with their trend, and the kecamatan."""
    session = get_session()
    city = queries.get_root(session)
    if city is None:
        return render_template("public/empty.html")
    return _area_page(session, city, "public/home.html")


@bp.get("/wilayah/<code>")
@public
@memoized
def area(code: str):
    """One area: its figures, provenance, completeness, children and charts."""
    session = get_session()
    return _area_page(session, _area_or_404(code), "public/area.html")


def _area_page(session, found, template: str):
    releases = published.list_latest_releases(session)
    chosen = _chosen(releases, request.args.get("indikator"))
    cells = published.list_area_cells(session, found, releases)
    children = [] if found.level == AreaLevel.RT else queries.list_children(session, found)
    child_cells = published.list_cells(session, chosen, parent=found) if chosen else []
    trend = published.list_trend(session, found, chosen.indicator) if chosen else []
    if all(value is None for _, value in trend):
        trend = []  # every month hidden: a chart would show nothing but markers
    return render_template(
        template,
        area=found,
        city=found,
        ancestors=queries.list_ancestors(session, found),
        totals=queries.get_totals(session, found),
        children=children,
        cells=cells,
        chosen=chosen,
        releases=releases,
        child_cells={cell.area.code: cell for cell in child_cells},
        bars=Markup(
            charts.bars_svg(
                [(c.area.name, c.value) for c in child_cells],
                name_of(chosen.indicator) if chosen else "",
                format_decimal,
                missing=disclosure.MARKER,
                row_height=22,
            )
        )
        if child_cells
        else "",
        trend=Markup(
            charts.trend_svg(
                [(period_label(p), v) for p, v in trend],
                name_of(chosen.indicator),
                format_decimal,
                missing=disclosure.MARKER,
                height=150,
            )
        )
        if trend
        else "",
        trends=_city_trends(session, found, releases) if found.parent_id is None else {},
        child_level=CHILD_LEVEL.get(found.level),
        share=_area_share(session, found, cells, chosen),
    )


def area_title(session, found) -> str:
    """``Kelurahan Wonorejo, Rungkut``: the area as its page names it, with its place."""
    levels = {"kecamatan": _("Kecamatan"), "kelurahan": _("Kelurahan")}
    title = (levels[found.level] + " " if found.level in levels else "") + found.name
    place = [a.name for a in queries.list_ancestors(session, found)[1:]]
    return ", ".join([title, *reversed(place)])


def shown_with_unit(cell) -> str:
    """A published count with its unit, or the words for a hidden one."""
    if cell.hidden:
        return _("hidden (small count)")
    return f"{format_decimal(cell.value)} {cell.release.indicator.unit}"


def _area_share(session, found, cells, chosen) -> str:
    """The WhatsApp link of an area page: area, period, the chosen figure, the page."""
    cell = next((c for c in cells if chosen and c.release is chosen), None)
    parts = [area_title(session, found)]
    if cell is not None:
        parts += [
            period_label(cell.release.period),
            f"{name_of(cell.release.indicator)}: {shown_with_unit(cell)}",
        ]
    return sharing.whatsapp_url(parts, request.base_url)


def _png(body: bytes) -> Response:
    return Response(body, mimetype="image/png")


def _footer() -> str:
    return _(
        "Open data of Kota Surabaya · %(marker)s = hidden to protect the privacy of families",
        marker=disclosure.MARKER,
    )


@bp.get("/wilayah/<code>/og.png")
@public
@memoized
def area_image(code: str):
    """The area's preview picture for shared links: its latest published figures."""
    session = get_session()
    found = _area_or_404(code)
    releases = published.list_latest_releases(session)
    cells = published.list_area_cells(session, found, releases)
    latest = max((c.release.period for c in cells), key=lambda p: p.starts_on, default=None)
    subtitle = _("Published figures, %(period)s", period=period_label(latest)) if latest else ""
    lines = [(name_of(c.release.indicator), shown_with_unit(c)) for c in cells]
    title = area_title(session, found)
    return _png(sharing.headline_png(title, subtitle, lines, _footer(), "Transparansi RT"))


def _city_trends(session, city, releases) -> dict[str, Markup]:
    """A small trend chart per indicator for the home page."""
    return {
        release.indicator.code: Markup(
            charts.trend_svg(
                [
                    (period_label(p), v)
                    for p, v in published.list_trend(session, city, release.indicator)
                ],
                name_of(release.indicator),
                format_decimal,
                missing=disclosure.MARKER,
            )
        )
        for release in releases
    }


def _download(cells: list, fmt: str, filename: str, title: str, releases: list):
    """A table as CSV (UTF-8 with BOM), XLSX or JSON; the marker is the same in each.

    The machine CSV and JSON have codes as column names; the XLSX and the CSV for Excel
    (``?untuk=excel``) are for people: headers in their language, names beside codes, the
    marker explained in each hidden row and, in the workbook, an "about" sheet."""
    if fmt == "json":
        rows = [table_row(cell) for cell in cells]
        payload = {
            "columns": TABLE_HEADER,
            "marker": disclosure.MARKER,
            "rows": [dict(zip(TABLE_HEADER, row, strict=True)) for row in rows],
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        return _attachment(body, "application/json", f"{filename}.json")
    if fmt == "csv" and request.args.get("untuk") != "excel":
        rows = [table_row(cell) for cell in cells]
        return _attachment(exporting.to_csv(TABLE_HEADER, rows), CSV, f"{filename}.csv")
    columns, rows = people_columns(), [people_row(cell) for cell in cells]
    if fmt == "csv":
        body = exporting.to_excel_csv([c.label for c in columns], rows)
        return _attachment(body, CSV, f"{filename}-excel.csv")
    body = exporting.to_workbook(title, columns, rows, _("About"), about_lines(releases))
    return _attachment(body, XLSX, f"{filename}.xlsx")


def _attachment(body, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def table_row(cell) -> list:
    """One cell as a download row: the count or the marker, and its provenance."""
    release = cell.release
    return [
        cell.area.code,
        cell.area.name,
        str(cell.area.level),
        release.indicator.code,
        release.period.code,
        cell.display if cell.hidden else cell.value,
        cell.share if cell.share is not None else "",
        cell.households,
        cell.rts_missing,
        release.publication.published_at.date().isoformat(),
        release.publication.id,
    ]


def people_columns() -> list[exporting.Column]:
    """The columns of a download for people, headed in the request's language."""
    Column = exporting.Column
    return [
        Column(_("Area code"), 22),
        Column(_("Area"), 24),
        Column(_("Level"), 11),
        Column(_("Indicator code"), 16),
        Column(_("Indicator"), 34),
        Column(_("Period"), 15),
        Column(_("Figure"), 10, exporting.COUNT),
        Column(_("Unit"), 8),
        Column(_("Share of households in percent"), 14, exporting.PERCENT),
        Column(_("Households"), 12, exporting.COUNT),
        Column(_("RTs without data"), 14, exporting.COUNT),
        Column(_("Published"), 13, exporting.DAY),
        Column(_("Publication"), 11),
        Column(_("Note"), 40),
    ]


def _level_names() -> dict[str, str]:
    return {
        "kota": _("City"),
        "kecamatan": _("Kecamatan"),
        "kelurahan": _("Kelurahan"),
        "rw": "RW",
        "rt": "RT",
    }


def people_row(cell) -> list:
    """One cell as a row for people: names beside codes, the marker explained."""
    release = cell.release
    return [
        cell.area.code,
        cell.area.name,
        _level_names().get(str(cell.area.level), str(cell.area.level)),
        release.indicator.code,
        name_of(release.indicator),
        period_label(release.period),
        cell.display if cell.hidden else cell.value,
        release.indicator.unit,
        cell.share if cell.share is not None else "",
        cell.households,
        cell.rts_missing,
        release.publication.published_at.date(),
        release.publication.id,
        _("Hidden to protect the privacy of families") if cell.hidden else "",
    ]


def about_lines(releases: list) -> list[tuple[str, str]]:
    """The workbook's "about" sheet: source, each release's period, publication and
    correction, and the protection rule."""
    lines = [
        (_("Source"), _("Transparansi RT, the open RT figures of Kota Surabaya")),
        (_("Downloaded from"), request.url),
    ]
    for release in releases:
        published_on = day_label(release.publication.published_at)
        lines.append(
            (
                name_of(release.indicator),
                _(
                    "%(period)s · %(department)s · published %(date)s (publication %(id)s)",
                    period=period_label(release.period),
                    department=release.department,
                    date=published_on,
                    id=release.publication.id,
                ),
            )
        )
        if release.correction is not None:
            lines.append((_("Correction"), release.correction.reason))
    rule = _(
        "%(marker)s = hidden to protect the privacy of families (a small count, or one that "
        "would reveal a small count).",
        marker=disclosure.MARKER,
    )
    lines.append((_("Protection rule"), rule))
    return lines


@bp.get("/wilayah/<code>/data.<any(json, csv, xlsx):fmt>")
@public
@memoized
def area_data(code: str, fmt: str):
    """The area's latest published figures and its children's, as a download."""
    session = get_session()
    found = _area_or_404(code)
    releases = published.list_latest_releases(session)
    cells = published.list_area_cells(session, found, releases)
    if found.level != AreaLevel.RT:
        for release in releases:
            cells += published.list_cells(session, release, parent=found)
    return _download(cells, fmt, f"data-{found.code}", found.code, releases)


@bp.get("/indikator/")
@public
def indicators():
    """The catalogue with each indicator's latest published period."""
    session = get_session()
    latest = {r.indicator.code: r for r in published.list_latest_releases(session)}
    return render_template(
        "public/indicators.html", indicators=published.list_indicators(session), latest=latest
    )


def _indicator_or_404(code: str):
    indicator = published.get_indicator(get_session(), well_formed(INDICATOR_CODE, code))
    if indicator is None:
        abort(404)
    return indicator


@bp.get("/indikator/<indicator>")
@public
@memoized
def indicator(indicator: str):
    """An indicator's metadata, its city trend and every publication, corrections included."""
    session = get_session()
    found = _indicator_or_404(indicator)
    releases = published.list_indicator_releases(session, found)
    city = queries.get_root(session)
    trend = published.list_trend(session, city, found)
    return render_template(
        "public/indicator.html",
        indicator=found,
        department=published.get_department(session, found),
        releases=list(reversed(releases)),
        current=[r for r in reversed(releases) if r.publication.is_current],
        trend=Markup(
            charts.trend_svg(
                [(period_label(p), v) for p, v in trend],
                name_of(found),
                format_decimal,
                missing=disclosure.MARKER,
                height=150,
            )
        )
        if trend
        else "",
        share=_indicator_share(session, found, releases, city),
    )


def _city_cell(session, releases, city):
    """The latest current release of an indicator and the city's cell in it (or Nones)."""
    current = [r for r in releases if r.publication.is_current]
    latest = max(current, key=lambda r: r.period.starts_on, default=None)
    cells = published.list_area_cells(session, city, [latest]) if latest and city else []
    return latest, (cells[0] if cells else None)


def _indicator_share(session, found, releases, city) -> str:
    """The WhatsApp link of an indicator page: the city's latest published figure."""
    latest, cell = _city_cell(session, releases, city)
    parts = [name_of(found)]
    if cell is not None:
        parts += [city.name, period_label(latest.period), shown_with_unit(cell)]
    return sharing.whatsapp_url(parts, request.base_url)


@bp.get("/indikator/<indicator>/og.png")
@public
@memoized
def indicator_image(indicator: str):
    """The indicator's preview picture: the city's latest figure and the largest kecamatan."""
    session = get_session()
    found = _indicator_or_404(indicator)
    city = queries.get_root(session)
    latest, cell = _city_cell(session, published.list_indicator_releases(session, found), city)
    subtitle, lines = "", []
    if cell is not None:
        subtitle = f"{city.name} · {period_label(latest.period)}"
        lines = [(city.name, shown_with_unit(cell))]
        kecamatan = published.list_cells(session, latest, level=AreaLevel.KECAMATAN)
        largest = sorted((c for c in kecamatan if not c.hidden), key=lambda c: -c.value)
        lines += [(_("Kecamatan") + " " + c.area.name, shown_with_unit(c)) for c in largest[:3]]
    body = sharing.headline_png(name_of(found), subtitle, lines, _footer(), "Transparansi RT")
    return _png(body)


def _table_release(indicator: str, period: str):
    """The release a table shows (``?versi=`` an earlier one) and the level (``?tingkat=``)."""
    found = _indicator_or_404(indicator)
    well_formed(PERIOD_CODE, period)
    version = params.version_arg("versi", _("The version must be a publication number."))
    release = published.get_release(get_session(), found, period, version)
    if release is None:
        abort(404)
    level = request.args.get("tingkat", "kecamatan")
    if level not in LEVELS:
        abort(400, _("The level must be one of: %(levels)s.", levels=", ".join(LEVELS)))
    return release, level


@bp.get("/indikator/<indicator>/<period>")
@public
@memoized
def table(indicator: str, period: str):
    """One published period of an indicator for every area of one level."""
    release, level = _table_release(indicator, period)
    cells = published.list_cells(get_session(), release, level=LEVELS[level])
    return render_template(
        "public/table.html", release=release, level=level, levels=LEVELS, cells=cells
    )


@bp.get("/indikator/<indicator>/<period>/data.<any(json, csv, xlsx):fmt>")
@public
@memoized
def table_data(indicator: str, period: str, fmt: str):
    """The same table as a download."""
    release, level = _table_release(indicator, period)
    cells = published.list_cells(get_session(), release, level=LEVELS[level])
    name = f"{release.indicator.code}-{release.period.code}-{level}"
    return _download(cells, fmt, name, name, [release])


@bp.get("/cari")
@public
def search():
    """Find a kecamatan, kelurahan or RT by name (``RT 3 RW 2 Wonorejo``) or code, each with
    the areas it lies in, and indicators by name (``stunting``, ``sinau``)."""
    query = "".join(ch for ch in request.args.get("q", "")[:100] if ch.isprintable())
    session = get_session()
    results = published.search_areas(session, query) if query.strip() else []
    return render_template(
        "public/search.html",
        query=query,
        results=results,
        places=_places(session, results),
        indicators=_matching_indicators(session, query),
    )


def _places(session, areas) -> dict[str, list]:
    """Each area's ancestors below the city, nearest first (``RW 001, Wonorejo, Rungkut``),
    read in one query for all of them."""
    above = {area.code: _ancestor_paths(area.path) for area in areas}
    paths = {path for chain in above.values() for path in chain}
    found = {a.path: a for a in queries.list_areas_by_path(session, paths)} if paths else {}
    return {code: [found[path] for path in chain if path in found] for code, chain in above.items()}


def _ancestor_paths(path: str) -> list[str]:
    """``35.78.03.1005.001`` → ``35.78.03.1005``, ``35.78.03`` (nearest first, the city left
    out: its path has two segments)."""
    segments = path.split(".")
    return [".".join(segments[:n]) for n in range(len(segments) - 1, 2, -1)]


def _matching_indicators(session, query: str) -> list:
    """Indicators whose name (in either language) or code holds every word of the query."""
    words = [word for word in query.lower().split() if len(word) >= 3]
    if not words or re.search(r"\b(rt|rw)\b", query, re.IGNORECASE):
        return []
    return [
        indicator
        for indicator in published.list_indicators(session)
        if all(
            word in f"{indicator.name_id} {indicator.name_en} {indicator.code}".lower()
            for word in words
        )
    ]
