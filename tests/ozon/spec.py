"""JSON Schemas for the Ozon Seller API, taken from specs/ozon/swagger.json.

The swagger is OpenAPI 3.0: its schemas are turned into JSON Schema (nullable -> null
allowed, and null allowed for date-times, which the spec's own examples give as null when
unset; a few non-standard `type` values such as "array of strings" dropped). Methods that
only the newer Ozon schema has are described by DERIVED schemas below, written from the
specs README and the newer schema's pages (they are not in swagger.json; marked as such).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import jsonschema

from tests.support.specs import load_json

VALID_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}


def _sanitize(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema (a `properties` map keeps every field name)."""
    if isinstance(node, list):
        return [_sanitize(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("example", "examples", "description"):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _sanitize(sub) for name, sub in value.items()}
        else:
            out[key] = _sanitize(value)
    kind = out.get("type")
    if isinstance(kind, str) and kind not in VALID_TYPES:
        del out["type"]
    nullable = out.pop("nullable", False) or out.get("format") == "date-time"
    if nullable and isinstance(out.get("type"), str):
        # The spec's own examples answer unset moments as null (e.g. delivering_date in /v3/posting/fbs/get)
        out["type"] = [out["type"], "null"]
    return out


@lru_cache(maxsize=1)
def swagger() -> dict[str, Any]:
    doc: dict[str, Any] = load_json("ozon/swagger.json")
    return doc


@lru_cache(maxsize=1)
def components() -> dict[str, Any]:
    schemas = _sanitize(copy.deepcopy(swagger()["components"]["schemas"]))
    for name, fields in NEWER_SCHEMA_OVERRIDES.items():
        schemas[name]["properties"].update(fields)
    return {"schemas": schemas}


#: Where the newer Ozon schema differs from the saved swagger.json and the sandbox follows the newer
#: one (a maintained third-party client of the live API reads it so): a posting of the /v3 lists has
#: `shipment_date_without_delay`, and its `tariffication` is one object (the saved file: an array).
NEWER_SCHEMA_OVERRIDES: dict[str, dict[str, Any]] = {
    "v3FbsPosting": {
        "shipment_date_without_delay": {"type": ["string", "null"], "format": "date-time"},
        "tariffication": {"$ref": "#/components/schemas/v3FbsTariffication"},
    }
}


def operation(path: str) -> dict[str, Any] | None:
    item = swagger()["paths"].get(path)
    if not item:
        return None
    op: dict[str, Any] = item.get("post") or item.get("get")
    return op


def _with_components(schema: dict[str, Any]) -> dict[str, Any]:
    return {**_sanitize(copy.deepcopy(schema)), "components": components()}


def request_schema(path: str) -> dict[str, Any] | None:
    if path in DERIVED_REQUESTS:
        return DERIVED_REQUESTS[path]
    op = operation(path)
    if op is None:
        return None
    content = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    if "schema" not in content:
        return {"type": "object", "maxProperties": 0}  # the method takes no parameters
    return _with_components(content["schema"])


def response_schema(path: str, status: int) -> tuple[str, dict[str, Any]] | None:
    """(content type, schema) the spec gives for `status` (or `default`)."""
    if path in DERIVED_RESPONSES and status == 200:
        return "application/json", DERIVED_RESPONSES[path]
    op = operation(path)
    if op is None:
        return None
    responses = op.get("responses", {})
    entry = responses.get(str(status)) or (responses.get("default") if status >= 400 else None)
    if entry is None and status >= 400:
        return "application/json", _with_components({"$ref": "#/components/schemas/rpcStatus"})
    if not entry:
        return None
    if not entry.get("content"):
        return "", {}  # an answer without a body
    content_type, content = next(iter(entry["content"].items()))
    return content_type, _with_components(content.get("schema", {}))


def errors_in(instance: Any, schema: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(instance)
    ]


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 20:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = root["components"]["schemas"][name]
        seen += 1
    if "allOf" in schema:
        merged: dict[str, Any] = {"properties": {}}
        for part in schema["allOf"]:
            merged["properties"].update(_resolve(part, root).get("properties", {}))
        return merged
    return schema


def unknown_fields(
    instance: Any, schema: dict[str, Any], root: dict[str, Any] | None = None, at: str = ""
) -> list[str]:
    """Field names in `instance` that the schema does not declare (the spec allows extra ones silently).

    Derived response schemas describe only the fields the connector relies on, so they are skipped.
    """
    if root is None and any(schema is s for s in DERIVED_RESPONSES.values()):
        return []
    root = root or schema
    schema = _resolve(schema, root)
    found: list[str] = []
    if isinstance(instance, dict) and "properties" in schema:
        props = schema["properties"]
        required = set(schema.get("required", []))  # the spec requires some fields it does not declare
        for key, value in instance.items():
            if key in required and key not in props:
                continue
            if key not in props:
                found.append(f"{at}/{key}")
            else:
                found.extend(unknown_fields(value, props[key], root, f"{at}/{key}"))
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for value in instance[:3]:
            found.extend(unknown_fields(value, schema["items"], root, f"{at}[]"))
    return found


# --- DERIVED schemas: methods of the newer Ozon schema (not in swagger.json) ---------------------
# Written from specs/README.md ("Pagination styles", "FBS flow") and the newer schema's pages for
# PostingFbsList / PostingFbsUnfulfilledList / PostingFbsPackageLabelCreate / PostingFbsPackageLabelGet.

_DATE = {"type": ["string", "null"], "format": "date-time"}
_INTS = {"type": "array", "items": {"type": "integer"}}
_STRS = {"type": "array", "items": {"type": "string"}}
_WITH = {
    "type": "object",
    "properties": {
        k: {"type": "boolean"}
        for k in ("analytics_data", "barcodes", "financial_data", "legal_info", "translit")
    },
}
_RANGE = {"type": "object", "properties": {"from": _DATE, "to": _DATE}}
_V4_LIST_REQUEST = {
    "type": "object",
    "required": ["limit"],
    "properties": {
        "cursor": {"type": "string"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
        "sort_dir": {"type": "string", "enum": ["asc", "desc", "ASC", "DESC"]},
        "with": _WITH,
        "filter": {
            "type": "object",
            "properties": {
                "since": _DATE,
                "to": _DATE,
                "cutoff_from": _DATE,
                "cutoff_to": _DATE,
                "statuses": _STRS,
                "warehouse_ids": _INTS,
                "delivery_method_ids": _INTS,
                "provider_ids": _INTS,
                "order_id": {"type": "integer"},
                "order_numbers": _STRS,
                "integration_type_flow": _STRS,
                "is_blr_traceable": {"type": "boolean"},
                "last_changed_status_date": _RANGE,
                "last_change_status_date": _RANGE,
            },
        },
    },
}
_V4_POSTING = {
    "type": "object",
    "required": [
        "posting_number",
        "order_id",
        "order_number",
        "status",
        "substatus",
        "in_process_at",
        "products",
    ],
    "properties": {
        "posting_number": {"type": "string"},
        "order_id": {"type": "integer"},
        "order_number": {"type": "string"},
        "parent_posting_number": {"type": "string"},
        "status": {"type": "string"},
        "substatus": {"type": "string"},
        "in_process_at": _DATE,
        "shipment_date": _DATE,
        "delivering_date": _DATE,
        "delivery_method": {
            "type": "object",
            "required": ["id", "warehouse_id"],
            "properties": {
                "id": {"type": "integer"},
                "warehouse_id": {"type": "integer"},
                "name": {"type": "string"},
            },
        },
        "products": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["sku", "offer_id", "quantity", "price"],
                "properties": {
                    "sku": {"type": "integer"},
                    "offer_id": {"type": "string"},
                    "name": {"type": "string"},
                    "quantity": {"type": "integer", "minimum": 1},
                    "price": {
                        "type": "object",
                        "required": ["amount", "currency"],
                        "properties": {"amount": {"type": "string"}, "currency": {"type": "string"}},
                    },
                },
            },
        },
        "requirements": {
            "type": "object",
            "properties": {"products_requiring_mandatory_mark": _STRS},
        },
    },
}
_V4_LIST_RESPONSE = {
    "type": "object",
    "required": ["postings", "has_next", "cursor"],
    "properties": {
        "postings": {"type": "array", "items": _V4_POSTING},
        "has_next": {"type": "boolean"},
        "cursor": {"type": "string"},
        "count": {"type": "integer"},
    },
}
DERIVED_REQUESTS: dict[str, dict[str, Any]] = {
    "/v4/posting/fbs/list": _V4_LIST_REQUEST,
    "/v4/posting/fbs/unfulfilled/list": _V4_LIST_REQUEST,
    "/v3/posting/fbs/package-label/create": {
        "type": "object",
        "required": ["posting_numbers"],
        "properties": {"posting_numbers": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
    },
    "/v2/posting/fbs/package-label/get": {
        "type": "object",
        "required": ["task_id"],
        "properties": {"task_id": {"type": "integer"}},
    },
}
DERIVED_RESPONSES: dict[str, dict[str, Any]] = {
    "/v4/posting/fbs/list": _V4_LIST_RESPONSE,
    "/v4/posting/fbs/unfulfilled/list": {
        **_V4_LIST_RESPONSE,
        "required": ["postings", "has_next", "cursor", "count"],
    },
    "/v3/posting/fbs/package-label/create": {
        "type": "object",
        "required": ["tasks"],
        "properties": {
            "tasks": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["task_id", "task_type"],
                    "properties": {
                        "task_id": {"type": "integer"},
                        "task_type": {"type": "string", "enum": ["big_label", "small_label"]},
                    },
                },
            }
        },
    },
    "/v2/posting/fbs/package-label/get": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "file_url": {"type": "string"},
            "status": {
                "type": "object",
                "required": ["code"],
                "properties": {
                    "code": {"type": "string", "enum": ["pending", "in_progress", "completed", "error"]},
                    "postings_count": {"type": "integer"},
                    "printed_postings_count": {"type": "integer"},
                    "unprinted_postings": {"type": "array"},
                },
            },
            "error": {"type": "object"},
        },
    },
}
