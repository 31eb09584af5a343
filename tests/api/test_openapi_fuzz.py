"""Schemathesis over the whole OpenAPI document of the seller API, against a real server on loopback
with a real key: no 5xx, and every response matches its declared status, content type and schema.

Two passes: one with generated ids (mostly unknown objects), one with the ids of real objects of
the caller, so that handlers run to the end (their connection is bound to a real sandbox)."""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from marketbridge.channels import registry
from marketbridge.store.db import Database
from tests.api.conftest import ApiEnv, make_hub
from tests.api.seed import seed_account
from tests.support.servers import ThreadedServer

MAX_EXAMPLES = 6  # the work is bounded by size: examples per operation, not by a clock
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

#: With real ids these would destroy the objects the rest of the pass needs, or point the
#: connection at generated (non-loopback) URLs; the first pass covers them with generated ids.
NOT_WITH_REAL_IDS = {("DELETE", None), ("PATCH", "/api/v1/connections/{connection_id}")}


def _fuzz(base_url: str, key: str, known: dict[str, Any] | None) -> tuple[int, list[str]]:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    headers = {"Authorization": f"Bearer {key}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        method = operation.method.upper()
        if operation.path.startswith(("/push/", "/operator/")):
            continue  # not behind the seller's key; tested on their own
        params = [p.name for p in operation.path_parameters]
        if known is not None:
            if (
                not params
                or (method, None) in NOT_WITH_REAL_IDS
                or (method, operation.path) in NOT_WITH_REAL_IDS
            ):
                continue
            strategy = operation.as_strategy(path_parameters={p: known[p] for p in params})
        else:
            strategy = operation.as_strategy()
        operations += 1

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            case.headers = {**(case.headers or {}), **headers}
            response = case.call(base_url=base_url, timeout=30)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Exception as exc:
            failures.append(f"{method} {operation.path}: {exc}"[:3000])
    return operations, failures


async def test_no_server_errors_and_no_schema_violations(
    api: ApiEnv, db: Database, fernet_key: bytes, marketplace: tuple[str, ThreadedServer, dict[str, str]]
) -> None:
    kind, sandbox, credentials = marketplace
    aliases = registry.get(kind).host_aliases
    here = make_hub(db, fernet_key)  # the server's hub belongs to the server's event loop
    urls = {alias: sandbox.url for alias in aliases}
    known = (await seed_account(here, api.a.account_id, kind, "a", credentials, urls)).ids
    await here.aclose()
    generated, failures = await asyncio.to_thread(_fuzz, api.url, api.a.key, None)
    real, more = await asyncio.to_thread(_fuzz, api.url, api.a.key, known)
    assert generated >= 55 and real >= 20
    assert not failures + more, "\n\n".join(failures + more)
