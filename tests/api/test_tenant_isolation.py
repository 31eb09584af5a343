"""Tenant isolation: every endpoint of the seller API, walked with account B's key against account A's
objects, answers 404 (or 403); the routes are enumerated from the app, so a new endpoint is walked too."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts

from marketbridge.store.db import Database
from tests.api.conftest import ApiEnv, make_hub
from tests.api.seed import seed_account
from tests.support.marketplaces import registered_kinds

KIND = registered_kinds()[0]

#: A valid body per operation that takes one, so that B's request is refused for the object, not the body.
BODIES: dict[tuple[str, str], Any] = {
    ("PATCH", "/api/v1/connections/{connection_id}"): {"name": "stolen"},
    ("POST", "/api/v1/connections/{connection_id}/sync"): {"kind": "orders"},
    ("PUT", "/api/v1/connections/{connection_id}/category-mappings"): {"items": []},
    ("PUT", "/api/v1/connections/{connection_id}/warehouse-mappings"): {"items": []},
    ("PUT", "/api/v1/connections/{connection_id}/price-mappings"): {"items": []},
    ("PUT", "/api/v1/catalog/products/{product_id}/images"): {"images": []},
    ("POST", "/api/v1/catalog/listings/{connection_id}"): {"offer_skus": ["O-b"]},
    ("POST", "/api/v1/catalog/listings/{connection_id}/delist"): {"offer_skus": ["O-b"]},
    ("POST", "/api/v1/orders/{order_id}/pack"): {
        "boxes": [{"number": 1, "lines": [{"offer_sku": "x", "quantity": 1}]}]
    },
    ("POST", "/api/v1/orders/{order_id}/cancel"): {"reason": "stolen"},
    ("POST", "/api/v1/returns/{return_id}/confirm"): {"restock": False},
    ("PATCH", "/api/v1/webhooks/{subscription_id}"): {"enabled": False},
}

#: Reads by the owner that would ask the marketplace (the seeded connection points nowhere).
LIVE = {
    "/api/v1/connections/{connection_id}/remote-warehouses",
    "/api/v1/orders/{order_id}/labels",
}


def _routes(api: ApiEnv) -> list[tuple[str, str, APIRoute]]:
    """Every (method, full path, route) of the seller API, included routers flattened."""
    app = api.server.server.config.app
    out = []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path or ""
        if isinstance(route, APIRoute) and path.startswith("/api/v1/"):
            for method in sorted(route.methods):
                out.append((method, path, route))
    return out


def _fill(path: str, ids: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


async def test_account_b_cannot_reach_account_a_objects(api: ApiEnv, db: Database, fernet_key: bytes) -> None:
    here = make_hub(db, fernet_key)  # the server's hub belongs to the server's event loop
    a = (await seed_account(here, api.a.account_id, KIND, "a")).ids
    await seed_account(here, api.b.account_id, KIND, "b")
    await here.aclose()
    routes = _routes(api)
    with_params = [(m, p, r) for m, p, r in routes if "{" in p]
    assert len(with_params) >= 25
    walked: list[tuple[str, str]] = []
    async with api.client(api.b) as b, api.client(api.a) as owner:
        for method, path, route in with_params:
            body = BODIES.get((method, path))
            assert body is not None or route.body_field is None, (
                f"add a valid body for {method} {path} to BODIES"
            )
            url = _fill(path, a).removeprefix("/api/v1")
            answer = await b.request(method, url, json=body)
            assert answer.status_code in (403, 404), (method, path, answer.status_code, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            walked.append((method, path))
            if method == "GET" and path not in LIVE:  # the object is real: its owner reads it
                mine = await owner.get(url)
                assert mine.status_code == 200, (path, mine.text)
        # lists show B only its own rows
        listed_paths = []
        for method, path, _ in routes:
            if method == "GET" and "{" not in path:
                listed_paths.append((method, path))
                listed = await b.get(path.removeprefix("/api/v1"))
                assert listed.status_code == 200, path
                text = listed.text
                assert '-a"' not in text and "ORD-a" not in text, (path, text[:300])
        # nothing of A was changed or deleted by B's writes
        assert (await owner.get(f"/connections/{a['connection_id']}")).json()["name"] == "conn-a"
        assert (await owner.get(f"/webhooks/{a['subscription_id']}")).json()["enabled"] is True
        assert (await owner.get(f"/orders/{a['order_id']}")).json()["status"] == "new"
    # the walk covered every operation the API publishes (its OpenAPI document, built apart from the
    # route enumeration above): one with a path parameter was walked, one without was listed
    published = {
        (method.upper(), path)
        for path, operations in api.server.server.config.app.openapi()["paths"].items()
        for method in operations
        if path.startswith("/api/v1/") and method in ("get", "post", "put", "patch", "delete")
    }
    assert {op for op in published if "{" in op[1]} == set(walked)
    assert {op for op in published if "{" not in op[1] and op[0] == "GET"} <= set(listed_paths)
