"""The official Partner API description the contract tests check against (specs/yandex-market).

The description is many files joined by relative `$ref`s, with the 2026-08 overlay (the v3
stock and warehouse methods) copied over it; tests/support/openapi.py reads it as it is,
with Draft 4 validation and no quirks. `journal_problems` is the strict check: every
journalled request must be a described operation, its body must match the request schema,
and its answer must have a declared status, match that status's schema and carry no
undeclared field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tests.support.openapi import OpenAPI, unknown_fields

SPEC = OpenAPI(("yandex-market/openapi/openapi.yaml",))


def _entry_problems(entry: dict[str, Any]) -> list[str]:
    where = f"{entry['method']} {entry['path']} -> {entry['status']}"
    op = SPEC.find(entry["method"], entry["path"])
    if op is None:
        return [f"{where}: no such operation in the description"]
    problems: list[str] = []
    request = SPEC.request_schema(op)
    if request is not None and entry.get("body") is not None and entry["status"] < 400:
        problems += [f"{where}: request {e}" for e in SPEC.errors_in(entry["body"], request)]
    if str(entry["status"]) not in (op.spec.get("responses") or {}):
        return [*problems, f"{where}: the description lists no {entry['status']} answer"]
    schema = SPEC.response_schema(op, entry["status"])
    if schema is not None and "response" in entry:
        problems += [f"{where}: {e}" for e in SPEC.errors_in(entry["response"], schema)]
        problems += [f"{where}: undeclared field {f}" for f in unknown_fields(entry["response"], schema)]
    return problems


def journal_problems(journal: Iterable[dict[str, Any]]) -> tuple[list[str], set[tuple[str, str]]]:
    """Every way the journalled requests and answers stray from the description, and the
    operations (method, template) that were checked."""
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for entry in journal:
        if "status" not in entry:
            continue
        problems += _entry_problems(entry)
        op = SPEC.find(entry["method"], entry["path"])
        if op is not None:
            seen.add((op.method, op.template))
    return problems, seen
