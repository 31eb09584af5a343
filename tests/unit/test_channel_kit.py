"""The channel kit's shared machinery: roles, endpoint declarations, paginators, batching."""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable, Sequence

import pytest

from marketbridge.channels import registry
from marketbridge.channels.batching import batched, send_batches
from marketbridge.channels.endpoints import ApiDeclaration, Endpoint
from marketbridge.channels.errors import BadResponse, NotSupported, RateLimited
from marketbridge.channels.paging import Page, offset_page, paginate, token_page
from marketbridge.channels.roles import (
    ROLES,
    Fulfilment,
    ItemResult,
    OrderConfirmer,
    PushHandler,
    StockSink,
    has_role,
    require,
    roles_of,
)
from marketbridge.runtime.ratelimit import RateLimit


class OnlyStocks:
    kind = "only-stocks"
    stock_items_per_second = 10.0

    async def push_stocks(self, items: Sequence[object]) -> list[ItemResult]:
        return []

    async def until_stock_call(self) -> None:
        return None


def test_roles_are_read_off_the_members() -> None:
    assert roles_of(OnlyStocks) == (StockSink,)
    assert has_role(OnlyStocks(), StockSink)
    assert not has_role(OnlyStocks(), Fulfilment)
    assert require(OnlyStocks(), StockSink).stock_items_per_second == 10.0
    with pytest.raises(NotSupported, match="only-stocks has no Fulfilment role"):
        require(OnlyStocks(), Fulfilment)


def test_a_role_needs_its_facts_too() -> None:
    class NoRate:
        async def push_stocks(self, items: Sequence[object]) -> list[ItemResult]:
            return []

        async def until_stock_call(self) -> None:
            return None

    assert not has_role(NoRate, StockSink)


def test_registered_channels_declare_their_roles() -> None:
    specs = registry.load_all()
    assert specs
    for spec in specs.values():
        roles = spec.roles
        assert roles, spec.kind
        assert all(r in ROLES for r in roles)
        assert spec.host_aliases == tuple(spec.default_hosts)
        if has_role(spec.channel_class, Fulfilment):
            assert spec.channel_class.label_formats, spec.kind
        # a connector that says nothing of pushes or confirmation has neither role
        assert has_role(spec.channel_class, PushHandler) == hasattr(spec.channel_class, "handle_push")
        assert has_role(spec.channel_class, OrderConfirmer) == hasattr(spec.channel_class, "confirm")


def test_endpoint_paths_versions_and_matching() -> None:
    ep = Endpoint("PUT", "/api/v3/stocks/{warehouse_id}", group="stocks", host="marketplace")
    assert ep.version == 3 and ep.params == ("warehouse_id",)
    assert ep.format(warehouse_id="12 3") == "/api/v3/stocks/12%203"
    assert ep.retry_safe and not Endpoint("POST", "/v1/x").retry_safe
    assert Endpoint("POST", "/v1/x", idempotent=True).retry_safe
    with pytest.raises(ValueError, match="warehouse_id"):
        ep.format()
    api = ApiDeclaration.of([ep, Endpoint("GET", "/ping")], {"stocks": RateLimit(300, 60, 20)})
    assert api.find("put", "/api/v3/stocks/7") is ep
    assert api.find("PUT", "/api/v3/stocks/7/extra") is None
    assert api.find("GET", "/api/v3/stocks/7") is None
    assert api.limit_of(ep) == RateLimit(300, 60, 20)
    with pytest.raises(ValueError, match="orders"):
        ApiDeclaration.of([Endpoint("GET", "/o", group="orders")], {})


async def _collect(pages: AsyncIterator[list[int]]) -> list[list[int]]:
    return [page async for page in pages]


async def test_paginate_by_token_until_the_end() -> None:
    data = {"": ([1, 2], "a"), "a": ([3, 4], "b"), "b": ([5], "")}

    async def fetch(token: Hashable) -> Page[int]:
        items, nxt = data[str(token)]
        return token_page(items, nxt)

    assert await _collect(paginate(fetch, "")) == [[1, 2], [3, 4], [5]]


async def test_paginate_by_offset_stops_on_a_short_page() -> None:
    rows = list(range(7))
    calls: list[int] = []

    async def fetch(offset: Hashable) -> Page[int]:
        assert isinstance(offset, int)
        calls.append(offset)
        return offset_page(rows[offset : offset + 3], offset, 3)

    assert await _collect(paginate(fetch, 0)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert calls == [0, 3, 6]


async def test_a_repeated_token_is_a_bad_response_not_a_loop() -> None:
    async def fetch(token: Hashable) -> Page[int]:
        return Page([1], "same")

    with pytest.raises(BadResponse, match="twice"):
        await _collect(paginate(fetch, "", what="offers"))


async def test_has_next_false_ends_even_with_a_token() -> None:
    async def fetch(token: Hashable) -> Page[int]:
        return token_page([1], "more", has_next=False)

    assert await _collect(paginate(fetch, "")) == [[1]]


async def test_send_batches_isolates_a_failed_batch() -> None:
    sent: list[list[int]] = []

    async def send(batch: Sequence[int]) -> list[ItemResult]:
        sent.append(list(batch))
        if 3 in batch:
            raise RateLimited("slow down", retry_after=1)
        return [ItemResult(key=str(i), ok=True) for i in batch]

    results = await send_batches(list(range(5)), 2, str, send)
    assert sent == [[0, 1], [2, 3], [4]]
    assert [r.key for r in results] == ["0", "1", "2", "3", "4"]
    assert [r.ok for r in results] == [True, True, False, False, True]
    assert results[2].retryable and results[2].code
    assert list(batched([1, 2, 3], 2)) == [[1, 2], [3]]
    with pytest.raises(ValueError):
        list(batched([1], 0))


def test_sandbox_timing_scales_every_delay() -> None:
    from marketbridge.sandbox.common.timing import Timing

    real = Timing()
    assert real.of(45.0) == 45.0
    fast = Timing(scale=0.01)
    assert fast.of(45.0) == 0.45 and fast.of(-1) == 0.0
