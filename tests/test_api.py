"""The open-data API: its OpenAPI document validates, and every documented operation answers
as documented (schemathesis generates the requests: status codes, content types, bodies)."""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from sqlalchemy.exc import OperationalError

from transparency import published
from transparency.openapi import document

pytestmark = pytest.mark.demo_once


def test_the_openapi_document_validates(client, demo_city):
    served = client.get("/api/v1/openapi.json").get_json()
    validate(served)
    assert served == document("http://localhost/api/v1")
    assert set(served["paths"]) == {
        "/indicators",
        "/areas/{code}",
        "/indicators/{indicator}/periods/{period}",
        "/catalog.jsonld",
        "/openapi.json",
    }


def test_every_api_rule_is_documented(app):
    rules = {
        rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
    }
    assert rules == set(document("")["paths"])


def test_every_documented_operation_answers_as_documented(app, demo_city):
    """Generated requests for every operation (schemathesis strategies driven by Hypothesis;
    its pytest plugin does not run under pytest 9): no 500, documented status codes, content
    types and bodies that match the schemas."""
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in api.get_all_operations()]
    # schemathesis leaves out the document's own path; the test above fetches it.
    assert {op.label for op in operations} == {
        "GET /areas/{code}",
        "GET /catalog.jsonld",
        "GET /indicators",
        "GET /indicators/{indicator}/periods/{period}",
    }
    statuses = set()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            response = case.call()
            case.validate_response(response)
            statuses.add(response.status_code)

        check()
    assert statuses <= {200, 400, 404} and 200 in statuses


def test_documented_examples_answer_with_real_figures(client, demo_city):
    area = client.get("/api/v1/areas/35.78.03.1005").get_json()
    assert area["area"] == {
        "code": "35.78.03.1005",
        "name": "Wonorejo",
        "level": "kelurahan",
        "rts": area["area"]["rts"],
        "households": area["area"]["households"],
        "residents": area["area"]["residents"],
    }
    assert area["parent"] == {"code": "35.78.03", "name": "Rungkut", "level": "kecamatan"}
    assert len(area["children"]) == area["area"]["rts"] // 7 or area["children"]
    figures = {f["indicator"]: f for f in area["figures"]}
    assert figures["kk_total"]["value"] == area["area"]["households"]
    assert figures["kk_total"]["period"] == "2026-09"
    table = client.get("/api/v1/indicators/kk_total/periods/2026-09?level=kelurahan").get_json()
    wonorejo = next(r for r in table["rows"] if r["area"] == "35.78.03.1005")
    assert wonorejo["value"] == area["area"]["households"]
    catalog = client.get("/api/v1/catalog.jsonld")
    assert catalog.mimetype == "application/ld+json"
    datasets = {d["dct:identifier"]: d for d in catalog.get_json()["dcat:dataset"]}
    assert len(datasets) == 12
    gamis = datasets["kk_gamis"]
    assert gamis["dct:publisher"]["foaf:name"] == "Dinas Sosial"
    assert gamis["dct:temporal"]["dcat:startDate"] == "2026-09-01"
    urls = [d.get("dcat:downloadURL") for d in gamis["dcat:distribution"]]
    assert "http://localhost/indikator/kk_gamis/2026-09/data.csv?tingkat=rt" in urls
    for url in filter(None, urls):
        assert client.get(url.removeprefix("http://localhost")).status_code == 200


def _failing(error):
    def fail(*args, **kwargs):
        raise error

    return fail


def test_a_busy_database_answers_the_api_in_json_with_retry_after(client, demo_city, monkeypatch):
    """A harvester reading the API gets a JSON error it can parse, not an HTML page."""
    busy = OperationalError("SELECT max(id) FROM publication", {}, Exception("database is locked"))
    monkeypatch.setattr(published, "get_version", _failing(busy))
    response = client.get("/api/v1/areas/35.78.03.1005")
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.headers["Retry-After"] == "5"
    error = response.get_json()["error"]
    assert error["status"] == 503 and error["message"] == "Service Unavailable"
    assert re.fullmatch(r"[0-9a-f]{12}", error["incident"])
    assert "locked" not in response.text and "SELECT" not in response.text
    # The public pages keep their HTML error page.
    page = client.get("/wilayah/35.78.03.1005")
    assert page.status_code == 503 and page.mimetype == "text/html"


def test_an_unexpected_api_error_is_json_with_an_incident_and_no_detail(
    client, demo_city, monkeypatch
):
    monkeypatch.setattr(published, "get_version", _failing(RuntimeError("secret-detail-4f1c")))
    response = client.get("/api/v1/indicators")
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["status"] == 500 and error["message"] == "Internal Server Error"
    assert re.fullmatch(r"[0-9a-f]{12}", error["incident"])
    assert "secret-detail" not in response.text and "RuntimeError" not in response.text
