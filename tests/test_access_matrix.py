"""Access control, route by route: the inventory (AZ-01), the role × route × target × format
matrix (AZ-02, AZ-03, AZ-07), enumeration (AZ-06), failing closed (AZ-07) and audited denials.

The expectations below are written by hand from the product rules, not computed from the
code under test: the walidata sees everything; a department operator sees every area but
only its department's indicators; camat, lurah and ketua RW see their own subtree; the
ketua RT sees only RT A; a deactivated account cannot sign in (so it is anonymous); an
account without an area or with an area of the wrong level holds no permission (403).

The matrix test signs every role in once (an argon2 verification a login), walks all its
cells, collects every mismatch and fails once with the whole list (route, role, target,
expected, got).
"""

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from tests.conftest import (
    CANARY_B,
    CANARY_C,
    EXTRA_PASSWORD,
    RT_A,
    RT_B,
    RT_C,
    assert_no_canary,
    canary_forms,
    login,
    make_app,
)
from transparency import scoped, security
from transparency.access import policy_of
from transparency.models import (
    ActiveUpload,
    Area,
    AuditEvent,
    Department,
    Period,
    Role,
    Upload,
    UploadStatus,
    User,
)
from transparency.passwords import hash_password

pytestmark = pytest.mark.demo_once

# --- the route inventory (AZ-01) ----------------------------------------------------------

# Every endpoint and how it is classified (``Policy.describe()``). A new route, or a route
# whose classification changes, fails the suite until this table is updated on purpose.
EXPECTED = {
    "public.home": "public",
    "public.area": "public",
    "health.healthz": "public",
    "auth.login": "public",
    "auth.activate": "public",
    "auth.logout": "signed-in",
    "auth.change_password": "signed-in",
    "dashboard.home": "figures:read-exact",
    "dashboard.area": "figures:read-exact",
    "dashboard.area_print": "figures:read-exact",
    "dashboard.area_data": "figures:read-exact",
    "dashboard.overview": "progress:read",
    "accounts_admin.users": "accounts:view",
    "accounts_admin.create": "accounts:manage",
    "accounts_admin.edit": "accounts:manage",
    "accounts_admin.set_active": "accounts:manage",
    "accounts_admin.reset_password": "accounts:manage",
    "accounts_admin.bulk": "accounts:manage",
    "audit_admin.events": "audit:read",
    "audit_admin.area": "areas:admin",
    "uploads.new": "uploads:create",
    "uploads.mapping": "uploads:create",
    "uploads.report": "uploads:create",
    "uploads.report_workbook": "uploads:create",
    "uploads.status": "uploads:create",
    "uploads.commit": "uploads:create",
    "uploads.coverage": "uploads:create",
    "uploads.cancel": "uploads:create",
    "uploads.history": "uploads:create",
    "uploads.restore": "uploads:restore",
    "uploads.template": "uploads:create",
    "public.area_data": "public",
    "public.area_image": "public",
    "public.indicator_image": "public",
    "public.indicators": "public",
    "public.indicator": "public",
    "public.table": "public",
    "public.table_data": "public",
    "public.search": "public",
    "api.openapi": "public",
    "api.indicators": "public",
    "api.area": "public",
    "api.table": "public",
    "api.catalog": "public",
    "publishing.overview": "publications:manage",
    "publishing.publish": "publications:manage",
    "publishing.confirm": "publications:manage",
    "publishing.confirm_period": "publications:manage",
    "publishing.publish_period": "publications:manage",
    "auth.set_language": "signed-in",
    "verification.verify": "figures:verify",
    "verification.disputes": "figures:read-exact",
    "verification.answer": "disputes:answer",
    "board.rt_board": "figures:read-exact",
    "department.page": "uploads:create",
}

# Every URL rule, its endpoint and methods: a new URL or method on an existing view counts too.
EXPECTED_RULES = {
    ("/", "public.home", frozenset({"GET"})),
    ("/wilayah/<code>", "public.area", frozenset({"GET"})),
    ("/healthz", "health.healthz", frozenset({"GET"})),
    ("/masuk", "auth.login", frozenset({"GET", "POST"})),
    ("/aktivasi", "auth.activate", frozenset({"GET", "POST"})),
    ("/keluar", "auth.logout", frozenset({"POST"})),
    ("/akun/kata-sandi", "auth.change_password", frozenset({"GET", "POST"})),
    ("/dasbor/", "dashboard.home", frozenset({"GET"})),
    ("/dasbor/wilayah/<code>", "dashboard.area", frozenset({"GET"})),
    ("/dasbor/wilayah/<code>/cetak", "dashboard.area_print", frozenset({"GET"})),
    ("/dasbor/wilayah/<code>/ikhtisar", "dashboard.overview", frozenset({"GET"})),
    (
        "/dasbor/wilayah/<code>/data.<any(json, csv, xlsx):fmt>",
        "dashboard.area_data",
        frozenset({"GET"}),
    ),
    ("/admin/pengguna/", "accounts_admin.users", frozenset({"GET"})),
    ("/admin/pengguna/baru", "accounts_admin.create", frozenset({"GET", "POST"})),
    ("/admin/pengguna/<int:user_id>", "accounts_admin.edit", frozenset({"GET", "POST"})),
    (
        "/admin/pengguna/<int:user_id>/<any(nonaktifkan, aktifkan):action>",
        "accounts_admin.set_active",
        frozenset({"POST"}),
    ),
    (
        "/admin/pengguna/<int:user_id>/reset-sandi",
        "accounts_admin.reset_password",
        frozenset({"POST"}),
    ),
    ("/admin/pengguna/massal", "accounts_admin.bulk", frozenset({"GET", "POST"})),
    ("/admin/audit", "audit_admin.events", frozenset({"GET"})),
    ("/admin/wilayah/<code>", "audit_admin.area", frozenset({"GET"})),
    ("/unggah/", "uploads.new", frozenset({"GET", "POST"})),
    ("/unggah/<int:upload_id>/pemetaan", "uploads.mapping", frozenset({"GET", "POST"})),
    ("/unggah/<int:upload_id>", "uploads.report", frozenset({"GET"})),
    ("/unggah/<int:upload_id>/laporan.xlsx", "uploads.report_workbook", frozenset({"GET"})),
    ("/unggah/<int:upload_id>/status.json", "uploads.status", frozenset({"GET"})),
    ("/unggah/<int:upload_id>/simpan", "uploads.commit", frozenset({"POST"})),
    ("/unggah/<int:upload_id>/cakupan", "uploads.coverage", frozenset({"POST"})),
    ("/unggah/<int:upload_id>/batal", "uploads.cancel", frozenset({"POST"})),
    ("/unggah/riwayat", "uploads.history", frozenset({"GET"})),
    ("/unggah/<int:upload_id>/pulihkan", "uploads.restore", frozenset({"POST"})),
    ("/unggah/templat/<code>.xlsx", "uploads.template", frozenset({"GET"})),
    (
        "/wilayah/<code>/data.<any(json, csv, xlsx):fmt>",
        "public.area_data",
        frozenset({"GET"}),
    ),
    ("/wilayah/<code>/og.png", "public.area_image", frozenset({"GET"})),
    ("/indikator/<indicator>/og.png", "public.indicator_image", frozenset({"GET"})),
    ("/indikator/", "public.indicators", frozenset({"GET"})),
    ("/indikator/<indicator>", "public.indicator", frozenset({"GET"})),
    ("/indikator/<indicator>/<period>", "public.table", frozenset({"GET"})),
    (
        "/indikator/<indicator>/<period>/data.<any(json, csv, xlsx):fmt>",
        "public.table_data",
        frozenset({"GET"}),
    ),
    ("/cari", "public.search", frozenset({"GET"})),
    ("/api/v1/openapi.json", "api.openapi", frozenset({"GET"})),
    ("/api/v1/indicators", "api.indicators", frozenset({"GET"})),
    ("/api/v1/areas/<code>", "api.area", frozenset({"GET"})),
    ("/api/v1/indicators/<indicator>/periods/<period>", "api.table", frozenset({"GET"})),
    ("/api/v1/catalog.jsonld", "api.catalog", frozenset({"GET"})),
    ("/admin/publikasi/", "publishing.overview", frozenset({"GET"})),
    ("/admin/publikasi/<indicator>/<period>", "publishing.publish", frozenset({"POST"})),
    ("/admin/publikasi/<indicator>/<period>", "publishing.confirm", frozenset({"GET"})),
    ("/admin/publikasi/bulan/<period>", "publishing.confirm_period", frozenset({"GET"})),
    ("/admin/publikasi/bulan/<period>", "publishing.publish_period", frozenset({"POST"})),
    ("/akun/bahasa", "auth.set_language", frozenset({"POST"})),
    ("/dasbor/wilayah/<code>/verifikasi", "verification.verify", frozenset({"POST"})),
    ("/dasbor/sanggahan", "verification.disputes", frozenset({"GET"})),
    (
        "/dasbor/sanggahan/<int:verification_id>/jawab",
        "verification.answer",
        frozenset({"POST"}),
    ),
    ("/dasbor/wilayah/<code>/papan", "board.rt_board", frozenset({"GET"})),
    ("/dasbor/dinas/<code>", "department.page", frozenset({"GET"})),
}

# Values to fill path parameters when a route is requested without a particular target.
SAMPLE_VALUES = {
    "code": RT_A,
    "user_id": 1,
    "fmt": "json",
    "action": "nonaktifkan",
    "upload_id": 1,
    "indicator": "kk_gamis",
    "period": "2026-09",
    "verification_id": 1,
}


def _methods(rule) -> frozenset[str]:
    return frozenset(rule.methods - {"HEAD", "OPTIONS"})


def _inventory(app) -> dict[str, str | None]:
    """Endpoint → classification, for every endpoint but ``static``."""
    return {
        rule.endpoint: (
            policy.describe() if (policy := policy_of(app.view_functions[rule.endpoint])) else None
        )
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    }


def test_every_route_is_classified_exactly_as_expected(app):
    inventory = _inventory(app)
    unclassified = sorted(endpoint for endpoint, label in inventory.items() if label is None)
    assert unclassified == [], f"routes without an access policy: {unclassified}"
    assert inventory == EXPECTED
    rules = {
        (rule.rule, rule.endpoint, _methods(rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    }
    assert rules == EXPECTED_RULES
    # The matrices below cover exactly these endpoints.
    posted = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert set(WRITE_URLS) | WRITE_NOT_PROBED == posted
    assert READ_ROUTES | posted == set(EXPECTED)


def test_a_route_without_a_policy_is_not_found_even_for_the_walidata(engine, session):
    city = session.exec(select(Area).where(Area.parent_id.is_(None))).one()
    session.add(
        User(
            username="walidata.uji",
            role=Role.WALIDATA,
            area_id=city.id,
            password_hash=hash_password(EXTRA_PASSWORD),
            must_change_password=False,
        )
    )
    session.commit()
    fresh = make_app(engine, session)
    fresh.add_url_rule("/tanpa-kebijakan", "unclassified", lambda: "UNCLASSIFIED-VIEW-RAN")
    client = fresh.test_client()
    anonymous = client.get("/tanpa-kebijakan")
    assert anonymous.status_code == 404
    assert b"UNCLASSIFIED-VIEW-RAN" not in anonymous.data
    assert login(client, "walidata.uji", EXTRA_PASSWORD).status_code == 302
    assert client.get("/admin/audit").status_code == 200  # really signed in, as the walidata
    response = client.get("/tanpa-kebijakan")
    assert response.status_code == 404
    assert b"UNCLASSIFIED-VIEW-RAN" not in response.data


def test_anonymous_requests_to_protected_routes_are_sent_to_sign_in(app, client):
    adapter = app.url_map.bind("localhost")
    checked = []
    for rule in app.url_map.iter_rules():
        policy = policy_of(app.view_functions[rule.endpoint])
        if rule.endpoint == "static" or (policy and policy.public):
            continue
        defaults = rule.defaults or {}
        values = {name: SAMPLE_VALUES[name] for name in rule.arguments if name not in defaults}
        url = adapter.build(rule.endpoint, values)
        for method in sorted(_methods(rule)):
            response = client.open(url, method=method)
            checked.append((method, url))
            # Sent to sign in; an unclassified route would be a 404 (and fail the inventory).
            assert response.status_code == (302 if policy else 404), (method, url)
            if policy:
                assert urlsplit(response.headers["Location"]).path == "/masuk", (method, url)
    assert ("GET", f"/dasbor/wilayah/{RT_A}/data.json") in checked
    assert ("GET", "/admin/pengguna/1") in checked
    assert ("POST", "/keluar") in checked
    assert ("POST", "/unggah/1/simpan") in checked
    assert ("POST", "/unggah/1/cakupan") in checked
    assert ("POST", "/unggah/1/pulihkan") in checked
    assert ("GET", f"/unggah/templat/{RT_A}.xlsx") in checked
    assert ("POST", "/admin/publikasi/kk_gamis/2026-09") in checked
    assert ("POST", f"/dasbor/wilayah/{RT_A}/verifikasi") in checked
    assert ("POST", "/dasbor/sanggahan/1/jawab") in checked
    assert ("GET", "/admin/publikasi/kk_gamis/2026-09") in checked
    assert ("POST", "/admin/publikasi/bulan/2026-09") in checked
    assert ("GET", f"/dasbor/wilayah/{RT_A}/ikhtisar") in checked
    assert ("GET", "/unggah/1/status.json") in checked
    assert len(checked) == 43


# --- roles, targets and the hand-written expectations ------------------------------------

ANON = "anonymous"
WALIDATA = "walidata"
DINSOS = "dinsos"
DISPENDIK = "dispendik"
CAMAT = "camat.rungkut"
LURAH = "lurah.wonorejo"
KETUA_RW = "rw001.wonorejo"
KETUA_RT = "rt001.rw001.wonorejo"
DEACTIVATED = "rt.deactivated"
NO_AREA = "rt.noarea"
WRONG_LEVEL = "lurah.wronglevel"
ROLES = (
    ANON,
    WALIDATA,
    DINSOS,
    DISPENDIK,
    CAMAT,
    LURAH,
    KETUA_RW,
    KETUA_RT,
    DEACTIVATED,
    NO_AREA,
    WRONG_LEVEL,
)
# Whether signing in works: a deactivated account is refused, so it stays anonymous.
CAN_SIGN_IN = {role: role not in (ANON, DEACTIVATED) for role in ROLES}

CITY = "35.78"
MISSING = "35.78.99.9999.001.001"  # well-formed, exists nowhere
WONOREJO_TEGALSARI = "35.78.05.1005"  # the other Wonorejo, RT C's kelurahan
RW_A = "35.78.03.1005.001"

# Each role's own area (RT A for accounts that have none, or none that counts).
OWN_AREA = {
    ANON: RT_A,
    WALIDATA: CITY,
    DINSOS: CITY,
    DISPENDIK: CITY,
    CAMAT: "35.78.03",
    LURAH: "35.78.03.1005",
    KETUA_RW: RW_A,
    KETUA_RT: RT_A,
    DEACTIVATED: RT_A,
    NO_AREA: RT_A,
    WRONG_LEVEL: RT_A,
}
# The area just above one's own: never in scope (the city has none).
PARENT_AREA = {role: code.rsplit(".", 1)[0] for role, code in OWN_AREA.items() if code != CITY}

AREA_TARGETS = {
    "own": OWN_AREA,
    "parent": PARENT_AREA,
    "rt_a": dict.fromkeys(ROLES, RT_A),
    "rt_b": dict.fromkeys(ROLES, RT_B),
    "rt_c": dict.fromkeys(ROLES, RT_C),
    "kel_c": dict.fromkeys(ROLES, WONOREJO_TEGALSARI),
    "missing": dict.fromkeys(ROLES, MISSING),
}
AREA_TARGET_NAMES = tuple(AREA_TARGETS)
USER_TARGET_NAMES = ("own", "other", "missing")
UPLOAD_TARGET_NAMES = ("own", "other", "missing")
TEMPLATE_TARGET_NAMES = ("own", "other", "unknown")

# Whose upload is "own" and "other" for each role, by department code: an operator's own
# department and the other operator's; for the walidata (its Diskominfo uploads nothing)
# Dinkes and Dispendukcapil, departments no operator holds; for everyone else Dinsos and
# Dispendik, as for the Dinsos operator.
UPLOAD_DEPARTMENTS = {
    **dict.fromkeys(ROLES, ("dinsos", "dispendik")),
    DISPENDIK: ("dispendik", "dinsos"),
    WALIDATA: ("dinkes", "dispendukcapil"),
}
UPLOAD_PERIOD = "2026-09"  # a month of demo uploads; the canaries are in 2026-10
# Indicator sets (seed/indicator_sets.json) in the same way, and a code that names none.
TEMPLATE_SETS = {
    **dict.fromkeys(ROLES, ("dinsos_gamis_pramis", "dispendik_anak_sekolah")),
    DISPENDIK: ("dispendik_anak_sekolah", "dinsos_gamis_pramis"),
    WALIDATA: ("dinkes_stunting", "dinsos_gamis_pramis"),
}
UNKNOWN_SET = "dinsos_tidak_ada"

LOGIN = "302→/masuk"  # a redirect to the sign-in page
X = None  # the cell does not exist (the walidata's city has no parent)


def cols(*statuses) -> dict[str, object]:
    """A table row: one expected outcome per role, in ``ROLES`` order."""
    assert len(statuses) == len(ROLES)
    return dict(zip(ROLES, statuses, strict=True))


def grid(rows: dict[str, tuple], targets: tuple[str, ...]) -> dict[str, dict[str, object]]:
    """A per-role table over targets: ``{role: {target: outcome}}``."""
    assert set(rows) == set(ROLES)
    return {role: dict(zip(targets, row, strict=True)) for role, row in rows.items()}


L = LOGIN
OUT = "302→/"  # signed out, back to the public home
HOME = "302→/dasbor/wilayah/"  # the dashboard sends one to one's own area

# fmt: off
# Exact figures, the same in every format (HTML, /cetak, data.json, data.csv, data.xlsx).
FIGURES = grid({
    #             own   parent rt_a  rt_b  rt_c  kel_c missing
    ANON:        (L,    L,     L,    L,    L,    L,    L),
    WALIDATA:    (200,  X,     200,  200,  200,  200,  404),
    DINSOS:      (200,  X,     200,  200,  200,  200,  404),
    DISPENDIK:   (200,  X,     200,  200,  200,  200,  404),
    CAMAT:       (200,  404,   200,  200,  404,  404,  404),
    LURAH:       (200,  404,   200,  200,  404,  404,  404),
    KETUA_RW:    (200,  404,   200,  200,  404,  404,  404),
    KETUA_RT:    (200,  404,   200,  404,  404,  404,  404),
    DEACTIVATED: (L,    L,     L,    L,    L,    L,    L),
    NO_AREA:     (403,  403,   403,  403,  403,  403,  403),
    WRONG_LEVEL: (403,  403,   403,  403,  403,  403,  403),
}, AREA_TARGET_NAMES)

# The verification overview (states only, no figures): progress:read, the walidata, camat
# and lurah, in their own subtree; an RT has none (404 like an area out of scope).
OVERVIEW = grid({
    #             own   parent rt_a  rt_b  rt_c  kel_c missing
    ANON:        (L,    L,     L,    L,    L,    L,    L),
    WALIDATA:    (200,  X,     404,  404,  404,  200,  404),
    DINSOS:      (403,  X,     403,  403,  403,  403,  403),
    DISPENDIK:   (403,  X,     403,  403,  403,  403,  403),
    CAMAT:       (200,  404,   404,  404,  404,  404,  404),
    LURAH:       (200,  404,   404,  404,  404,  404,  404),
    KETUA_RW:    (403,  403,   403,  403,  403,  403,  403),
    KETUA_RT:    (403,  403,   403,  403,  403,  403,  403),
    DEACTIVATED: (L,    L,     L,    L,    L,    L,    L),
    NO_AREA:     (403,  403,   403,  403,  403,  403,  403),
    WRONG_LEVEL: (403,  403,   403,  403,  403,  403,  403),
}, AREA_TARGET_NAMES)

# The public area page: open to everyone, whoever asks, and never with exact figures.
PUBLIC_AREA = {
    role: {"rt_a": 200, "rt_b": 200, "rt_c": 200, "kel_c": 200, "missing": 404} for role in ROLES
}

# The walidata's area admin page (who may see an area's figures): areas:admin.
ADMIN_AREA = grid({
    #             rt_a  rt_b  rt_c  kel_c missing
    ANON:        (L,    L,    L,    L,    L),
    WALIDATA:    (200,  200,  200,  200,  404),
    DINSOS:      (403,  403,  403,  403,  403),
    DISPENDIK:   (403,  403,  403,  403,  403),
    CAMAT:       (403,  403,  403,  403,  403),
    LURAH:       (403,  403,  403,  403,  403),
    KETUA_RW:    (403,  403,  403,  403,  403),
    KETUA_RT:    (403,  403,  403,  403,  403),
    DEACTIVATED: (L,    L,    L,    L,    L),
    NO_AREA:     (403,  403,  403,  403,  403),
    WRONG_LEVEL: (403,  403,  403,  403,  403),
}, ("rt_a", "rt_b", "rt_c", "kel_c", "missing"))

# One account's page, GET: accounts:manage, the walidata only (permission before existence,
# so the others cannot tell a real id from a missing one).
EDIT_USER = grid({
    #             own   other missing
    ANON:        (L,    L,    L),
    WALIDATA:    (200,  200,  404),
    DINSOS:      (403,  403,  403),
    DISPENDIK:   (403,  403,  403),
    CAMAT:       (403,  403,  403),
    LURAH:       (403,  403,  403),
    KETUA_RW:    (403,  403,  403),
    KETUA_RT:    (403,  403,  403),
    DEACTIVATED: (L,    L,    L),
    NO_AREA:     (403,  403,  403),
    WRONG_LEVEL: (403,  403,  403),
}, USER_TARGET_NAMES)

# Routes without a target, GET. Columns: the roles in ``ROLES`` order.
SIMPLE = {
    #                             anon wali dins disp cam  lur  rw   rt   deac noar wrng
    "public.home":           cols(200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "health.healthz":        cols(200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "auth.login":            cols(200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "auth.activate":         cols(200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "auth.change_password":  cols(L,   200, 200, 200, 200, 200, 200, 200, L,   200, 200),
    "accounts_admin.users":  cols(L,   200, 403, 403, 200, 200, 403, 403, L,   403, 403),
    "accounts_admin.create": cols(L,   200, 403, 403, 403, 403, 403, 403, L,   403, 403),
    "accounts_admin.bulk":   cols(L,   200, 403, 403, 403, 403, 403, 403, L,   403, 403),
    "audit_admin.events":    cols(L,   200, 403, 403, 403, 403, 403, 403, L,   403, 403),
    "uploads.new":           cols(L,   200, 200, 200, 403, 403, 403, 403, L,   403, 403),
    "uploads.history":       cols(L,   200, 200, 200, 403, 403, 403, 403, L,   403, 403),
    "publishing.overview":   cols(L,   200, 403, 403, 403, 403, 403, 403, L,   403, 403),
    "publishing.confirm":    cols(L,   200, 403, 403, 403, 403, 403, 403, L,   403, 403),
    "publishing.confirm_period": cols(L, 200, 403, 403, 403, 403, 403, 403, L,  403, 403),
    "public.indicators":     cols(200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "public.search":         cols(200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "api.openapi":           cols(200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "api.indicators":        cols(200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "api.catalog":           cols(200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    # Disputes in one's scope (the ketua RT: its own RT's; operators: their department's).
    "verification.disputes": cols(L,  200, 200, 200, 200, 200, 200, 200, L,   403, 403),
    "dashboard.home": {
        ANON: L,
        WALIDATA: HOME + CITY,
        DINSOS: HOME + CITY,
        DISPENDIK: HOME + CITY,
        CAMAT: HOME + "35.78.03",
        LURAH: HOME + "35.78.03.1005",
        KETUA_RW: HOME + RW_A,
        KETUA_RT: HOME + RT_A,
        DEACTIVATED: L,
        NO_AREA: 403,
        WRONG_LEVEL: 403,
    },
}

# State-changing routes, POSTed with an empty form (CSRF is off in the test app). Whoever may
# not use them is stopped before the view runs; the walidata gets the form back (200), or
# after a deactivation its account page. The walidata's own account is left out of
# deactivation and password reset (it would lock itself out mid-test); its "other" account
# is the already deactivated one.
WRITE_USER = {
    "accounts_admin.edit": grid({
        #             own   other missing
        ANON:        (L,    L,    L),
        WALIDATA:    (200,  200,  404),
        DINSOS:      (403,  403,  403),
        DISPENDIK:   (403,  403,  403),
        CAMAT:       (403,  403,  403),
        LURAH:       (403,  403,  403),
        KETUA_RW:    (403,  403,  403),
        KETUA_RT:    (403,  403,  403),
        DEACTIVATED: (L,    L,    L),
        NO_AREA:     (403,  403,  403),
        WRONG_LEVEL: (403,  403,  403),
    }, USER_TARGET_NAMES),
    "accounts_admin.set_active": grid({
        #             own   other                       missing
        ANON:        (L,    L,                          L),
        WALIDATA:    (X,    "302→/admin/pengguna/{id}", 404),
        DINSOS:      (403,  403,                        403),
        DISPENDIK:   (403,  403,                        403),
        CAMAT:       (403,  403,                        403),
        LURAH:       (403,  403,                        403),
        KETUA_RW:    (403,  403,                        403),
        KETUA_RT:    (403,  403,                        403),
        DEACTIVATED: (L,    L,                          L),
        NO_AREA:     (403,  403,                        403),
        WRONG_LEVEL: (403,  403,                        403),
    }, USER_TARGET_NAMES),
    "accounts_admin.reset_password": grid({
        #             own   other missing
        ANON:        (L,    L,    L),
        WALIDATA:    (X,    200,  404),
        DINSOS:      (403,  403,  403),
        DISPENDIK:   (403,  403,  403),
        CAMAT:       (403,  403,  403),
        LURAH:       (403,  403,  403),
        KETUA_RW:    (403,  403,  403),
        KETUA_RT:    (403,  403,  403),
        DEACTIVATED: (L,    L,    L),
        NO_AREA:     (403,  403,  403),
        WRONG_LEVEL: (403,  403,  403),
    }, USER_TARGET_NAMES),
}
WRITE_SIMPLE = {
    #                             anon wali dins disp cam  lur  rw   rt   deac noar wrng
    "accounts_admin.create": cols(L,   200, 403, 403, 403, 403, 403, 403, L,   403, 403),
    # An empty area code: the form again, 422, the message at the field.
    "accounts_admin.bulk":   cols(L,   422, 403, 403, 403, 403, 403, 403, L,   403, 403),
    "auth.change_password":  cols(L,   200, 200, 200, 200, 200, 200, 200, L,   200, 200),
    # An empty upload form: no set, no file, so the form again with an error; no upload.
    "uploads.new":           cols(L,   200, 200, 200, 403, 403, 403, 403, L,   403, 403),
    # Publishing an already published period again is refused (400), nothing changes.
    "publishing.publish":    cols(L,   400, 403, 403, 403, 403, 403, 403, L,   403, 403),
    # A month whose every indicator is published: nothing waits, refused (400).
    "publishing.publish_period": cols(L, 400, 403, 403, 403, 403, 403, 403, L,  403, 403),
    # An empty language form: nothing chosen, nothing changed, back to the public home.
    "auth.set_language":     cols(L,   OUT, OUT, OUT, OUT, OUT, OUT, OUT, L,   OUT, OUT),
    "auth.logout":           cols(L,   OUT, OUT, OUT, OUT, OUT, OUT, OUT, L,   OUT, OUT),
}

# --- uploads (/unggah): uploads:create for operators (their own department's uploads only)
# and the walidata (every department's); uploads:restore for the walidata alone. Another
# department's upload is answered exactly like a nonexistent one: 404. The targets are the
# demo's committed uploads of UPLOAD_PERIOD (not the canaries' month), see UPLOAD_DEPARTMENTS.
REPORT = "302→/unggah/{id}"  # back to the upload's own report
HISTORY = "302→/unggah/riwayat"

# The dry-run report of an upload, GET.
UPLOAD_REPORT = grid({
    #             own   other missing
    ANON:        (L,    L,    L),
    WALIDATA:    (200,  200,  404),
    DINSOS:      (200,  404,  404),
    DISPENDIK:   (200,  404,  404),
    CAMAT:       (403,  403,  403),
    LURAH:       (403,  403,  403),
    KETUA_RW:    (403,  403,  403),
    KETUA_RT:    (403,  403,  403),
    DEACTIVATED: (L,    L,    L),
    NO_AREA:     (403,  403,  403),
    WRONG_LEVEL: (403,  403,  403),
}, UPLOAD_TARGET_NAMES)

# The report workbook of an upload exists only while its file is kept for the dry run; the
# demo's uploads are committed, so it is gone (404) even for those who may see the upload.
UPLOAD_REPORT_WORKBOOK = grid({
    #             own   other missing
    ANON:        (L,    L,    L),
    WALIDATA:    (404,  404,  404),
    DINSOS:      (404,  404,  404),
    DISPENDIK:   (404,  404,  404),
    CAMAT:       (403,  403,  403),
    LURAH:       (403,  403,  403),
    KETUA_RW:    (403,  403,  403),
    KETUA_RT:    (403,  403,  403),
    DEACTIVATED: (L,    L,    L),
    NO_AREA:     (403,  403,  403),
    WRONG_LEVEL: (403,  403,  403),
}, UPLOAD_TARGET_NAMES)

# The mapping page of an upload, GET and (empty) POST alike: the uploads are committed, so
# whoever may see one is sent on to its report; nobody else learns that it exists.
UPLOAD_MAPPING = grid({
    #             own     other   missing
    ANON:        (L,      L,      L),
    WALIDATA:    (REPORT, REPORT, 404),
    DINSOS:      (REPORT, 404,    404),
    DISPENDIK:   (REPORT, 404,    404),
    CAMAT:       (403,    403,    403),
    LURAH:       (403,    403,    403),
    KETUA_RW:    (403,    403,    403),
    KETUA_RT:    (403,    403,    403),
    DEACTIVATED: (L,      L,      L),
    NO_AREA:     (403,    403,    403),
    WRONG_LEVEL: (403,    403,    403),
}, UPLOAD_TARGET_NAMES)

# The template workbook of an indicator set: the own department's set, another
# department's, and a code that names no set (see TEMPLATE_SETS).
UPLOAD_TEMPLATE = grid({
    #             own   other unknown
    ANON:        (L,    L,    L),
    WALIDATA:    (200,  200,  404),
    DINSOS:      (200,  404,  404),
    DISPENDIK:   (200,  404,  404),
    CAMAT:       (403,  403,  403),
    LURAH:       (403,  403,  403),
    KETUA_RW:    (403,  403,  403),
    KETUA_RT:    (403,  403,  403),
    DEACTIVATED: (L,    L,    L),
    NO_AREA:     (403,  403,  403),
    WRONG_LEVEL: (403,  403,  403),
}, TEMPLATE_TARGET_NAMES)

# State-changing upload routes, POSTed with an empty form like the account routes above.
# Commit and cancel of a committed upload are refused by the service (already done: back
# to the report, or to the history); restore is the walidata's alone (403 for operators
# too, whatever the id), and makes an upload that is already in force the version in
# force again (no change).
WRITE_UPLOAD = {
    "uploads.mapping": UPLOAD_MAPPING,
    "uploads.commit": grid({
        #             own     other   missing
        ANON:        (L,      L,      L),
        WALIDATA:    (REPORT, REPORT, 404),
        DINSOS:      (REPORT, 404,    404),
        DISPENDIK:   (REPORT, 404,    404),
        CAMAT:       (403,    403,    403),
        LURAH:       (403,    403,    403),
        KETUA_RW:    (403,    403,    403),
        KETUA_RT:    (403,    403,    403),
        DEACTIVATED: (L,      L,      L),
        NO_AREA:     (403,    403,    403),
        WRONG_LEVEL: (403,    403,    403),
    }, UPLOAD_TARGET_NAMES),
    "uploads.coverage": grid({
        #             own     other   missing
        ANON:        (L,      L,      L),
        WALIDATA:    (REPORT, REPORT, 404),
        DINSOS:      (REPORT, 404,    404),
        DISPENDIK:   (REPORT, 404,    404),
        CAMAT:       (403,    403,    403),
        LURAH:       (403,    403,    403),
        KETUA_RW:    (403,    403,    403),
        KETUA_RT:    (403,    403,    403),
        DEACTIVATED: (L,      L,      L),
        NO_AREA:     (403,    403,    403),
        WRONG_LEVEL: (403,    403,    403),
    }, UPLOAD_TARGET_NAMES),
    "uploads.cancel": grid({
        #             own      other    missing
        ANON:        (L,       L,       L),
        WALIDATA:    (HISTORY, HISTORY, 404),
        DINSOS:      (HISTORY, 404,     404),
        DISPENDIK:   (HISTORY, 404,     404),
        CAMAT:       (403,     403,     403),
        LURAH:       (403,     403,     403),
        KETUA_RW:    (403,     403,     403),
        KETUA_RT:    (403,     403,     403),
        DEACTIVATED: (L,       L,       L),
        NO_AREA:     (403,     403,     403),
        WRONG_LEVEL: (403,     403,     403),
    }, UPLOAD_TARGET_NAMES),
    "uploads.restore": grid({
        #             own      other    missing
        ANON:        (L,       L,       L),
        WALIDATA:    (HISTORY, HISTORY, 404),
        DINSOS:      (403,     403,     403),
        DISPENDIK:   (403,     403,     403),
        CAMAT:       (403,     403,     403),
        LURAH:       (403,     403,     403),
        KETUA_RW:    (403,     403,     403),
        KETUA_RT:    (403,     403,     403),
        DEACTIVATED: (L,       L,       L),
        NO_AREA:     (403,     403,     403),
        WRONG_LEVEL: (403,     403,     403),
    }, UPLOAD_TARGET_NAMES),
}

# The notice board of an RT (published figures only): only an RT has one, so every other
# area answers 404 exactly like an area out of scope.
BOARD = grid({
    #             own   parent rt_a  rt_b  rt_c  kel_c missing
    ANON:        (L,    L,     L,    L,    L,    L,    L),
    WALIDATA:    (404,  X,     200,  200,  200,  404,  404),
    DINSOS:      (404,  X,     200,  200,  200,  404,  404),
    DISPENDIK:   (404,  X,     200,  200,  200,  404,  404),
    CAMAT:       (404,  404,   200,  200,  404,  404,  404),
    LURAH:       (404,  404,   200,  200,  404,  404,  404),
    KETUA_RW:    (404,  404,   200,  200,  404,  404,  404),
    KETUA_RT:    (200,  404,   200,  404,  404,  404,  404),
    DEACTIVATED: (L,    L,     L,    L,    L,    L,    L),
    NO_AREA:     (403,  403,   403,  403,  403,  403,  403),
    WRONG_LEVEL: (403,  403,   403,  403,  403,  403,  403),
}, AREA_TARGET_NAMES)

# A department's page: uploads:create; an operator's own department only (another one and
# an unknown code alike: 404). Departments as in UPLOAD_DEPARTMENTS.
DEPARTMENT_PAGE = grid({
    #             own   other unknown
    ANON:        (L,    L,    L),
    WALIDATA:    (200,  200,  404),
    DINSOS:      (200,  404,  404),
    DISPENDIK:   (200,  404,  404),
    CAMAT:       (403,  403,  403),
    LURAH:       (403,  403,  403),
    KETUA_RW:    (403,  403,  403),
    KETUA_RT:    (403,  403,  403),
    DEACTIVATED: (L,    L,    L),
    NO_AREA:     (403,  403,  403),
    WRONG_LEVEL: (403,  403,  403),
}, TEMPLATE_TARGET_NAMES)
UNKNOWN_DEPARTMENT = "dinas-tidak-ada"

# Confirm or dispute (POSTed empty): the ketua RT's own RT only; the empty form is refused
# with a message on its page. Nobody else holds figures:verify, the walidata included.
BACK_A = "302→/dasbor/wilayah/" + RT_A
VERIFY = grid({
    #             rt_a    rt_b  missing
    ANON:        (L,      L,    L),
    WALIDATA:    (403,    403,  403),
    DINSOS:      (403,    403,  403),
    DISPENDIK:   (403,    403,  403),
    CAMAT:       (403,    403,  403),
    LURAH:       (403,    403,  403),
    KETUA_RW:    (403,    403,  403),
    KETUA_RT:    (BACK_A, 404,  404),
    DEACTIVATED: (L,      L,    L),
    NO_AREA:     (403,    403,  403),
    WRONG_LEVEL: (403,    403,  403),
}, ("rt_a", "rt_b", "missing"))

# Answer a dispute (POSTed empty): the demo's open dispute of RT B's kk_gamis (Dinsos). The
# Dinsos operator, the lurah of Wonorejo and the walidata may answer it (the empty form is
# refused: the disputes page again, 422, the message at the outcome to choose); Dispendik's
# operator is told it does not exist, like a missing id.
DISPUTES_PAGE = 422
ANSWER = grid({
    #             dispute        missing
    ANON:        (L,             L),
    WALIDATA:    (DISPUTES_PAGE, 404),
    DINSOS:      (DISPUTES_PAGE, 404),
    DISPENDIK:   (404,           404),
    CAMAT:       (403,           403),
    LURAH:       (DISPUTES_PAGE, 404),
    KETUA_RW:    (403,           403),
    KETUA_RT:    (403,           403),
    DEACTIVATED: (L,             L),
    NO_AREA:     (403,           403),
    WRONG_LEVEL: (403,           403),
}, ("dispute", "missing"))
# fmt: on
WRITE_URLS = {
    "accounts_admin.edit": "/admin/pengguna/{id}",
    "accounts_admin.set_active": "/admin/pengguna/{id}/nonaktifkan",
    "accounts_admin.reset_password": "/admin/pengguna/{id}/reset-sandi",
    "accounts_admin.create": "/admin/pengguna/baru",
    "accounts_admin.bulk": "/admin/pengguna/massal",
    "auth.change_password": "/akun/kata-sandi",
    "uploads.new": "/unggah/",
    "uploads.mapping": "/unggah/{id}/pemetaan",
    "uploads.commit": "/unggah/{id}/simpan",
    "uploads.coverage": "/unggah/{id}/cakupan",
    "uploads.cancel": "/unggah/{id}/batal",
    "uploads.restore": "/unggah/{id}/pulihkan",
    "publishing.publish": "/admin/publikasi/kk_gamis/2026-09",
    "publishing.publish_period": "/admin/publikasi/bulan/2026-09",
    "verification.verify": "/dasbor/wilayah/{id}/verifikasi",
    "verification.answer": "/dasbor/sanggahan/{id}/jawab",
    "auth.set_language": "/akun/bahasa",
    "auth.logout": "/keluar",  # last: it ends the session
}
# POST routes left out of the matrix: public, and each POST is a sign-in or activation
# attempt counted by the throttle (every test here signs in through POST /masuk anyway).
WRITE_NOT_PROBED = {"auth.login", "auth.activate"}

# Canaries a role may see exactly: kk_gamis is a Dinsos indicator; RT B lies in Wonorejo
# (Rungkut) RW 001, RT C in the other Wonorejo (Tegalsari).
MAY_SEE = {
    WALIDATA: {"B", "C"},
    DINSOS: {"B", "C"},
    CAMAT: {"B"},
    LURAH: {"B"},
    KETUA_RW: {"B"},
}
CANARY = {"B": CANARY_B, "C": CANARY_C}
CANARY_TARGET = {"rt_b": "B", "rt_c": "C"}

# Indicator codes per department (seed/indicators.csv) and the departments' names.
DEPARTMENT_INDICATORS = {
    "Dinas Sosial": {"kk_gamis", "kk_pramis", "jiwa_gamis"},
    "Dinas Pendidikan": {
        "anak_sd",
        "anak_smp",
        "anak_sma",
        "anak_tidak_sekolah",
        "peserta_sinau_bareng",
    },
    "Dinas Kependudukan dan Pencatatan Sipil": {"kk_total", "jiwa_total", "lansia"},
    "Dinas Kesehatan": {"balita_stunting"},
}
OPERATOR_DEPARTMENT = {DINSOS: "Dinas Sosial", DISPENDIK: "Dinas Pendidikan"}

FIGURE_FORMATS = {
    "html": ("dashboard.area", "/dasbor/wilayah/{code}"),
    "cetak": ("dashboard.area_print", "/dasbor/wilayah/{code}/cetak"),
    "json": ("dashboard.area_data", "/dasbor/wilayah/{code}/data.json"),
    "csv": ("dashboard.area_data", "/dasbor/wilayah/{code}/data.csv"),
    "xlsx": ("dashboard.area_data", "/dasbor/wilayah/{code}/data.xlsx"),
}

SIMPLE_URLS = {
    "public.home": "/",
    "health.healthz": "/healthz",
    "auth.login": "/masuk",
    "auth.activate": "/aktivasi",
    "auth.change_password": "/akun/kata-sandi",
    "dashboard.home": "/dasbor/",
    "accounts_admin.users": "/admin/pengguna/",
    "accounts_admin.create": "/admin/pengguna/baru",
    "accounts_admin.bulk": "/admin/pengguna/massal",
    "audit_admin.events": "/admin/audit",
    "uploads.new": "/unggah/",
    "uploads.history": "/unggah/riwayat",
    "publishing.overview": "/admin/publikasi/",
    "publishing.confirm": "/admin/publikasi/kk_gamis/2026-10",
    "publishing.confirm_period": "/admin/publikasi/bulan/2026-10",
    "public.indicators": "/indikator/",
    "public.search": "/cari?q=wonorejo",
    "api.openapi": "/api/v1/openapi.json",
    "api.indicators": "/api/v1/indicators",
    "api.catalog": "/api/v1/catalog.jsonld",
    "verification.disputes": "/dasbor/sanggahan",
}
# Public routes with a target: the same answer for every role, signed in or not; published
# figures only (the canaries sit in 2026-10, which the demo has not published).
PUBLIC_READ = (
    ("public.area_data", f"/wilayah/{RT_B}/data.json", "rt_b", 200),
    ("public.area_data", f"/wilayah/{RT_C}/data.csv", "rt_c", 200),
    ("public.area_data", "/wilayah/35.78.03.1005/data.xlsx", "kel_a", 200),
    ("public.area_data", f"/wilayah/{MISSING}/data.csv", "missing", 404),
    ("public.indicator", "/indikator/kk_gamis", "kk_gamis", 200),
    ("public.area_image", "/wilayah/35.78.03.1005/og.png", "kel_a", 200),
    ("public.area_image", f"/wilayah/{MISSING}/og.png", "missing", 404),
    ("public.indicator_image", "/indikator/kk_gamis/og.png", "kk_gamis", 200),
    ("public.indicator_image", "/indikator/tidak_ada/og.png", "missing", 404),
    ("public.indicator", "/indikator/tidak_ada", "missing", 404),
    ("public.table", "/indikator/kk_gamis/2026-09?tingkat=rt", "published", 200),
    ("public.table", "/indikator/kk_gamis/2026-10?tingkat=rt", "unpublished", 404),
    ("public.table_data", "/indikator/kk_gamis/2026-09/data.csv?tingkat=rt", "published", 200),
    ("public.table_data", "/indikator/kk_gamis/2026-10/data.json", "unpublished", 404),
    ("api.area", f"/api/v1/areas/{RT_B}", "rt_b", 200),
    ("api.area", f"/api/v1/areas/{MISSING}", "missing", 404),
    ("api.table", "/api/v1/indicators/kk_gamis/periods/2026-09?level=rt", "published", 200),
    ("api.table", "/api/v1/indicators/kk_gamis/periods/2026-10?level=rt", "unpublished", 404),
)
UPLOAD_READ = {  # GET routes of one upload: endpoint → (URL, expectations)
    "uploads.report": ("/unggah/{id}", UPLOAD_REPORT),
    "uploads.report_workbook": ("/unggah/{id}/laporan.xlsx", UPLOAD_REPORT_WORKBOOK),
    "uploads.status": ("/unggah/{id}/status.json", UPLOAD_REPORT),  # as the report page
    "uploads.mapping": ("/unggah/{id}/pemetaan", UPLOAD_MAPPING),
}
TEMPLATE_URL = "/unggah/templat/{code}.xlsx"
UPLOAD_ENDPOINTS = {endpoint for endpoint in EXPECTED if endpoint.startswith("uploads.")}
PUBLIC_ENDPOINTS = {endpoint for endpoint, label in EXPECTED.items() if label == "public"}

# Endpoints each matrix covers (checked against the inventory above).
READ_ROUTES = (
    set(SIMPLE)
    | {"public.area", "audit_admin.area", "accounts_admin.edit"}
    | {endpoint for endpoint, _ in FIGURE_FORMATS.values()}
    | set(UPLOAD_READ)
    | {"uploads.template", "board.rt_board", "department.page", "dashboard.overview"}
    | {endpoint for endpoint, *_ in PUBLIC_READ}
)


# --- helpers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One cell of the matrix."""

    endpoint: str
    method: str
    url: str
    target: str
    fmt: str
    expected: object


def outcome(response) -> object:
    """The status, or ``302→<path>`` for a redirect (the query string is left out)."""
    if response.status_code in (301, 302, 303, 307, 308):
        return f"{response.status_code}→{urlsplit(response.headers.get('Location', '')).path}"
    return response.status_code


def response_text(response) -> str:
    """Everything a reader could get out of a response: headers, and the body as text
    (for a workbook: the XML of every part and the value of every cell)."""
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers)
    body = response.get_data()
    if not body.startswith(b"PK"):
        return headers + "\n" + body.decode("utf-8", "replace")
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        parts = [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
    workbook = load_workbook(io.BytesIO(body))
    cells = [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    workbook.close()
    return "\n".join([headers, *parts, *cells])


def shows_figures(response) -> bool:
    """True if the response carries a figures table in any format."""
    body = response.get_data()
    return (
        body.startswith(b"PK")  # a workbook
        or b"data-indicator=" in body  # the HTML and print table
        or b'"figures":' in body  # data.json
        or b"area_code,area_name,indicator" in body  # data.csv
    )


def has_canary(text_: str, value: int) -> bool:
    return any(form in text_ for form in canary_forms(value))


def user_ids(accounts, role: str) -> dict[str, int]:
    """Own, another and a nonexistent account id for a role."""
    own = accounts[role if role in accounts else KETUA_RT].id
    other = accounts[DEACTIVATED if role == WALIDATA else WALIDATA].id
    return {"own": own, "other": other, "missing": max(u.id for u in accounts.values()) + 1000}


def demo_uploads(session) -> dict[str, Upload]:
    """The demo's committed upload of ``UPLOAD_PERIOD``, by department code."""
    rows = session.exec(
        select(Department.code, Upload)
        .join(Upload, Upload.department_id == Department.id)
        .join(Period, Period.id == Upload.period_id)
        .where(Period.code == UPLOAD_PERIOD)
    ).all()
    return dict(rows)


def upload_ids(uploads: dict[str, Upload], missing: int, role: str) -> dict[str, int]:
    """Own, another department's and a nonexistent upload id for a role."""
    own, other = UPLOAD_DEPARTMENTS[role]
    return {"own": uploads[own].id, "other": uploads[other].id, "missing": missing}


def demo_dispute(session) -> int:
    """The id of the demo's open dispute of RT B's kk_gamis (a Dinsos figure)."""
    from transparency.models import Indicator, Verification, VerificationStatus

    return session.exec(
        select(Verification.id)
        .join(Area, Area.id == Verification.area_id)
        .join(Indicator, Indicator.id == Verification.indicator_id)
        .where(
            Area.code == RT_B,
            Indicator.code == "kk_gamis",
            Verification.status == VerificationStatus.DISPUTED,
        )
    ).one()


def verification_state(session) -> list[tuple]:
    """Every verification's cell, status and answer."""
    from transparency.models import Verification

    rows = session.exec(select(Verification).order_by(Verification.id)).all()
    return [(v.id, v.area_id, v.indicator_id, str(v.status), v.note, v.answer) for v in rows]


def upload_state(session) -> tuple[dict[int, str], dict[tuple[int, int], int]]:
    """Every upload's status, and which upload is in force per indicator and period."""
    statuses = {
        upload_id: str(status)
        for upload_id, status in session.exec(select(Upload.id, Upload.status))
    }
    in_force = {
        (pointer.indicator_id, pointer.period_id, pointer.kelurahan_id): pointer.upload_id
        for pointer in session.exec(select(ActiveUpload))
    }
    return statuses, in_force


def read_probes(role: str, accounts, uploads: dict[str, int]) -> Iterator[Probe]:
    """Every GET cell of the matrix for one role (``uploads``: its upload targets' ids)."""
    for endpoint, url in SIMPLE_URLS.items():
        yield Probe(endpoint, "GET", url, "-", "html", SIMPLE[endpoint][role])
    for target, expected in PUBLIC_AREA[role].items():
        code = AREA_TARGETS[target][role]
        yield Probe("public.area", "GET", f"/wilayah/{code}", target, "html", expected)
    for endpoint, url, target, expected in PUBLIC_READ:
        yield Probe(endpoint, "GET", url, target, url.rsplit(".", 1)[-1][:4], expected)
    for target, expected in ADMIN_AREA[role].items():
        code = AREA_TARGETS[target][role]
        yield Probe("audit_admin.area", "GET", f"/admin/wilayah/{code}", target, "html", expected)
    ids = user_ids(accounts, role)
    for target, expected in EDIT_USER[role].items():
        url = f"/admin/pengguna/{ids[target]}"
        yield Probe("accounts_admin.edit", "GET", url, target, "html", expected)
    for target, expected in FIGURES[role].items():
        if expected is X:
            continue
        code = AREA_TARGETS[target][role]
        for fmt, (endpoint, pattern) in FIGURE_FORMATS.items():
            yield Probe(endpoint, "GET", pattern.format(code=code), target, fmt, expected)
    for endpoint, (pattern, table) in UPLOAD_READ.items():
        for target, expected in table[role].items():
            url = pattern.format(id=uploads[target])
            if isinstance(expected, str):
                expected = expected.format(id=uploads[target])
            yield Probe(endpoint, "GET", url, target, "html", expected)
    for target, expected in OVERVIEW[role].items():
        if expected is X:
            continue
        url = f"/dasbor/wilayah/{AREA_TARGETS[target][role]}/ikhtisar"
        yield Probe("dashboard.overview", "GET", url, target, "html", expected)
    for target, expected in BOARD[role].items():
        if expected is X:
            continue
        url = f"/dasbor/wilayah/{AREA_TARGETS[target][role]}/papan"
        yield Probe("board.rt_board", "GET", url, target, "html", expected)
    departments = (*UPLOAD_DEPARTMENTS[role], UNKNOWN_DEPARTMENT)
    for target, code in zip(TEMPLATE_TARGET_NAMES, departments, strict=True):
        url = f"/dasbor/dinas/{code}"
        yield Probe("department.page", "GET", url, target, "html", DEPARTMENT_PAGE[role][target])
    codes = dict(zip(TEMPLATE_TARGET_NAMES, (*TEMPLATE_SETS[role], UNKNOWN_SET), strict=True))
    for target, expected in UPLOAD_TEMPLATE[role].items():
        url = TEMPLATE_URL.format(code=codes[target])
        yield Probe("uploads.template", "GET", url, target, "xlsx", expected)


def sign_in(client, role: str, mismatches: list[str]) -> None:
    """Sign the role in (anonymous: nothing); a refused or unexpected sign-in is a mismatch."""
    if role == ANON:
        return
    response = login(client, role)
    signed_in = response.status_code == 302
    if signed_in != CAN_SIGN_IN[role]:
        mismatches.append(
            f"sign-in of {role}: expected {'success' if CAN_SIGN_IN[role] else 'refusal'}, "
            f"got {outcome(response)}"
        )


def check_leaks(probe: Probe, role: str, response, mismatches: list[str]) -> None:
    """No canary a role may not see; the canary it may see where it must be; operators
    only get their own department's indicators."""
    where = f"{probe.method} {probe.url} [{probe.fmt}] as {role} (target {probe.target})"
    text_ = response_text(response)
    # Public pages and the upload pages (none of the targets is a canary's upload) show
    # no canary to anyone.
    no_canary = probe.endpoint in PUBLIC_ENDPOINTS | UPLOAD_ENDPOINTS
    allowed = set() if no_canary else MAY_SEE.get(role, set())
    forbidden = [CANARY[name] for name in sorted(set(CANARY) - allowed)]
    try:
        assert_no_canary(text_, *forbidden)
    except AssertionError as exc:
        mismatches.append(f"{where}: {exc}")
    if response.status_code != 200:
        if shows_figures(response):
            mismatches.append(f"{where}: figures in a {response.status_code} response")
        return
    if not probe.endpoint.startswith("dashboard.area"):
        return
    if not shows_figures(response):
        mismatches.append(f"{where}: no figures table in a 200 response")
    name = CANARY_TARGET.get(probe.target)
    if name in allowed and not has_canary(text_, CANARY[name]):
        mismatches.append(f"{where}: canary {CANARY[name]} of RT {name} missing from its page")
    department = OPERATOR_DEPARTMENT.get(role)
    if department:
        foreign = set().union(
            *(codes for dept, codes in DEPARTMENT_INDICATORS.items() if dept != department)
        )
        shown = sorted(code for code in foreign if code in text_)
        if shown:
            mismatches.append(f"{where}: another department's indicators shown: {shown}")
    if probe.fmt == "json":
        check_json(where, role, probe, response.get_json(), mismatches)


def check_json(where: str, role: str, probe: Probe, payload: dict, mismatches: list[str]):
    """The JSON export: the area asked for, and the right departments' figures."""
    code = probe.url.split("/")[3]
    if payload["area"]["code"] != code:
        mismatches.append(f"{where}: area {payload['area']['code']} instead of {code}")
    departments = {figure["department"] for figure in payload["figures"]}
    indicators = {figure["indicator"] for figure in payload["figures"]}
    department = OPERATOR_DEPARTMENT.get(role)
    if department:
        expected_departments = {department}
        expected_indicators = DEPARTMENT_INDICATORS[department]
    else:
        expected_departments = set(DEPARTMENT_INDICATORS)
        expected_indicators = set().union(*DEPARTMENT_INDICATORS.values())
    if departments != expected_departments or indicators != expected_indicators:
        mismatches.append(
            f"{where}: departments {sorted(departments)}, indicators {sorted(indicators)}; "
            f"expected {sorted(expected_departments)}, {sorted(expected_indicators)}"
        )


def check_upload_page(
    probe: Probe, role: str, response, ids: dict[str, int], sha256: dict[int, str], mismatches
) -> None:
    """A 200 upload page is about what was asked for: the report shows its upload's file
    hash; the history lists the department's uploads only (the walidata's: all); the
    template is the set's workbook."""
    if response.status_code != 200 or probe.endpoint not in UPLOAD_ENDPOINTS:
        return
    where = f"{probe.method} {probe.url} [{probe.fmt}] as {role}"
    body = response.get_data(as_text=probe.fmt != "xlsx")
    if probe.endpoint == "uploads.report" and sha256[ids[probe.target]][:16] not in body:
        mismatches.append(f"{where}: not the report of upload {ids[probe.target]}")
    if probe.endpoint == "uploads.history":
        listed = {target for target in ("own", "other") if f'href="/unggah/{ids[target]}"' in body}
        expected = {"own", "other"} if role == WALIDATA else {"own"}
        if listed != expected:
            mismatches.append(f"{where}: lists the {sorted(listed)} upload, not {sorted(expected)}")
    if probe.endpoint == "uploads.template":
        code = probe.url.rsplit("/", 1)[1]
        disposition = response.headers.get("Content-Disposition", "")
        if not body.startswith(b"PK") or f"templat-{code}" not in disposition:
            mismatches.append(f"{where}: not the template workbook ({disposition!r})")


def report(mismatches: list[str]) -> str:
    return f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches)


# --- the matrix (AZ-02, AZ-03, AZ-07) ---------------------------------------------------


def write_probes(role: str, accounts, uploads: dict[str, int], dispute: int) -> Iterator[Probe]:
    """Every POST cell of the matrix for one role, sign-out last."""
    area_ids = {"rt_a": RT_A, "rt_b": RT_B, "missing": MISSING}
    for target, expected in VERIFY[role].items():
        url = WRITE_URLS["verification.verify"].format(id=area_ids[target])
        yield Probe("verification.verify", "POST", url, target, "-", expected)
    answer_ids = {"dispute": dispute, "missing": dispute + 1000}
    for target, expected in ANSWER[role].items():
        url = WRITE_URLS["verification.answer"].format(id=answer_ids[target])
        yield Probe("verification.answer", "POST", url, target, "-", expected)
    for table_of, ids in ((WRITE_USER, user_ids(accounts, role)), (WRITE_UPLOAD, uploads)):
        for endpoint, table in table_of.items():
            for target, expected in table[role].items():
                if expected is X:
                    continue
                url = WRITE_URLS[endpoint].format(id=ids[target])
                if isinstance(expected, str):
                    expected = expected.format(id=ids[target])
                yield Probe(endpoint, "POST", url, target, "-", expected)
    for endpoint, row in WRITE_SIMPLE.items():
        yield Probe(endpoint, "POST", WRITE_URLS[endpoint], "-", "-", row[role])


def test_matrix_every_role_route_target_and_format(app, canaries, accounts, session):
    """GET every page and export, then POST every state-changing route with an empty form
    (CSRF is off in the test app), as every role, signed in once; sign-out comes last."""
    mismatches: list[str] = []
    exercised: dict[str, set[str]] = {"GET": set(), "POST": set()}
    cells = 0
    uploads = demo_uploads(session)
    assert {d: (u.status, u.file_name) for d, u in uploads.items()} == {
        department: (UploadStatus.COMMITTED, f"data-demo-{UPLOAD_PERIOD}.xlsx")
        for department in ("dinsos", "dispendik", "dinkes", "dispendukcapil")
    }
    missing_upload = max(session.exec(select(Upload.id)).all()) + 1000
    sha256 = {upload.id: upload.sha256 for upload in uploads.values()}
    uploads_before = upload_state(session)
    dispute = demo_dispute(session)
    verifications_before = verification_state(session)
    for role in (*[r for r in ROLES if r != WALIDATA], WALIDATA):  # the walidata's changes last
        client = app.test_client()
        sign_in(client, role, mismatches)
        targets = upload_ids(uploads, missing_upload, role)
        probes = [
            *read_probes(role, accounts, targets),
            *write_probes(role, accounts, targets, dispute),
        ]
        for probe in probes:
            data = {} if probe.method == "POST" else None
            response = client.open(probe.url, method=probe.method, data=data)
            exercised[probe.method].add(probe.endpoint)
            cells += 1
            got = outcome(response)
            if got != probe.expected:
                mismatches.append(
                    f"{probe.method} {probe.url} [{probe.fmt}] as {role} "
                    f"(target {probe.target}): expected {probe.expected}, got {got}"
                )
            check_leaks(probe, role, response, mismatches)
            check_upload_page(probe, role, response, targets, sha256, mismatches)
        if outcome(client.get("/dasbor/")) != LOGIN:
            mismatches.append(f"{role} is still signed in after POST /keluar")
    # Nobody but the walidata changed anything: the others' accounts are as they were, but
    # for the session version their own sign-out bumped once.
    for role in (DINSOS, DISPENDIK, CAMAT, LURAH, KETUA_RW, KETUA_RT, NO_AREA, WRONG_LEVEL):
        user = session.exec(select(User).where(User.username == role)).one()
        state = (user.active, user.must_change_password, user.session_version)
        if state != (True, False, 1):
            mismatches.append(f"{role}'s account changed: (active, must change, version) {state}")
    # Nothing was uploaded, committed, cancelled or restored: every upload keeps its status
    # and the versions in force are the same; the only upload action audited is the
    # walidata's restore (of an upload already in force: no change).
    uploads_after = upload_state(session)
    if uploads_after[0] != uploads_before[0]:
        changed = {
            upload_id: (uploads_before[0].get(upload_id), status)
            for upload_id, status in uploads_after[0].items()
            if uploads_before[0].get(upload_id) != status
        }
        mismatches.append(f"uploads added or changed (before, after): {changed}")
    if uploads_after[1] != uploads_before[1]:
        mismatches.append("the uploads in force changed")
    upload_events = session.exec(
        select(AuditEvent.action, AuditEvent.actor_name).where(
            AuditEvent.action.startswith("upload.")
        )
    ).all()
    unexpected = [tuple(e) for e in upload_events if tuple(e) != ("upload.restore", WALIDATA)]
    if unexpected:
        mismatches.append(f"upload actions audited: {unexpected}")
    # No verification step happened: every empty form was refused.
    if verification_state(session) != verifications_before:
        mismatches.append("verifications changed")
    verification_events = session.exec(
        select(AuditEvent.action).where(AuditEvent.action.startswith("verification."))
    ).all()
    if verification_events:
        mismatches.append(f"verification actions audited: {verification_events}")
    assert not mismatches, report(mismatches)
    assert exercised == {"GET": READ_ROUTES, "POST": set(WRITE_URLS)}
    # GET: 119 cells a role (58 + 17 of uploads + 7 notice board + 7 overview + 3
    # department pages + the disputes page + 2 publication confirmations + 6 public routes
    # without a target and 18 public targets), but the city's three roles have no parent
    # area (5 figure formats, the notice board and the overview each); POST: 37 cells a
    # role (13 + 16 of uploads + 3 verify + 2 answer + language + 2 publication), but the
    # walidata skips its own deactivation and reset.
    assert cells == len(ROLES) * (119 + 37) - 3 * 7 - 2


# --- enumeration (AZ-06) ----------------------------------------------------------------

CSRF_FIELD = re.compile(rb'name="csrf_token" value="[^"]*"')


def test_enumerating_accounts_and_areas_never_answers_200(app, canaries, accounts, session):
    wrong: list[str] = []
    out_of_scope = [
        RT_B,
        RT_C,
        RW_A,
        "35.78.03.1005",
        "35.78.03",
        CITY,
        WONOREJO_TEGALSARI,
        *[f"{RW_A}.{n:03d}" for n in range(2, 8)],  # RT A's neighbours in RW 001
        RT_B + " ",  # near-misses of RT B's code
        RT_B.replace(".", ""),
        "35.78.03.1005.001.2",
        "35.78.03.1005.1.2",
    ]
    for role, denied in ((ANON, LOGIN), (KETUA_RT, 403)):
        client = app.test_client()
        if role != ANON:
            assert login(client, role).status_code == 302
        for user_id in range(1, 41):
            got = outcome(client.get(f"/admin/pengguna/{user_id}"))
            if got != denied:
                wrong.append(f"GET /admin/pengguna/{user_id} as {role}: {got}")
        for fmt, (_, pattern) in FIGURE_FORMATS.items():
            unknown = client.get(pattern.format(code=MISSING))
            for code in out_of_scope:
                url = pattern.format(code=code)
                response = client.get(url)
                expected = LOGIN if role == ANON else 404
                if outcome(response) != expected:
                    wrong.append(f"GET {url!r} as {role}: {outcome(response)}")
                try:
                    assert_no_canary(response_text(response), CANARY_B, CANARY_C)
                except AssertionError as exc:
                    wrong.append(f"GET {url!r} as {role}: {exc}")
                # Out of scope and nonexistent are indistinguishable, body for body.
                if role != ANON and CSRF_FIELD.sub(b"", response.data) != CSRF_FIELD.sub(
                    b"", unknown.data
                ):
                    wrong.append(f"GET {url!r} as {role} [{fmt}]: differs from a missing area")
    assert not wrong, report(wrong)
    # Sanity: the ids probed include real accounts, the ketua RT's own among them.
    assert accounts[KETUA_RT].id in range(1, 41)
    assert accounts[WALIDATA].id in range(1, 41)


# --- failing closed (AZ-07) ---------------------------------------------------------------


def _boom(*args, **kwargs):
    raise RuntimeError("scope-check-exploded-xyzzy")


# Where the scope check blows up → what RT A and RT B must answer. When the scope cannot be
# built nothing can be decided (500); when the SQL narrowing fails, RT B is still refused by
# the area check that runs first (404) and RT A, which would show figures, fails (500).
SCOPE_FAILURES = {
    (security, "build_scope"): {RT_A: 500, RT_B: 500},
    (scoped, "scope_predicate"): {RT_A: 500, RT_B: 404},
}


def test_an_exception_in_the_scope_check_fails_closed_with_a_plain_500(
    app, client, canaries, accounts, monkeypatch
):
    assert login(client, KETUA_RT).status_code == 302
    failures = []
    for (module, name), statuses in SCOPE_FAILURES.items():
        assert client.get(f"/dasbor/wilayah/{RT_A}").status_code == 200  # works before
        monkeypatch.setattr(module, name, _boom)
        for code, status in statuses.items():
            for fmt, (_, pattern) in FIGURE_FORMATS.items():
                url = pattern.format(code=code)
                where = f"{name} raises; GET {url} [{fmt}]"
                try:
                    response = client.get(url)
                except Exception as exc:  # noqa: BLE001 - an escaped error is the failure
                    failures.append(f"{where}: no error page was served, {exc!r} escaped the app")
                    continue
                if response.status_code != status:
                    failures.append(f"{where}: expected {status}, got {response.status_code}")
                body = response.get_data(as_text=True)
                for leak in ("Traceback", "scope-check-exploded-xyzzy", "RuntimeError"):
                    if leak in body:
                        failures.append(f"{where}: the error page shows {leak!r}")
                if shows_figures(response):
                    failures.append(f"{where}: figures in an error response")
                try:
                    assert_no_canary(response_text(response), CANARY_B, CANARY_C)
                except AssertionError as exc:
                    failures.append(f"{where}: {exc}")
        monkeypatch.undo()
    assert not failures, report(failures)


def _store_role(session, user_id: int, role: str) -> None:
    """Write a role the application does not know, past the database's CHECK constraint
    (which is asserted first: the database refuses it on its own)."""
    statement = text("UPDATE user_account SET role = :role WHERE id = :id")
    params = {"role": role, "id": user_id}
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(statement, params)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA ignore_check_constraints = ON"))
        session.execute(statement, params)
        session.execute(text("PRAGMA ignore_check_constraints = OFF"))
    else:  # PostgreSQL: drop the constraint inside the test's transaction (rolled back)
        names = session.execute(
            text(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'user_account'::regclass "
                "AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%role%'"
            )
        ).scalars()
        for name in list(names):
            session.execute(text(f'ALTER TABLE user_account DROP CONSTRAINT "{name}"'))
        session.execute(statement, params)
    session.commit()
    session.expire_all()
    stored = session.execute(
        text("SELECT role FROM user_account WHERE id = :id"), {"id": user_id}
    ).scalar_one()
    assert stored == role


def _figure_outcomes(client) -> list[tuple[str, object, str]]:
    """The dashboard and every format of RT A, B and C: (url, outcome, text) each; an
    exception escaping the app is recorded as the outcome."""
    urls = ["/dasbor/"] + [
        pattern.format(code=code)
        for code in (RT_A, RT_B, RT_C)
        for _, pattern in FIGURE_FORMATS.values()
    ]
    results = []
    for url in urls:
        try:
            response = client.get(url)
        except Exception as exc:  # noqa: BLE001 - an escaped error is itself the failure
            results.append((url, f"escaped {exc!r}", ""))
        else:
            results.append((url, outcome(response), response_text(response)))
    return results


def test_an_unknown_role_never_reaches_exact_figures(app, canaries, accounts, session):
    wrong: list[str] = []
    # 1. The role changes under a live session: signed out (302 to sign-in) or an empty
    #    scope (403) on the next request; never figures, never a crash.
    live = app.test_client()
    assert login(live, KETUA_RT).status_code == 302
    assert live.get(f"/dasbor/wilayah/{RT_A}").status_code == 200
    _store_role(session, accounts[KETUA_RT].id, "superadmin")
    wrong += [
        f"live session, GET {url}: {got}"
        for url, got, body in _figure_outcomes(live)
        if got not in (LOGIN, 403) or has_canary(body, CANARY_B) or has_canary(body, CANARY_C)
    ]
    # 2. Signing in afresh: refused (the form again, 200) or signed in with an empty scope.
    fresh = app.test_client()
    try:
        signed_in = outcome(login(fresh, KETUA_RT))
    except Exception as exc:  # noqa: BLE001 - an escaped error is itself the failure
        signed_in = f"escaped {exc!r}"
    if signed_in not in (200, "302→/dasbor/"):
        wrong.append(
            f"sign-in with the unknown role: expected 200 or 302→/dasbor/, got {signed_in}"
        )
    allowed = (403,) if signed_in == "302→/dasbor/" else (LOGIN,)
    wrong += [
        f"after signing in, GET {url}: {got}"
        for url, got, body in _figure_outcomes(fresh)
        if got not in allowed or has_canary(body, CANARY_B) or has_canary(body, CANARY_C)
    ]
    assert not wrong, report(wrong)


# --- denials are audited (AZ-03) --------------------------------------------------------


def test_denials_are_audited_and_logged(app, client, canaries, accounts, session, caplog):
    caplog.set_level(logging.WARNING)
    assert login(client, KETUA_RT).status_code == 302
    urls = [pattern.format(code=RT_B) for _, pattern in FIGURE_FORMATS.values()]
    for url in urls:
        assert client.get(url).status_code == 404
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "access.denied", AuditEvent.actor_name == KETUA_RT)
        .order_by(AuditEvent.id)
    ).all()
    assert [event.object_id for event in events] == urls
    for event in events:
        assert event.outcome == "denied"
        assert event.actor_id == accounts[KETUA_RT].id
        assert event.object_type == "route"
        assert event.details["area"] == RT_B
    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and "authz-failure" in record.getMessage()
    ]
    assert len(warnings) == len(urls)
    assert f"user={KETUA_RT}" in warnings[0] and f"path={urls[0]}" in warnings[0]

    # A missing permission (an account without an area) is audited the same way.
    client = app.test_client()
    assert login(client, NO_AREA).status_code == 302
    assert client.get(f"/dasbor/wilayah/{RT_A}").status_code == 403
    denied = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "access.denied", AuditEvent.actor_name == NO_AREA
        )
    ).all()
    assert [(e.outcome, e.object_id, e.details["reason"]) for e in denied] == [
        ("denied", f"/dasbor/wilayah/{RT_A}", "permission")
    ]
    assert any(f"user={NO_AREA}" in message for message in map(str, caplog.messages))
