"""The open-data JSON API, version 1 (``/api/v1/…``), its OpenAPI document and the DCAT
catalogue. Public: published, protected figures only, the same as the portal's pages.
"""

import json

from flask import Blueprint, Response, abort, request, url_for
from flask_babel import gettext as _

from transparency import catalogue, disclosure, openapi, published, queries
from transparency.access import public
from transparency.db import get_session
from transparency.views import params
from transparency.views.memo import memoized
from transparency.views.public import AREA_CODE, INDICATOR_CODE, LEVELS, PERIOD_CODE

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def respond(payload: dict | None = None, **fields) -> Response:
    """JSON as the API sends it: compact, UTF-8, keys in the order written (no sorting)."""
    body = json.dumps(
        payload if payload is not None else fields, ensure_ascii=False, separators=(",", ":")
    )
    return Response(body, mimetype="application/json")


def cell_json(cell) -> dict:
    """One published count with its provenance, as the API gives it."""
    release = cell.release
    correction = release.correction
    return {
        "area": cell.area.code,
        "indicator": release.indicator.code,
        "period": release.period.code,
        "value": cell.value,
        "display": cell.display,
        "hidden": cell.hidden,
        "share_of_households_pct": cell.share,
        "households": cell.households,
        "rts_without_data": cell.rts_missing,
        "department": release.department,
        "received_at": release.received_at.isoformat() if release.received_at else None,
        "published_at": release.publication.published_at.isoformat(),
        "publication": release.publication.id,
        "correction": {
            "corrected_at": correction.corrected_at.isoformat(),
            "reason": correction.reason,
        }
        if correction
        else None,
    }


def area_json(area) -> dict:
    """An area's identity."""
    return {"code": area.code, "name": area.name, "level": str(area.level)}


@bp.get("/openapi.json", endpoint="openapi")
@public
def openapi_document():
    """The OpenAPI 3 description of this API."""
    return respond(openapi.document(request.url_root.rstrip("/") + bp.url_prefix))


@bp.get("/indicators")
@public
@memoized
def indicators():
    """The catalogue: every indicator's metadata and its published periods."""
    session = get_session()
    result = []
    for indicator in published.list_indicators(session):
        releases = published.list_indicator_releases(session, indicator)
        result.append(
            {
                **catalogue.indicator_metadata(indicator),
                "department": published.get_department(session, indicator).name,
                "periods": sorted({r.period.code for r in releases if r.publication.is_current}),
            }
        )
    return respond(marker=disclosure.MARKER, indicators=result)


@bp.get("/areas/<code>")
@public
@memoized
def area(code: str):
    """One area, its parent and children, and its latest published figures."""
    session = get_session()
    found = queries.get_area(session, code) if AREA_CODE.fullmatch(code) else None
    if found is None:
        abort(404, _("There is no area with this code."))
    ancestors = queries.list_ancestors(session, found)
    children = [] if found.level == "rt" else queries.list_children(session, found)
    cells = published.list_area_cells(session, found, published.list_latest_releases(session))
    rts, households, residents = queries.get_totals(session, found)
    return respond(
        area={**area_json(found), "rts": rts, "households": households, "residents": residents},
        parent=area_json(ancestors[-1]) if ancestors else None,
        children=[area_json(child.area) for child in children],
        marker=disclosure.MARKER,
        figures=[cell_json(cell) for cell in cells],
    )


@bp.get("/indicators/<indicator>/periods/<period>")
@public
@memoized
def table(indicator: str, period: str):
    """One published period of an indicator for every area of a level (``?level=``)."""
    session = get_session()
    found = (
        published.get_indicator(session, indicator) if INDICATOR_CODE.fullmatch(indicator) else None
    )
    if found is None:
        abort(404, _("There is no indicator with this code."))
    level = request.args.get("level", "kecamatan")
    if level not in LEVELS:
        abort(400, _("The level must be one of: %(levels)s.", levels=", ".join(LEVELS)))
    version = params.version_arg("version", _("The version must be a publication number."))
    release = (
        published.get_release(session, found, period, version)
        if PERIOD_CODE.fullmatch(period)
        else None
    )
    if release is None:
        abort(404, _("This period of the indicator has not been published."))
    cells = published.list_cells(session, release, level=LEVELS[level])
    return respond(
        indicator=found.code,
        period=release.period.code,
        level=level,
        marker=disclosure.MARKER,
        publication=release_json(release),
        rows=[row_json(cell) for cell in cells],
    )


def release_json(release) -> dict:
    """Where a table's counts come from: the same for every row."""
    correction = release.correction
    return {
        "id": release.publication.id,
        "current": release.publication.is_current,
        "department": release.department,
        "received_at": release.received_at.isoformat() if release.received_at else None,
        "published_at": release.publication.published_at.isoformat(),
        "correction": {
            "corrected_at": correction.corrected_at.isoformat(),
            "reason": correction.reason,
        }
        if correction
        else None,
    }


def row_json(cell) -> dict:
    """One area's count in a table (its provenance is the table's ``publication``)."""
    value = cell.value
    return {
        "area": cell.area.code,
        "area_name": cell.area.name,
        "value": value,
        "display": cell.display,
        "hidden": value is None,
        "share_of_households_pct": cell.share,
        "households": cell.households,
        "rts_without_data": cell.rts_missing,
    }


@bp.get("/catalog.jsonld")
@public
@memoized
def catalog():
    """The DCAT catalogue of the datasets (JSON-LD), for Satu Data and CKAN harvesters."""
    session = get_session()
    latest = {r.indicator.code: r for r in published.list_latest_releases(session)}
    indicators = published.list_indicators(session)
    datasets = []
    for indicator in indicators:
        release = latest.get(indicator.code)
        links = {"landing": url_for("public.indicator", indicator=indicator.code, _external=True)}
        if release:
            for fmt in ("csv", "xlsx", "json"):
                links[fmt] = url_for(
                    "public.table_data",
                    indicator=indicator.code,
                    period=release.period.code,
                    fmt=fmt,
                    tingkat="rt",
                    _external=True,
                )
            links["api"] = url_for(
                "api.table", indicator=indicator.code, period=release.period.code, _external=True
            )
        datasets.append(
            catalogue.Dataset(
                indicator, published.get_department(session, indicator), release, links
            )
        )
    document = catalogue.dcat(url_for("public.home", _external=True), datasets)
    response = respond(document)
    response.mimetype = "application/ld+json"
    return response
