"""The Ozon Seller API description the contract tests check against: specs/ozon/swagger.json.

The swagger is read by tests/support/openapi.py with Ozon's quirks: null allowed for
date-times (the spec's own examples give unset moments as null), Draft 7 validation, and the
fields where the newer Ozon schema differs from the saved file. Every method is found by its
path alone (POST, else GET). Methods that only the newer Ozon schema has are described by
DERIVED schemas below, written from the specs README and the newer schema's pages (they are
not in swagger.json; marked as such).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema

from tests.support import openapi
from tests.support.openapi import OpenAPI, Operation, Quirks

#: Where the newer Ozon schema differs from the saved swagger.json and the sandbox follows the newer
#: one (a maintained third-party client of the live API reads it so): a posting of the /v3 lists has
#: `shipment_date_without_delay`, and its `tariffication` is one object (the saved file: an array).
NEWER_SCHEMA_OVERRIDES: dict[str, dict[str, Any]] = {
    "v3FbsPosting": {
        "shipment_date_without_delay": {"type": ["string", "null"], "format": "date-time"},
        "tariffication": {"$ref": "#/components/schemas/v3FbsTariffication"},
    }
}

SPEC = OpenAPI(
    ("ozon/swagger.json",),
    Quirks(
        nullable_formats=frozenset({"date-time"}),
        extra_properties=NEWER_SCHEMA_OVERRIDES,
        validator=jsonschema.Draft7Validator,
    ),
)


def operation(path: str) -> Operation | None:
    return SPEC.find("POST", path) or SPEC.find("GET", path)


def component(name: str) -> dict[str, Any]:
    """A schema of the swagger's components, as JSON Schema."""
    schema: dict[str, Any] = SPEC.schema({"$ref": f"#/components/schemas/{name}"})
    return schema


@cache
def request_schema(path: str) -> dict[str, Any] | None:
    if path in DERIVED_REQUESTS:
        return DERIVED_REQUESTS[path]
    op = operation(path)
    if op is None:
        return None
    schema = (SPEC.request_content(op) or {}).get("application/json")
    if schema is None:
        return {"type": "object", "maxProperties": 0}  # the method takes no parameters
    return schema


@cache
def response_schema(path: str, status: int) -> tuple[str, dict[str, Any]] | None:
    """(content type, schema) the spec gives for `status` (or `default`)."""
    if path in DERIVED_RESPONSES and status == 200:
        return "application/json", DERIVED_RESPONSES[path]
    op = operation(path)
    if op is None:
        return None
    content = SPEC.response_content(op, status)
    if content is None and status >= 400:
        return "application/json", component("rpcStatus")
    if content is None:
        return None
    if not content:
        return "", {}  # an answer without a body
    content_type, schema = next(iter(content.items()))
    return content_type, schema or {}


def errors_in(instance: Any, schema: dict[str, Any]) -> list[str]:
    return SPEC.errors_in(instance, schema)


def unknown_fields(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Field names in `instance` that the schema does not declare (the spec allows extra ones silently).

    Derived response schemas describe only the fields the connector relies on, so they are skipped.
    """
    if any(schema is s for s in DERIVED_RESPONSES.values()):
        return []
    return openapi.unknown_fields(instance, schema)


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
