"""The official Wildberries OpenAPI files as JSON Schemas, for the contract tests.

Operations are found by method and path; their request and response schemas are turned
into plain JSON Schema (local $refs inlined, OpenAPI's `nullable` made a "null" type) and
checked with jsonschema's Draft 4 validator, the dialect OpenAPI 3.0 builds on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema
import yaml

from tests.support.specs import SPECS_DIR

SPEC_FILES = (
    "wildberries/01-general.yaml",
    "wildberries/02-products.yaml",
    "wildberries/03-orders-fbs.yaml",
    "wildberries/09-communications.yaml",
)


@cache
def load_yaml(relative: str) -> Any:
    """A spec file, parsed with libyaml when it is there (the files are large)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((SPECS_DIR / relative).read_text(encoding="utf-8"), Loader=loader)


@dataclass(frozen=True)
class Operation:
    file: str
    template: str
    method: str
    spec: dict[str, Any]


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$")


@cache
def _operations() -> tuple[tuple[re.Pattern[str], Operation], ...]:
    out = []
    for name in SPEC_FILES:
        doc = load_yaml(name)
        for template, item in doc["paths"].items():
            for method, spec in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    out.append((_pattern(template), Operation(name, template, method.upper(), spec)))
    # Literal paths before templated ones, so /api/v3/orders/new never matches /{orderId}.
    out.sort(key=lambda pair: pair[1].template.count("{"))
    return tuple(out)


def operation(method: str, path: str) -> Operation:
    for pattern, op in _operations():
        if op.method == method.upper() and pattern.match(path):
            return op
    raise LookupError(f"no operation {method} {path} in the Wildberries specs")


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def to_json_schema(doc: dict[str, Any], node: Any, depth: int = 0) -> Any:
    if depth > 40:
        return {}
    if isinstance(node, list):
        return [to_json_schema(doc, n, depth + 1) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return to_json_schema(doc, _resolve(doc, node["$ref"]), depth + 1)
    out = {
        k: to_json_schema(doc, v, depth + 1)
        for k, v in node.items()
        if k not in ("example", "examples", "nullable") and not k.startswith("x-")
    }
    if node.get("nullable"):
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "type" not in out:
            return {"anyOf": [out, {"type": "null"}]}
    return out


def _content_schema(doc: dict[str, Any], holder: Any) -> dict[str, Any] | None:
    holder = to_json_schema(doc, holder) if isinstance(holder, dict) else holder
    if not isinstance(holder, dict):
        return None
    for media, body in (holder.get("content") or {}).items():
        if "json" in media and isinstance(body, dict) and "schema" in body:
            return dict(body["schema"])
    return None


_SCHEMAS: dict[tuple[str, str, str, object], dict[str, Any] | None] = {}


def response_schema(op: Operation, status: int) -> dict[str, Any] | None:
    key = (op.file, op.template, op.method, status)
    if key not in _SCHEMAS:
        _SCHEMAS[key] = _response_schema(op, status)
    return _SCHEMAS[key]


def _response_schema(op: Operation, status: int) -> dict[str, Any] | None:
    responses = op.spec.get("responses") or {}
    holder = responses.get(str(status)) or responses.get(status)
    if holder is None:
        raise AssertionError(f"{op.method} {op.template}: the spec lists no {status} response")
    return _content_schema(load_yaml(op.file), holder)


def request_schema(op: Operation) -> dict[str, Any] | None:
    key = (op.file, op.template, op.method, "request")
    if key not in _SCHEMAS:
        body = op.spec.get("requestBody")
        _SCHEMAS[key] = _content_schema(load_yaml(op.file), body) if body else None
    return _SCHEMAS[key]


def required_query(op: Operation) -> set[str]:
    doc = load_yaml(op.file)
    names = set()
    for param in op.spec.get("parameters") or []:
        param = to_json_schema(doc, param)
        if param.get("in") == "query" and param.get("required"):
            names.add(param["name"])
    return names


def validate(instance: Any, schema: dict[str, Any], where: str) -> None:
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        detail = "; ".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:5])
        raise AssertionError(f"{where} does not match the spec: {detail}")


def check_journal(journal: list[dict[str, Any]]) -> int:
    """Check every journalled answer whose status the spec describes; returns how many were checked."""
    checked = 0
    for entry in journal:
        if "response" not in entry or "status" not in entry:
            continue
        try:
            op = operation(entry["method"], entry["path"])
        except LookupError:
            continue
        if str(entry["status"]) not in (op.spec.get("responses") or {}):
            continue
        schema = response_schema(op, entry["status"])
        if schema is not None:
            validate(
                entry["response"], schema, f"answer {entry['status']} to {entry['method']} {entry['path']}"
            )
            checked += 1
    return checked
