"""Smoke level, per registered marketplace: the credentials check and one listing."""

from __future__ import annotations

import pytest

from tests.support.contract import smoke_check, smoke_listing
from tests.support.marketplaces import Market, registered_kinds


@pytest.mark.parametrize("market", registered_kinds(), indirect=True)
async def test_check_and_warehouses(market: Market) -> None:
    await smoke_check(market)


@pytest.mark.parametrize("market", registered_kinds(), indirect=True)
async def test_one_listing(market: Market) -> None:
    await smoke_listing(market)
