"""The OpenAPI 3.1 document for /api/v1, built from the same input models and shapes the API uses."""

from flask import Blueprint, jsonify

from models.actions.inputs import ActionIn
from models.core.paging import MAX_SEARCH
from models.core.types import MAX_ID
from models.drills.inputs import DrillIn
from models.findings.inputs import FindingIn
from views.api.schemas import ACTION_STATUSES, SHAPES
from views.support.access import public

bp = Blueprint("openapi", __name__)

PROBLEM = {"$ref": "#/components/responses/Problem"}


def _schema(model, components: dict, mode: str, extra: dict | None = None) -> dict:
    """A model's JSON Schema as pydantic writes it; the enums and models it refers to go into `components`."""
    schema = model.model_json_schema(mode=mode, ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    schema["properties"].update(extra or {})
    schema["additionalProperties"] = False
    return schema


def _list(component: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "total", "limit", "offset"],
        "additionalProperties": False,
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{component}"}},
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
    }


def _ok(schema: dict, status: str = "200", description: str = "OK") -> dict:
    return {
        status: {"description": description, "content": {"application/json": {"schema": schema}}},
        **dict.fromkeys(("400", "401", "403", "404", "409", "413", "422"), PROBLEM),
    }


def _ref(component: str) -> dict:
    return {"$ref": f"#/components/schemas/{component}"}


def _oscal(model: str) -> dict:
    """An OSCAL document: its full schema is NIST's; here, its root member."""
    return {"type": "object", "required": [model], "properties": {model: {"type": "object"}}}


def _id(name: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
]
#: lists other than systems take ?q=, matched case-insensitively anywhere in their main text fields
SEARCH = {
    "name": "q",
    "in": "query",
    "description": "Text to look for: drills by title, scenario or site; findings and actions by title or "
    "description; controls by code or title; evidence by file name, description or SHA-256.",
    "schema": {"type": "string", "maxLength": MAX_SEARCH},
}


def _json_body(component: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(component)}}}


def document() -> dict:
    """The whole document; tests check every route is in it and schemathesis checks it against the implementation."""
    lists = {
        name: {
            "get": {
                "summary": f"List {name[1:]}",
                "parameters": PAGING + ([] if name == "/systems" else [SEARCH]),
                "responses": _ok(_list(component)),
            }
        }
        for name, component in (
            ("/drills", "DrillSummary"),
            ("/systems", "SystemPublic"),
            ("/findings", "FindingPublic"),
            ("/actions", "ActionPublic"),
            ("/controls", "ControlPublic"),
            ("/evidence", "EvidencePublic"),
        )
    }
    lists["/actions"]["get"]["parameters"] += [
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["outstanding", *ACTION_STATUSES]}}
    ]
    lists["/drills"]["post"] = {
        "summary": "Create a drill",
        "requestBody": _json_body("DrillIn"),
        "responses": _ok(_ref("DrillPublic"), "201", "Created"),
    }
    lists["/findings"]["post"] = {
        "summary": "Create a finding",
        "requestBody": _json_body("FindingIn"),
        "responses": _ok(_ref("FindingPublic"), "201", "Created"),
    }
    lists["/actions"]["post"] = {
        "summary": "Create an action",
        "requestBody": _json_body("ActionIn"),
        "responses": _ok(_ref("ActionPublic"), "201", "Created"),
    }
    lists["/evidence"]["post"] = {
        "summary": "Upload one evidence file as the request body",
        "parameters": [
            {"name": name, "in": "query", "schema": schema}
            for name, schema in (
                ("filename", {"type": "string", "maxLength": 255}),
                ("description", {"type": "string"}),
                ("collected_on", {"type": "string", "format": "date"}),
                ("valid_until", {"type": "string", "format": "date"}),
                ("drill_id", {"type": "integer", "minimum": 1}),
                ("finding_id", {"type": "integer", "minimum": 1}),
                ("action_id", {"type": "integer", "minimum": 1}),
                ("controls", {"type": "string", "maxLength": 2000}),
            )
        ],
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        },
        "responses": _ok(_ref("EvidencePublic"), "201", "Stored"),
    }
    finish = {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"outcome": {"type": "string", "enum": ["success", "issues", "failed"]}},
                }
            }
        },
    }
    move_body = {
        "required": False,
        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": {"type": "string"}}}},
    }
    stamped = _ref("StampedStep")
    paths = {
        **lists,
        "/drills/{drill_id}": {
            "get": {
                "summary": "A drill with its steps and outages",
                "parameters": [_id("drill_id")],
                "responses": _ok(_ref("DrillPublic")),
            }
        },
        "/drills/{drill_id}/steps/{step_id}/start": {
            "post": {
                "summary": "Stamp a step's start",
                "parameters": [_id("drill_id"), _id("step_id")],
                "responses": _ok(stamped),
            }
        },
        "/drills/{drill_id}/steps/{step_id}/finish": {
            "post": {
                "summary": "Stamp a step's end",
                "parameters": [_id("drill_id"), _id("step_id")],
                "requestBody": finish,
                "responses": _ok(stamped),
            }
        },
        "/drills/{drill_id}/systems/{system_id}/{state}": {
            "post": {
                "summary": "Mark a system down or degraded (opens an outage) or up (closes it)",
                "parameters": [
                    _id("drill_id"),
                    _id("system_id"),
                    {
                        "name": "state",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": ["down", "degraded", "up"]},
                    },
                ],
                "responses": _ok(
                    {
                        "type": "object",
                        "required": ["system_id", "state", "changed", "outage"],
                        "additionalProperties": False,
                        "properties": {
                            "system_id": {"type": "integer"},
                            "state": {"type": "string"},
                            "changed": {"type": "boolean"},
                            "outage": {"anyOf": [_ref("OutagePublic"), {"type": "null"}]},
                        },
                    }
                ),
            }
        },
        "/drills/{drill_id}/oscal/assessment-results": {
            "get": {
                "summary": "The drill revision as OSCAL 1.1 assessment results (a signed one from its signed content)",
                "parameters": [_id("drill_id")],
                "responses": _ok(_oscal("assessment-results")),
            }
        },
        "/actions/oscal/poam": {
            "get": {
                "summary": "Follow-up actions as an OSCAL 1.1 plan of action and milestones",
                "parameters": [
                    {"name": "drill", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
                ],
                "responses": _ok(_oscal("plan-of-action-and-milestones")),
            }
        },
        "/findings/{finding_id}": {
            "get": {"summary": "A finding", "parameters": [_id("finding_id")], "responses": _ok(_ref("FindingPublic"))}
        },
        "/actions/{action_id}": {
            "get": {"summary": "An action", "parameters": [_id("action_id")], "responses": _ok(_ref("ActionPublic"))}
        },
        "/actions/{action_id}/{move}": {
            "post": {
                "summary": "Move an action on: start, complete (completion_note), verify (result, method, notes...) or cancel (cancelled_reason)",
                "parameters": [
                    _id("action_id"),
                    {
                        "name": "move",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": ["start", "complete", "verify", "cancel"]},
                    },
                ],
                "requestBody": move_body,
                "responses": _ok(_ref("ActionPublic")),
            }
        },
        "/controls/{code}": {
            "get": {
                "summary": "A control by code, e.g. A.5.30",
                "parameters": [
                    {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 16}}
                ],
                "responses": _ok(_ref("ControlPublic")),
            }
        },
        "/evidence/{evidence_id}": {
            "get": {
                "summary": "Evidence metadata",
                "parameters": [_id("evidence_id")],
                "responses": _ok(_ref("EvidencePublic")),
            }
        },
    }
    schemas: dict = {}
    schemas.update({name: _schema(model, schemas, "serialization") for name, model in SHAPES.items()})
    schemas.update(
        {
            "DrillIn": _schema(
                DrillIn,
                schemas,
                "validation",
                {
                    "system_ids": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
                    "controls": {"type": "string"},
                },
            ),
            "FindingIn": _schema(
                FindingIn,
                schemas,
                "validation",
                {"drill_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID}},
            ),
            "ActionIn": _schema(ActionIn, schemas, "validation", {"controls": {"type": "string"}}),
            "Problem": {
                "type": "object",
                "required": ["type", "title", "status", "detail"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "errors": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        }
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Drillbook API",
            "version": "1",
            "description": "Drills, steps, outages, findings, actions, controls and evidence. Authenticate with a personal "
            "access token from Your account: `Authorization: Bearer dbk_...`. Times carry their UTC offset.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"token": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "A personal access token"}
            },
            "schemas": schemas,
            "responses": {
                "Problem": {
                    "description": "RFC 9457 problem details",
                    "content": {"application/problem+json": {"schema": _ref("Problem")}},
                }
            },
        },
    }


@bp.get("/api/v1/openapi.json")
@public
def openapi_json():
    """The API's description; public, as it holds no data."""
    return jsonify(document())
