"""Many sellers in one sandbox process, per registered marketplace: each seller's requests reach
its own catalog and warehouses only, and the control API adds sellers and reaches each one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.marketplaces import Market, registered_kinds, start_sellers
from tests.support.sellers import sellers_kept_apart


@pytest.fixture
def sellers(request: pytest.FixtureRequest) -> Iterator[tuple[Market, Market]]:
    yield from start_sellers(request.param)


@pytest.mark.parametrize("sellers", registered_kinds(), indirect=True)
async def test_two_sellers_in_one_process_are_kept_apart(sellers: tuple[Market, Market]) -> None:
    await sellers_kept_apart(*sellers)


@pytest.mark.parametrize("sellers", registered_kinds()[:1], indirect=True)
def test_the_control_api_lists_sellers_and_refuses_a_duplicate(sellers: tuple[Market, Market]) -> None:
    first, second = sellers
    listed = first.call("GET", "/sellers")["items"]
    assert [s["seller"] for s in listed] == [0, 1]
    assert listed[1]["credentials"] == second.credentials
    again = first.control.post("/sellers", json={"credentials": second.credentials})
    assert again.status_code == 409
    assert len(first.call("GET", "/sellers")["items"]) == 2
    assert first.control.get("/sellers/7/stocks").status_code == 404
