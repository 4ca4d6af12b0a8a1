"""Exact figures for the areas a signed-in person answers for: HTML, JSON, CSV, XLSX, print.

Every read goes through ``scoped``; an area outside the scope answers 404 exactly
like an area that does not exist, and the attempt is audited.
"""

from functools import lru_cache

from babel.numbers import format_decimal as babel_decimal
from flask import (
    Blueprint,
    Response,
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal, get_locale
from markupsafe import Markup

from transparency import charts, dashboards, exporting, i18n, progress, queries, scoped
from transparency.access import Permission, requires
from transparency.areas import CHILD_LEVEL
from transparency.db import get_session
from transparency.forms import AnswerForm, VerifyForm
from transparency.models import AreaLevel
from transparency.security import current_scope, deny

bp = Blueprint("dashboard", __name__, url_prefix="/dasbor")
EXPORT_HEADER = [
    "area_code",
    "area_name",
    "indicator",
    "indicator_name",
    "period",
    "value",
    "unit",
    "department",
]


@bp.app_template_filter("trend_svg")
def trend_svg(points, title: str) -> Markup:
    """A trend chart as inline SVG (the same points draw the same chart: kept per worker)."""
    return Markup(_trend_svg(tuple(points), title, str(get_locale())))


@lru_cache(maxsize=4096)
def _trend_svg(points: tuple, title: str, locale: str) -> str:
    labelled = [(i18n.format_period(label, locale), value) for label, value in points]
    return charts.trend_svg(labelled, title, number=lambda v: babel_decimal(v, locale=locale))


@bp.app_template_filter("bars_svg")
def bars_svg(rows, title: str) -> Markup:
    """Child areas' figures as horizontal bars (inline SVG)."""
    bars = [charts.Point(row.area.name, row.value) for row in rows]
    return Markup(charts.bars_svg(bars, title, number=format_decimal))


@bp.get("/")
@requires(Permission.FIGURES_READ_EXACT)
def home():
    """The signed-in person's own area."""
    return redirect(url_for("dashboard.area", code=current_scope().area_path))


def _load(code: str):
    """The area (in scope); 404 and an audit event otherwise."""
    db = get_session()
    scope = current_scope()
    try:
        area = scoped.get_scoped_area(db, scope, code)
    except scoped.OutOfScope:
        deny("area out of scope or unknown", status=404, area=code)
    g.exact_figures = True
    return db, scope, area


def _name(indicator) -> str:
    return indicator.name_en if str(get_locale()) == "en" else indicator.name_id


@bp.get("/wilayah/<code>")
@bp.get("/wilayah/<code>/cetak", endpoint="area_print", defaults={"printing": True})
@requires(Permission.FIGURES_READ_EXACT)
def area(code: str, printing: bool = False):
    """An RT: the ketua RT's home. Above: the area with its children, in scope."""
    db, scope, found = _load(code)
    if found.level == AreaLevel.RT:  # the RT home reads its own figures
        return rt_home(db, scope, found, printing=printing)
    figures = scoped.list_area_figures(db, scope, found)
    return _official(db, scope, found, _common(db, scope, found, figures, printing))


def _common(db, scope, found, figures, printing: bool) -> dict:
    """What every area page shows: the area, its ancestors in scope, its totals."""
    return {
        "area": found,
        "figures": figures,
        "printing": printing,
        "name": _name,
        "ancestors": [a for a in queries.list_ancestors(db, found) if scope.covers(a.path)],
        "totals": queries.get_totals(db, found),
    }


def rt_home(db, scope, found, *, printing: bool = False, refused: dict | None = None):
    """The RT home; ``refused`` (indicator, field, message, entry) reopens that card's form
    with the message next to the field and the entry kept."""
    return render_template(
        "dashboard/rt.html",
        rt_figures=dashboards.list_rt_figures(db, scope, found),
        may_verify=scope.may_verify(found.path),
        form=VerifyForm(formdata=None),
        refused=refused,
        **_common(db, scope, found, [], printing),
    )


def _official(db, scope, found, common):
    """The official's page: one indicator across the children, sortable, with progress."""
    indicators = dashboards.list_visible_indicators(db, scope)
    chosen = next((i for i in indicators if i.code == request.args.get("indikator")), None)
    chosen = chosen or next((i for i in indicators if i.per_household), None)
    chosen = chosen or (indicators[0] if indicators else None)
    key, descending = request.args.get("urut", "name"), request.args.get("arah") == "turun"
    children = queries.list_children(db, found)
    detail = chosen and dashboards.area_indicator(db, scope, found, chosen, children)
    return render_template(
        "dashboard/area.html",
        indicators=indicators,
        detail=detail,
        rows=dashboards.sort_children(detail.children, key, descending) if detail else [],
        sort_key=key,
        descending=descending,
        child_level=CHILD_LEVEL[found.level],
        disputes=dashboards.list_disputes(db, scope, found, open_only=True, limit=50),
        answer_form=AnswerForm(),
        scope=scope,
        **common,
    )


@bp.get("/wilayah/<code>/ikhtisar")
@requires(Permission.PROGRESS_READ)
def overview(code: str):
    """For one period, every RT's (or child area's) verification state of every indicator."""
    db, scope, found = _load(code)
    if not progress.has_rows(found):
        deny("verification overview of an RT", status=404, area=code)
    periods = progress.list_periods(db)
    chosen = request.args.get("periode")
    period = next((p for p in periods if p.code == chosen), None) if chosen else None
    if chosen and period is None:
        abort(404)
    period = period or (periods[0] if periods else None)
    indicators = dashboards.list_visible_indicators(db, scope)
    return render_template(
        "dashboard/overview.html",
        area=found,
        periods=periods,
        overview=period and progress.build_overview(db, scope, found, period, indicators),
        ancestors=[a for a in queries.list_ancestors(db, found) if scope.covers(a.path)],
        name=_name,
        states=progress.STATES,
    )


@bp.get("/wilayah/<code>/data.<any(json, csv, xlsx):fmt>")
@requires(Permission.FIGURES_READ_EXACT)
def area_data(code: str, fmt: str):
    """The same figures as a download."""
    db, scope, found = _load(code)
    figures = scoped.list_area_figures(db, scope, found)
    rows = [
        [
            found.code,
            found.name,
            f.indicator.code,
            _name(f.indicator),
            f.period,
            f.value,
            f.indicator.unit,
            f.department,
        ]
        for f in figures
    ]
    if fmt == "json":
        return jsonify(
            area={"code": found.code, "name": found.name, "level": found.level},
            figures=[dict(zip(EXPORT_HEADER[2:], row[2:], strict=True)) for row in rows],
        )
    filename = f"angka-{found.code}.{fmt}"
    if fmt == "csv":
        body, mimetype = exporting.to_csv(EXPORT_HEADER, rows), "text/csv"
    else:
        body = exporting.to_xlsx(found.code, EXPORT_HEADER, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
