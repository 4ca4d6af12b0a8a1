"""The OpenAPI 3 document of the public JSON API (``/api/v1``). Pure: a dict.

``tests/test_api.py`` validates it and calls every documented operation with
schemathesis, checking status codes and response bodies against these schemas.
"""

LEVELS = ["kecamatan", "kelurahan", "rw", "rt"]

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "incident": {
                    "type": "string",
                    "description": "Given with 500 and 503: the number to quote to support.",
                },
            },
        }
    },
}
AREA = {
    "type": "object",
    "required": ["code", "name", "level"],
    "properties": {
        "code": {"type": "string", "example": "35.78.03.1005"},
        "name": {"type": "string"},
        "level": {"type": "string", "enum": ["kota", *LEVELS]},
    },
}
NULLABLE_STRING = {"type": "string", "nullable": True}
FIGURE = {
    "type": "object",
    "description": "A published count. Hidden counts have value null and display = marker.",
    "required": ["area", "indicator", "period", "value", "display", "hidden", "households"],
    "properties": {
        "area": {"type": "string"},
        "indicator": {"type": "string"},
        "period": {"type": "string", "example": "2026-09"},
        "value": {"type": "integer", "minimum": 0, "nullable": True},
        "display": {"type": "string", "description": "the count as text, or the marker"},
        "hidden": {"type": "boolean"},
        "share_of_households_pct": {"type": "number", "nullable": True},
        "households": {"type": "integer", "minimum": 0},
        "rts_without_data": {"type": "integer", "minimum": 0},
        "department": {"type": "string"},
        "received_at": NULLABLE_STRING,
        "published_at": {"type": "string"},
        "publication": {"type": "integer"},
        "correction": {
            "type": "object",
            "nullable": True,
            "properties": {"corrected_at": {"type": "string"}, "reason": {"type": "string"}},
        },
    },
}
ROW = {
    "type": "object",
    "description": "One area's count in a table; its provenance is the table's publication.",
    "required": ["area", "area_name", "value", "display", "hidden", "households"],
    "properties": {
        "area": {"type": "string"},
        "area_name": {"type": "string"},
        "value": {"type": "integer", "minimum": 0, "nullable": True},
        "display": {"type": "string"},
        "hidden": {"type": "boolean"},
        "share_of_households_pct": {"type": "number", "nullable": True},
        "households": {"type": "integer", "minimum": 0},
        "rts_without_data": {"type": "integer", "minimum": 0},
    },
}
PUBLICATION = {
    "type": "object",
    "required": ["id", "current", "department", "published_at"],
    "properties": {
        "id": {"type": "integer"},
        "current": {"type": "boolean", "description": "false for an earlier version"},
        "department": {"type": "string"},
        "received_at": NULLABLE_STRING,
        "published_at": {"type": "string"},
        "correction": FIGURE["properties"]["correction"],
    },
}
INDICATOR = {
    "type": "object",
    "required": ["code", "name", "definition", "unit", "frequency", "department", "periods"],
    "properties": {
        "code": {"type": "string"},
        "name": {
            "type": "object",
            "properties": {"id": {"type": "string"}, "en": {"type": "string"}},
        },
        "definition": {"type": "object"},
        "unit": {"type": "string"},
        "frequency": {"type": "string", "enum": ["monthly", "quarterly", "yearly"]},
        "sensitive": {"type": "boolean"},
        "suppression_k": {"type": "integer", "minimum": 1},
        "per_household": {"type": "boolean"},
        "source": {"type": "string"},
        "department": {"type": "string"},
        "periods": {"type": "array", "items": {"type": "string"}},
    },
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json({"$ref": "#/components/schemas/Error"}, description)


def document(server: str) -> dict:
    """The OpenAPI 3.0 document, with ``server`` (``…/api/v1``) as its base URL."""
    ref = "#/components/schemas/"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Transparansi RT open data API",
            "version": "1.0.0",
            "description": (
                "Published figures per RT of Kota Surabaya and the sums above them. Counts "
                "are protected by disclosure control: a hidden count has value null and "
                "display equal to the marker (see `marker`). No exact figures, no personal data."
            ),
        },
        "servers": [{"url": server}],
        "paths": {
            "/indicators": {
                "get": {
                    "operationId": "listIndicators",
                    "summary": "Every indicator with its metadata and published periods",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["marker", "indicators"],
                                "properties": {
                                    "marker": {"type": "string"},
                                    "indicators": {
                                        "type": "array",
                                        "items": {"$ref": ref + "Indicator"},
                                    },
                                },
                            },
                            "The catalogue",
                        )
                    },
                }
            },
            "/areas/{code}": {
                "get": {
                    "operationId": "getArea",
                    "summary": "One area, its parent, children and latest published figures",
                    "parameters": [
                        {
                            "name": "code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "example": "35.78.03.1005"},
                            "description": "Kemendagri code; RW and RT append 3 digits each",
                        }
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["area", "children", "figures", "marker"],
                                "properties": {
                                    "area": {"$ref": ref + "Area"},
                                    "parent": {
                                        "allOf": [{"$ref": ref + "Area"}],
                                        "nullable": True,
                                    },
                                    "children": {"type": "array", "items": {"$ref": ref + "Area"}},
                                    "marker": {"type": "string"},
                                    "figures": {"type": "array", "items": {"$ref": ref + "Figure"}},
                                },
                            },
                            "The area",
                        ),
                        "404": _error("No area with this code"),
                    },
                }
            },
            "/indicators/{indicator}/periods/{period}": {
                "get": {
                    "operationId": "getTable",
                    "summary": "One published period of an indicator for every area of a level",
                    "parameters": [
                        {
                            "name": "indicator",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "example": "kk_gamis"},
                        },
                        {
                            "name": "period",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "example": "2026-09"},
                        },
                        {
                            "name": "level",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": LEVELS, "default": "kecamatan"},
                        },
                        {
                            "name": "version",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "pattern": "^[0-9]{1,9}$"},
                            "description": "an earlier publication's number (history)",
                        },
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["indicator", "period", "level", "marker", "rows"],
                                "properties": {
                                    "indicator": {"type": "string"},
                                    "period": {"type": "string"},
                                    "level": {"type": "string", "enum": LEVELS},
                                    "marker": {"type": "string"},
                                    "publication": {"$ref": ref + "Publication"},
                                    "rows": {"type": "array", "items": {"$ref": ref + "Row"}},
                                },
                            },
                            "The table",
                        ),
                        "400": _error("A level or version that is not allowed"),
                        "404": _error("No such indicator, or the period is not published"),
                    },
                }
            },
            "/catalog.jsonld": {
                "get": {
                    "operationId": "getCatalog",
                    "summary": "DCAT catalogue of the datasets (JSON-LD)",
                    "responses": {
                        "200": {
                            "description": "dcat:Catalog",
                            "content": {
                                "application/ld+json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["@context", "dcat:dataset"],
                                    }
                                }
                            },
                        }
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "responses": {
                        "200": _json(
                            {"type": "object", "required": ["openapi", "paths"]}, "OpenAPI 3"
                        )
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": ERROR,
                "Area": AREA,
                "Figure": FIGURE,
                "Row": ROW,
                "Publication": PUBLICATION,
                "Indicator": INDICATOR,
            }
        },
    }
