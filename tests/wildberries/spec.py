"""The official Wildberries OpenAPI files the contract tests check against (specs/wildberries).

The files are read by tests/support/openapi.py as they are: Wildberries needs no quirks.
`check_journal` is the strict check run after every test that uses the `sandbox` fixture:
an answer on a path or with a status the spec does not describe is a failure, and so is a
field the spec does not declare (Draft 4 schemas let those through silently).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tests.support.openapi import OpenAPI, unknown_fields

#: The sections the sandbox serves: general (auth, ping), products, FBS orders, communications.
SPEC = OpenAPI(
    (
        "wildberries/01-general.yaml",
        "wildberries/02-products.yaml",
        "wildberries/03-orders-fbs.yaml",
        "wildberries/09-communications.yaml",
    )
)


def journal_problems(journal: Iterable[dict[str, Any]]) -> tuple[list[str], int]:
    """Every way the journalled answers stray from the spec, and how many bodies were checked."""
    problems: list[str] = []
    checked = 0
    for entry in journal:
        if "status" not in entry:
            continue
        where = f"{entry['method']} {entry['path']} -> {entry['status']}"
        op = SPEC.find(entry["method"], entry["path"])
        if op is None:
            problems.append(f"{where}: no such operation in the spec")
            continue
        try:
            schema = SPEC.response_schema(op, entry["status"])
        except AssertionError as exc:
            problems.append(str(exc))
            continue
        if schema is None or "response" not in entry:
            continue
        problems += [f"{where}: {e}" for e in SPEC.errors_in(entry["response"], schema)]
        problems += [f"{where}: undeclared field {f}" for f in unknown_fields(entry["response"], schema)]
        checked += 1
    return problems, checked


def check_journal(journal: list[dict[str, Any]]) -> int:
    """Fail on any answer that strays from the spec; returns how many bodies were checked."""
    problems, checked = journal_problems(journal)
    assert not problems, "answers not as the spec says:\n" + "\n".join(problems[:20])
    with_body = [e for e in journal if "response" in e]
    assert not with_body or checked, "answers with bodies, none checked against a schema"
    return checked
