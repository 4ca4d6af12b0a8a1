"""Every whole number a route takes, in its path or its query, bounded (issue 13, item 12): a
number past 64 bits answers 404, never a 500 from the database driver; any other text
answers 400 or 404. Property tests over every integer parameter of every route, signed in
as the walidata (who passes every permission check, so each view really runs)."""

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from tests.conftest import RT_A, login
from transparency.integers import MAX_INT64, parse_int

pytestmark = pytest.mark.demo_once
VIEWS = Path(__file__).resolve().parent.parent / "transparency" / "views"

# Query parameters read as whole numbers: endpoint → (URL, parameter).
INTEGER_QUERY = {
    "accounts_admin.users": ("/admin/pengguna/", "hal"),
    "audit_admin.events": ("/admin/audit", "hal"),
    "public.table": ("/indikator/kk_gamis/2026-09", "versi"),
    "public.table_data": ("/indikator/kk_gamis/2026-09/data.csv", "versi"),
    "api.table": ("/api/v1/indicators/kk_gamis/periods/2026-09", "version"),
}
# Values for the other path parameters of a route with an integer in its path.
OTHER_VALUES = {"action": "nonaktifkan", "code": RT_A, "fmt": "json"}
PROPERTY = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
HUGE = st.integers(min_value=MAX_INT64 + 1, max_value=10**40)
NOT_THERE = st.integers(min_value=10**9, max_value=MAX_INT64)  # no row has such an id
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=25)


def integer_path_routes(app) -> list[tuple[str, str, str]]:
    """``(endpoint, method, URL with {n} for the integer)`` of every rule with an integer
    path parameter, from the URL map itself."""
    found = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        integers = [
            name
            for name, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter)
        ]
        if not integers:
            continue
        (name,) = integers
        values = {arg: OTHER_VALUES.get(arg) for arg in rule.arguments if arg != name}
        url = adapter.build(rule.endpoint, {**values, name: 7}).replace("/7", "/{n}", 1)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


@pytest.fixture
def walidata(app, demo_city):
    client = app.test_client()
    assert login(client, "walidata").status_code == 302
    return client


def test_the_registry_names_every_integer_query_parameter_the_views_read():
    sources = {path.stem: path.read_text(encoding="utf-8") for path in VIEWS.glob("*.py")}
    read = {
        (module, name)
        for module, source in sources.items()
        for name in re.findall(r'params\.(?:page|version)_arg\(\s*"(\w+)"', source)
    }
    registered = {(endpoint.split(".")[0], name) for endpoint, (_, name) in INTEGER_QUERY.items()}
    assert read == registered
    # Nothing parses a number from the request any other way.
    for module, source in sources.items():
        assert "type=int" not in source, module
        assert not re.search(r"\bint\(\s*(request|version|raw)", source), module
        assert ".isdigit()" not in source, module


def test_every_integer_path_parameter_is_found(app):
    routes = integer_path_routes(app)
    assert {(endpoint, method) for endpoint, method, _ in routes} >= {
        ("accounts_admin.edit", "GET"),
        ("accounts_admin.set_active", "POST"),
        ("uploads.report", "GET"),
        ("uploads.restore", "POST"),
        ("uploads.status", "GET"),
        ("uploads.coverage", "POST"),
        ("verification.answer", "POST"),
    }
    assert len(routes) == 14


@PROPERTY
@given(number=HUGE)
def test_a_path_number_past_64_bits_is_not_found(walidata, app, number):
    for endpoint, method, url in integer_path_routes(app):
        response = walidata.open(url.format(n=number), method=method)
        assert response.status_code == 404, (endpoint, method, number)


@PROPERTY
@given(number=NOT_THERE)
def test_a_path_number_no_row_has_is_not_found(walidata, app, number):
    for endpoint, method, url in integer_path_routes(app):
        response = walidata.open(url.format(n=number), method=method)
        assert response.status_code == 404, (endpoint, method, number)


@PROPERTY
@given(number=HUGE)
def test_a_query_number_past_64_bits_is_not_found(walidata, number):
    for endpoint, (url, name) in INTEGER_QUERY.items():
        response = walidata.get(url, query_string={name: str(number)})
        assert response.status_code == 404, (endpoint, number)


@PROPERTY
@given(text=ANY_TEXT)
def test_any_text_as_a_query_number_is_a_clear_refusal_or_a_page(walidata, text):
    for endpoint, (url, name) in INTEGER_QUERY.items():
        response = walidata.get(url, query_string={name: text})
        number = parse_int(text)
        if text == "":
            expected = {200}
        elif number is None:
            # A page that is no page is not found; a version that is no number is a 400.
            expected = {404} if name == "hal" else {400, 404}
        else:
            expected = {200, 404}
        assert response.status_code in expected, (endpoint, text, response.status_code)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/admin/pengguna/?hal=99999999999999999999999", 404),
        ("/admin/audit?hal=99999999999999999999999", 404),
        ("/admin/audit?hal=184467440737095516", 404),  # in 64 bits, but its offset is not
        ("/admin/audit?hal=2", 200),
        ("/indikator/kk_gamis/2026-10?versi=99999999999999999999999", 404),
        ("/indikator/kk_gamis/2026-09?versi=99999999999999999999999", 404),
        ("/indikator/kk_gamis/2026-09?versi=²", 400),  # a digit to str.isdigit, not to int
        ("/api/v1/indicators/kk_gamis/periods/2026-09?version=99999999999999999999999", 404),
        ("/admin/pengguna/99999999999999999999999", 404),
        ("/unggah/18446744073709551616", 404),
        ("/dasbor/sanggahan/9223372036854775808/jawab", 404),
    ],
)
def test_the_addresses_seen_in_the_issue(walidata, url, status):
    method = "POST" if url.endswith("/jawab") else "GET"
    assert walidata.open(url, method=method).status_code == status


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        (str(MAX_INT64), MAX_INT64),
        (str(MAX_INT64 + 1), None),
        ("9" * 40, None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1.0", None),
        ("١٢", None),  # Arabic-Indic digits
        ("²", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_int(text, expected):
    assert parse_int(text) == expected


def test_parse_int_bounds():
    assert parse_int("0", minimum=1) is None
    assert parse_int("11", maximum=10) is None
    assert parse_int("10", maximum=10) == 10
