"""Contract: every request the connector sends and every answer the sandbox gives in the FBS cycle
is checked against the Ozon spec (swagger.json; derived schemas for the newer methods).

Requests are read back from the sandbox's journal (GET /_sandbox/journal); answers are recorded
on the connector's side of the real HTTP connection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from marketbridge.channels.ozon import OzonChannel
from tests.ozon.conftest import HEADERS, PushReceiver, Sandbox, holds_within
from tests.ozon.cycle import run_cycle
from tests.ozon.spec import component, errors_in, request_schema, response_schema, unknown_fields
from tests.support.specs import load_json

#: Paths the cycle must exercise (so the contract cannot pass by checking nothing).
EXPECTED_PATHS = {
    "/v1/warehouse/list",
    "/v3/product/list",
    "/v3/product/info/list",
    "/v3/product/import",
    "/v1/product/import/info",
    "/v1/description-category/tree",
    "/v1/description-category/attribute",
    "/v1/description-category/attribute/values",
    "/v2/products/stocks",
    "/v1/product/import/prices",
    "/v5/product/info/prices",
    "/v4/posting/fbs/list",
    "/v3/posting/fbs/get",
    "/v6/fbs/posting/product/exemplar/create-or-get",
    "/v6/fbs/posting/product/exemplar/set",
    "/v5/fbs/posting/product/exemplar/status",
    "/v4/posting/fbs/ship",
    "/v3/posting/fbs/package-label/create",
    "/v2/posting/fbs/package-label/get",
    "/v1/carriage/create",
    "/v1/carriage/approve",
    "/v2/posting/fbs/digital/act/get-pdf",
    "/v2/posting/fbs/cancel",
    "/v1/returns/list",
}


@dataclass
class Exchange:
    path: str
    status: int
    content_type: str
    body: bytes


class Recorder(httpx.AsyncBaseTransport):
    """A real transport that keeps a copy of every answer."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        self.exchanges.append(
            Exchange(request.url.path, response.status_code, response.headers.get("content-type", ""), body)
        )
        return httpx.Response(response.status_code, headers=response.headers, content=body, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def check_response(path: str, status: int, content_type: str, body: bytes) -> list[str]:
    spec = response_schema(path, status)
    if spec is None:
        return [f"{path} {status}: the spec has no such answer"]
    spec_type, schema = spec
    if not spec_type:
        return [] if body.strip() in (b"", b"{}") else [f"{path} {status}: the spec declares no body"]
    if spec_type == "application/pdf" and status == 200:
        ok = content_type.startswith("application/pdf") and body.startswith(b"%PDF")
        return [] if ok else [f"{path}: not a PDF answer"]
    data = json.loads(body)
    problems = [f"{path} {status}: {e}" for e in errors_in(data, schema)]
    problems += [f"{path} {status}: undeclared field {f}" for f in unknown_fields(data, schema)]
    return problems


@pytest.fixture
async def recorded(sandbox: Sandbox, channel: OzonChannel, push_receiver: PushReceiver) -> Recorder:
    recorder = Recorder()
    channel.api.http.transport = recorder
    await run_cycle(sandbox, channel, push_receiver)
    return recorder


async def test_connector_requests_match_the_spec(recorded: Recorder, sandbox: Sandbox) -> None:
    journal = sandbox.journal()
    paths = {entry["path"] for entry in journal}
    assert paths >= EXPECTED_PATHS, f"not exercised: {EXPECTED_PATHS - paths}"
    problems: list[str] = []
    for entry in journal:
        schema = request_schema(entry["path"])
        assert schema is not None, f"{entry['path']} is in neither the spec nor the derived schemas"
        body: Any = entry["body"] if entry["body"] is not None else {}
        problems += [f"{entry['path']}: {e}" for e in errors_in(body, schema)]
        problems += [f"{entry['path']}: undeclared field {f}" for f in unknown_fields(body, schema)]
    assert not problems, "\n".join(sorted(set(problems)))


async def test_sandbox_answers_match_the_spec(recorded: Recorder) -> None:
    answers = [x for x in recorded.exchanges if not x.path.startswith("/_sandbox")]
    assert {x.path for x in answers} >= EXPECTED_PATHS
    assert any(x.status == 400 for x in answers), "the cycle includes a refused ship"
    problems: list[str] = []
    for x in answers:
        problems += check_response(x.path, x.status, x.content_type, x.body)
    assert not problems, "\n".join(sorted(set(problems)))


async def test_pushes_have_the_fields_of_the_spec_samples(
    recorded: Recorder, push_receiver: PushReceiver
) -> None:
    """Every push the sandbox sent in the cycle has exactly the fields of the spec's sample of its type."""
    seen: set[str] = set()
    for body in push_receiver.bodies:
        kind = body["message_type"]
        sample = load_json(f"examples/ozon/push_{kind}.json")["body"]
        assert set(body) == set(sample), kind
        for key, value in sample.items():
            assert type(body[key]) is type(value) or value is None, f"{kind}.{key}"
        seen.add(kind)
    assert seen >= {
        "TYPE_NEW_POSTING",
        "TYPE_STATE_CHANGED",
        "TYPE_POSTING_CANCELLED",
        "TYPE_STOCKS_CHANGED",
        "TYPE_CREATE_OR_UPDATE_ITEM",
    }


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        (
            "/v3/posting/fbs/list",
            {
                "filter": {"since": "2026-01-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
                "limit": 10,
                "offset": 0,
            },
            200,
        ),
        (
            "/v3/posting/fbs/unfulfilled/list",
            {
                "filter": {"cutoff_from": "2026-01-01T00:00:00Z", "cutoff_to": "2027-06-01T00:00:00Z"},
                "limit": 10,
                "offset": 0,
            },
            200,
        ),
        (
            "/v4/posting/fbs/unfulfilled/list",
            {
                "filter": {"cutoff_from": "2026-01-01T00:00:00Z", "cutoff_to": "2027-06-01T00:00:00Z"},
                "limit": 10,
            },
            200,
        ),
        ("/v4/product/info/stocks", {"filter": {"visibility": "ALL"}, "limit": 5}, 200),
        ("/v1/product/info/stocks-by-warehouse/fbs", {"sku": []}, 200),
        ("/v2/posting/fbs/cancel-reason/list", {}, 200),
        ("/v2/posting/fbs/package-label", {"posting_number": ["no-such-posting"]}, 404),
        ("/v3/posting/fbs/get", {"posting_number": "no-such-posting"}, 404),
        ("/v2/products/stocks", {"stocks": [{"offer_id": "x", "stock": 1}]}, 400),  # no warehouse_id
        ("/v4/product/info/limit", {}, 200),
    ],
)
def test_other_answers_match_the_spec(
    shared_demo_sandbox: Sandbox, path: str, body: dict[str, Any], status: int
) -> None:
    reply = shared_demo_sandbox.api(path, body)
    assert reply.status_code == status, f"{path}: {reply.status_code} {reply.text[:300]}"
    problems = check_response(path, reply.status_code, reply.headers.get("content-type", ""), reply.content)
    assert not problems, "\n".join(problems)


def test_error_answers_have_the_rpc_status_shape(sandbox: Sandbox) -> None:
    schema = component("rpcStatus")
    replies = [
        sandbox.api("/v1/warehouse/list", {}, headers={}),
        sandbox.api("/v1/warehouse/list", {}, headers={**HEADERS, "Api-Key": "wrong"}),
        sandbox.api("/v9/not/a/method", {}),
        sandbox.control.post("/v3/product/list", content=b"{not json", headers=HEADERS),
    ]
    assert [r.status_code for r in replies] == [401, 404, 404, 400]
    for reply in replies:
        assert not errors_in(reply.json(), schema)
        assert set(reply.json()) == {"code", "message", "details"}


def test_older_and_auxiliary_methods_match_the_spec(demo_sandbox: Sandbox) -> None:
    """Methods outside the connector's cycle, served for other clients: checked all the same."""
    unfulfilled = demo_sandbox.api("/v4/posting/fbs/unfulfilled/list", {"filter": {}, "limit": 100}).json()
    packed = next(p for p in unfulfilled["postings"] if p["status"] == "awaiting_deliver")
    number, method = packed["posting_number"], packed["delivery_method"]["id"]
    calls: list[tuple[str, dict[str, Any]]] = [
        ("/v1/posting/fbs/cancel-reason", {"related_posting_numbers": [number]}),
        ("/v2/posting/fbs/get-by-barcode", {"barcode": packed["barcodes"]["lower_barcode"]}),
        ("/v2/posting/fbs/package-label/create", {"posting_number": [number]}),
        ("/v1/posting/fbs/package-label/create", {"posting_number": [number]}),
        ("/v2/posting/fbs/act/create", {"delivery_method_id": method, "containers_count": 1}),
    ]
    replies = {path: demo_sandbox.api(path, body) for path, body in calls}
    task_v1 = replies["/v1/posting/fbs/package-label/create"].json()["result"]["task_id"]
    act_id = replies["/v2/posting/fbs/act/create"].json()["result"]["id"]
    holds_within(
        lambda: (
            demo_sandbox.api("/v2/posting/fbs/digital/act/check-status", {"id": act_id}).json()["status"]
            == "FORMED"
        ),
        5,
        "the act formed",
    )
    more: list[tuple[str, dict[str, Any]]] = [
        ("/v1/posting/fbs/package-label/get", {"task_id": task_v1}),
        ("/v2/posting/fbs/act/check-status", {"id": act_id}),
        ("/v2/posting/fbs/digital/act/check-status", {"id": act_id}),
        ("/v2/posting/fbs/act/get-postings", {"id": act_id}),
        ("/v2/posting/fbs/act/get-pdf", {"id": act_id}),
        ("/v1/carriage/get", {"carriage_id": act_id}),
        ("/v2/posting/fbs/arbitration", {"posting_number": [number]}),
        ("/v2/posting/fbs/awaiting-delivery", {"posting_number": [number]}),
    ]
    replies.update({path: demo_sandbox.api(path, body) for path, body in more})
    statuses = demo_sandbox.control.get("/_sandbox/orders").json()["items"]
    assert next(o["status"] for o in statuses if o["id"] == number) == "awaiting_deliver"
    problems: list[str] = []
    for path, reply in replies.items():
        assert reply.status_code == 200, f"{path}: {reply.text}"
        problems += check_response(path, 200, reply.headers.get("content-type", ""), reply.content)
    assert not problems, "\n".join(problems)
    assert demo_sandbox.control.get(
        replies["/v1/posting/fbs/package-label/get"].json()["result"]["file_url"]
    ).content.startswith(b"%PDF")
