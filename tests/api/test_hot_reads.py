"""The offers reads answered before the routing (`api/hot_reads.py`) answer as the routes do.

Two servers on the same database: the app as it is, and the same app without its hot-reads
layer (every request through FastAPI's routes). Each request below, valid or not, gets the same
status, headers that matter and body from both; wrong keys are throttled after the same count.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import REGISTRY

from marketbridge.api.hot_reads import HotReads, page_params
from marketbridge.api.pagination import encode_cursor
from marketbridge.app import create_app
from marketbridge.runtime.auth_throttle import LIMIT
from marketbridge.store.db import Database
from tests.api.conftest import ApiEnv, make_hub
from tests.support.servers import ThreadedServer, serve_app

_COMPARED_HEADERS = ("content-type", "www-authenticate", "retry-after")


@pytest.fixture
def routes_only(api: ApiEnv, db: Database, fernet_key: bytes) -> Iterator[ThreadedServer]:
    """The same app on the same database without the hot-reads layer."""
    app = create_app(make_hub(db, fernet_key))
    app.user_middleware = [m for m in app.user_middleware if m.cls is not HotReads]
    with serve_app(app) as server:
        yield server


async def _answer(url: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        got = await client.get(path, headers=headers)
    return got.status_code, {h: got.headers.get(h, "") for h in _COMPARED_HEADERS}, got.content


async def _seed(api: ApiEnv) -> list[int]:
    """Offers of both accounts; account a's ids."""
    for tenant, prefix in ((api.a, "A"), (api.b, "B")):
        async with api.client(tenant) as client:
            items = [{"sku": f"{prefix}-{n}", "barcodes": [f"46{n:011d}"]} for n in range(5)]
            assert (await client.post("/catalog/offers/bulk", json={"items": items})).status_code == 200
    async with api.client(api.a) as client:
        return [o["id"] for o in (await client.get("/catalog/offers")).json()["items"]]


async def test_every_answer_is_the_routes_answer(api: ApiEnv, routes_only: ThreadedServer) -> None:
    ids = await _seed(api)
    async with api.client(api.b) as client:
        theirs = (await client.get("/catalog/offers")).json()["items"][0]["id"]
    key = api.a.headers()["Authorization"]
    good = {"Authorization": key}
    page = "/api/v1/catalog/offers"
    cases: list[tuple[str, dict[str, str]]] = [
        (page, good),
        (page + "?limit=2", good),
        (page + f"?limit=2&cursor={encode_cursor(ids[1])}", good),
        (page + f"?cursor={encode_cursor(ids[-1])}", good),
        (page + "?limit=1000", good),
        (page + "?limit=1001", good),
        (page + "?limit=0", good),
        (page + "?limit=abc", good),
        (page + "?limit=007", good),
        (page + "?limit=2&limit=3", good),
        (page + "?cursor=bm90IGEgY3Vyc29y", good),
        (page + "?cursor=" + "x" * 201, good),
        (page + "?cursor=", good),
        (page + "?sku=A-1", good),
        (page + "?kind=nothing", good),
        (page + "?unknown=1", good),
        (page + "?limit=%32", good),
        (page, {}),
        (page, {"Authorization": "Basic " + key.partition(" ")[2]}),
        (page, {"Authorization": "Bearer"}),
        (page, {"Authorization": "bearer  " + key.partition(" ")[2]}),
        (page + "?limit=0", {}),
        (page, api.a.headers(read_only=True)),
        (page, api.b.headers()),
        (f"{page}/{ids[0]}", good),
        (f"{page}/{ids[0]}?limit=1", good),
        (f"{page}/{theirs}", good),
        (f"{page}/0", good),
        (f"{page}/{2**63}", good),
        (f"{page}/{ids[0]}", {}),
        (f"{page}/999999", good),
    ]
    for path, headers in cases:
        fast = await _answer(api.url, path, headers)
        routed = await _answer(routes_only.url, path, headers)
        assert fast == routed, path
    # and a wrong key: refused, logged and counted the same way until the address is throttled
    wrong = {"Authorization": "Bearer mb_wrong"}
    for _ in range(LIMIT + 2):
        fast = await _answer(api.url, page, wrong)
        routed = await _answer(routes_only.url, page, wrong)
        assert fast[0] in (401, 429)
        assert _without_the_wait(fast) == _without_the_wait(routed)
        assert abs(_wait(fast) - _wait(routed)) <= 1  # asked a moment apart: the wait counts down


def _wait(answer: tuple[int, dict[str, str], bytes]) -> int:
    """The seconds a throttled answer says to wait (0 for any other answer)."""
    return int(answer[1].get("retry-after") or 0)


def _without_the_wait(answer: tuple[int, dict[str, str], bytes]) -> tuple[int, dict[str, str], bytes]:
    """The answer with the seconds to wait taken out of its header and its text."""
    status, headers, body = answer
    wait = _wait(answer)
    if not wait:
        return answer
    headers = {**headers, "retry-after": "N"}
    return status, headers, body.replace(f"try again in {wait} s".encode(), b"try again in N s")


async def test_a_served_offer_is_counted_under_its_route(api: ApiEnv) -> None:
    ids = await _seed(api)  # the seeding read a page, not one offer
    labels = {"method": "GET", "route": "/catalog/offers/{offer_id}", "status": "200"}
    before = REGISTRY.get_sample_value("mb_http_requests_total", labels) or 0.0
    async with api.client(api.a) as client:
        assert (await client.get(f"/catalog/offers/{ids[0]}")).status_code == 200
    for _ in range(200):  # the server counts a request once its answer is sent
        if REGISTRY.get_sample_value("mb_http_requests_total", labels) != before:
            break
        await asyncio.sleep(0.01)
    assert REGISTRY.get_sample_value("mb_http_requests_total", labels) == before + 1


def test_only_plain_queries_are_read_before_the_routes() -> None:
    assert page_params(b"") == {"limit": 100, "cursor": None}
    assert page_params(b"limit=5&cursor=abc_-9") == {"limit": 5, "cursor": "abc_-9"}
    for query in (b"limit=0", b"limit=1001", b"limit=05", b"limit", b"cursor=", b"cursor=a%3D", b"sku=x"):
        assert page_params(query) is None, query
