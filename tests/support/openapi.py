"""Official OpenAPI 3 descriptions as JSON Schemas, for the contract tests of every marketplace.

An `OpenAPI` reads one or more documents under specs/ (JSON or YAML; `$ref`s may point into
the same document or, by a relative path, into another file, as in Yandex Market's layout),
finds the operation for a method and a concrete path (literal paths win over templated ones),
and gives the request-body and response schemas as plain JSON Schema: every `$ref` inlined (a
reference back into itself is left open), OpenAPI's `nullable` made a "null" type, examples
and vendor extensions dropped, non-standard `type` values dropped. The schemas are checked
with jsonschema's Draft 4 validator, the dialect OpenAPI 3.0 builds on, unless told otherwise.

What a marketplace's description needs beyond the standard is passed in as `Quirks` by that
marketplace's tests; nothing here knows which marketplace it reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tests.support.specs import SPECS_DIR

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean", "null"})
#: Keywords whose value is a map from names to schemas: the names are kept whatever they are.
_NAMED = frozenset({"properties", "patternProperties", "definitions"})
_DROPPED = frozenset({"example", "examples", "nullable", "description", "xml", "discriminator"})


@dataclass(frozen=True)
class Quirks:
    """What one marketplace's description needs to be read as its real API answers.

    nullable_formats: string formats whose values may also be null (a description whose own
        samples answer an unset moment as null without saying `nullable`).
    extra_properties: component schema name -> fields to add or replace, where the live API
        follows a newer description than the saved one.
    validator: the jsonschema validator class the schemas are checked with.
    """

    nullable_formats: frozenset[str] = frozenset()
    extra_properties: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    validator: type[Any] = jsonschema.Draft4Validator


@dataclass(frozen=True)
class Operation:
    file: Path
    template: str
    method: str
    spec: dict[str, Any]


@cache
def load(path: Path) -> Any:
    """One document, parsed (YAML with libyaml when it is there: some files are large)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")


class OpenAPI:
    """One marketplace's description: `files` are relative to specs/ (each with its own `paths`)."""

    def __init__(self, files: Sequence[str], quirks: Quirks | None = None) -> None:
        self.files = tuple((SPECS_DIR / name).resolve() for name in files)
        self.quirks = quirks or Quirks()
        self._docs: dict[Path, Any] = {}
        self._operations: list[tuple[re.Pattern[str], Operation]] | None = None
        self._schemas: dict[tuple[object, ...], Any] = {}

    # --- documents and references ------------------------------------------------------------

    def document(self, path: Path) -> Any:
        """A document with the quirks' extra properties applied (a copy: the cache stays untouched)."""
        if path not in self._docs:
            doc = load(path)
            extra = self.quirks.extra_properties
            schemas = doc.get("components", {}).get("schemas", {}) if isinstance(doc, dict) else {}
            if extra and any(name in schemas for name in extra):
                doc = json.loads(json.dumps(doc))
                for name, fields in extra.items():
                    if name in doc["components"]["schemas"]:
                        doc["components"]["schemas"][name].setdefault("properties", {}).update(fields)
            self._docs[path] = doc
        return self._docs[path]

    def resolve(self, ref: str, file: Path) -> tuple[Any, Path]:
        """The node a `$ref` written in `file` points at, and the file it is in."""
        target, _, pointer = ref.partition("#")
        path = (file.parent / target).resolve() if target else file
        node = self.document(path)
        for part in filter(None, pointer.split("/")):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, path

    # --- operations ----------------------------------------------------------------------------

    def operations(self) -> list[tuple[re.Pattern[str], Operation]]:
        if self._operations is None:
            found = []
            for file in self.files:
                for template, item in self.document(file).get("paths", {}).items():
                    where = file
                    if "$ref" in item:
                        item, where = self.resolve(item["$ref"], file)
                    for method in METHODS:
                        if isinstance(item.get(method), dict):
                            op = Operation(where, template, method.upper(), item[method])
                            found.append((_pattern(template), op))
            # Literal paths before templated ones, so /api/v3/orders/new never matches /{orderId}.
            found.sort(key=lambda pair: pair[1].template.count("{"))
            self._operations = found
        return self._operations

    def find(self, method: str, path: str) -> Operation | None:
        for pattern, op in self.operations():
            if op.method == method.upper() and pattern.match(path):
                return op
        return None

    def operation(self, method: str, path: str) -> Operation:
        op = self.find(method, path)
        if op is None:
            raise LookupError(f"no operation {method} {path} in {', '.join(f.name for f in self.files)}")
        return op

    # --- schemas -------------------------------------------------------------------------------

    def to_json_schema(self, node: Any, file: Path, seen: frozenset[tuple[Path, str]] = frozenset()) -> Any:
        """An OpenAPI schema (or any node holding schemas) as JSON Schema, references inlined."""
        if isinstance(node, list):
            return [self.to_json_schema(item, file, seen) for item in node]
        if not isinstance(node, dict):
            return node
        if isinstance(node.get("$ref"), str):
            target, where = self.resolve(node["$ref"], file)
            key = (where, node["$ref"].partition("#")[2])
            if key in seen:
                return {}  # a schema that contains itself: the inner level is left open
            return self.to_json_schema(target, where, seen | {key})
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROPPED or (isinstance(key, str) and key.startswith("x-")):
                continue
            if key in _NAMED and isinstance(value, dict):
                out[key] = {name: self.to_json_schema(sub, file, seen) for name, sub in value.items()}
            elif key in ("enum", "required", "default", "const"):
                out[key] = value
            else:
                out[key] = self.to_json_schema(value, file, seen)
        kind = out.get("type")
        if isinstance(kind, str) and kind not in JSON_TYPES:
            del out["type"]  # e.g. "array of strings": not a JSON Schema type
        if node.get("nullable") is True or out.get("format") in self.quirks.nullable_formats:
            kind = out.get("type")
            if isinstance(kind, str):
                out["type"] = [kind, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
            if "type" not in out and node.get("nullable") is True:
                return {"anyOf": [out, {"type": "null"}]}
        return out

    def schema(self, node: Any, file: Path | None = None) -> Any:
        """A node written in `file` (the first file by default) as JSON Schema."""
        return self.to_json_schema(node, file or self.files[0])

    def _content(self, holder: Any, file: Path) -> dict[str, dict[str, Any] | None]:
        """Media type -> JSON Schema of a request body or response (None: a media type without one)."""
        if isinstance(holder, dict) and "$ref" in holder:
            holder, file = self.resolve(holder["$ref"], file)
        content = holder.get("content") if isinstance(holder, dict) else None
        return {
            media: self.to_json_schema(body["schema"], file)
            if isinstance(body, dict) and "schema" in body
            else None
            for media, body in (content or {}).items()
        }

    def request_content(self, op: Operation) -> dict[str, dict[str, Any] | None] | None:
        """The request body's media types and schemas; None when the operation takes no body."""
        key = (op.file, op.template, op.method, "request")
        if key not in self._schemas:
            body = op.spec.get("requestBody")
            self._schemas[key] = self._content(body, op.file) if body else None
        result: dict[str, dict[str, Any] | None] | None = self._schemas[key]
        return result

    def response_content(self, op: Operation, status: int) -> dict[str, dict[str, Any] | None] | None:
        """The answer `status`'s media types and schemas ({} with no body); None when undeclared.

        `default` stands for the error statuses an operation does not list.
        """
        key = (op.file, op.template, op.method, status)
        if key not in self._schemas:
            responses = op.spec.get("responses") or {}
            holder = responses.get(str(status)) or responses.get(status)
            if holder is None and status >= 400:
                holder = responses.get("default")
            self._schemas[key] = None if holder is None else self._content(holder, op.file)
        result: dict[str, dict[str, Any] | None] | None = self._schemas[key]
        return result

    def request_schema(self, op: Operation) -> dict[str, Any] | None:
        """The JSON request body's schema, or None."""
        return _json(self.request_content(op) or {})

    def response_schema(self, op: Operation, status: int) -> dict[str, Any] | None:
        """The JSON body's schema of the answer `status`, or None; the status must be declared."""
        content = self.response_content(op, status)
        if content is None:
            raise AssertionError(f"{op.method} {op.template}: the spec lists no {status} response")
        return _json(content)

    def required_query(self, op: Operation) -> set[str]:
        """Names of the query parameters the operation requires."""
        names = set()
        for param in op.spec.get("parameters") or []:
            param = self.to_json_schema(param, op.file)
            if param.get("in") == "query" and param.get("required"):
                names.add(param["name"])
        return names

    # --- checks --------------------------------------------------------------------------------

    def errors_in(self, instance: Any, schema: dict[str, Any]) -> list[str]:
        """What in `instance` does not match `schema`, one line each."""
        validator = self.quirks.validator(schema)
        return [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
        ]

    def validate(self, instance: Any, schema: dict[str, Any], where: str) -> None:
        """Fail the test when `instance` does not match `schema`."""
        errors = self.errors_in(instance, schema)
        if errors:
            raise AssertionError(f"{where} does not match the spec: {'; '.join(errors[:5])}")

    def check_journal(self, journal: Iterable[dict[str, Any]]) -> int:
        """Check every journalled answer whose status the spec describes; returns how many were checked."""
        checked = 0
        for entry in journal:
            if "response" not in entry or "status" not in entry:
                continue
            op = self.find(entry["method"], entry["path"])
            if op is None or str(entry["status"]) not in (op.spec.get("responses") or {}):
                continue
            schema = self.response_schema(op, entry["status"])
            if schema is not None:
                where = f"answer {entry['status']} to {entry['method']} {entry['path']}"
                self.validate(entry["response"], schema, where)
                checked += 1
        return checked


def _json(content: Mapping[str, dict[str, Any] | None]) -> dict[str, Any] | None:
    for media, schema in content.items():
        if "json" in media and schema is not None:
            return dict(schema)
    return None


def _merged(schema: dict[str, Any]) -> dict[str, Any]:
    if "allOf" in schema:
        properties: dict[str, Any] = {}
        for part in schema["allOf"]:
            properties.update(_merged(part).get("properties", {}))
        return {"properties": properties}
    return schema


def unknown_fields(instance: Any, schema: dict[str, Any], at: str = "") -> list[str]:
    """Field names in `instance` that the schema does not declare (a description allows extra ones silently).

    A field the schema requires without declaring it is not reported.
    """
    schema = _merged(schema)
    found: list[str] = []
    if isinstance(instance, dict) and "properties" in schema:
        props = schema["properties"]
        required = set(schema.get("required", []))
        for key, value in instance.items():
            if key in required and key not in props:
                continue
            if key not in props:
                found.append(f"{at}/{key}")
            else:
                found.extend(unknown_fields(value, props[key], f"{at}/{key}"))
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for value in instance[:3]:
            found.extend(unknown_fields(value, schema["items"], f"{at}[]"))
    return found
