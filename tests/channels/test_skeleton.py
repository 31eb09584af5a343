"""The skeleton pair (tests/support/skeleton) registered for the test, through the suite's smoke level.

It proves the pair docs/adding-a-marketplace.md starts from still fits the registries, the
role protocols and the control API: the credentials check (and a wrong key refused) and
one listing, exactly as every registered marketplace runs them in tests/channels.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from marketbridge.channels import registry as channels
from marketbridge.channels.errors import AuthError
from marketbridge.channels.roles import CatalogSource, roles_of
from marketbridge.sandbox import registry as sandboxes
from marketbridge.sandbox.common.faults import PRICE_REFUSED
from tests.support.contract import smoke_check, smoke_listing
from tests.support.marketplaces import (
    Market,
    kinds_with,
    kinds_with_fault,
    registered_kinds,
    start_market,
    start_sellers,
)
from tests.support.sellers import sellers_kept_apart
from tests.support.skeleton import connector, sandbox


@pytest.fixture
def skeleton(monkeypatch: pytest.MonkeyPatch) -> Iterator[Market]:
    """The skeleton in both registries for this test only, its sandbox running."""
    monkeypatch.setitem(channels._SPECS, connector.KIND, connector.SPEC)
    monkeypatch.setitem(sandboxes._SPECS, connector.KIND, sandbox.SPEC)
    yield from start_market(connector.KIND)


async def test_skeleton_is_registered_with_its_roles(skeleton: Market) -> None:
    assert connector.KIND in registered_kinds()
    assert connector.KIND in kinds_with(CatalogSource)
    assert roles_of(connector.SkeletonChannel) == (CatalogSource,)


async def test_skeleton_passes_the_smoke_level(skeleton: Market) -> None:
    await smoke_check(skeleton)
    await smoke_listing(skeleton)
    channel = skeleton.channel(skeleton.wrong_credentials())
    try:
        with pytest.raises(AuthError):
            await channel.check()
    finally:
        await channel.aclose()


async def test_skeleton_serves_many_sellers_in_one_process(skeleton: Market) -> None:
    for first, second in start_sellers(connector.KIND):
        await sellers_kept_apart(first, second)


def test_a_fault_off_the_menu_is_refused_and_changes_nothing(skeleton: Market) -> None:
    assert connector.KIND not in kinds_with_fault(PRICE_REFUSED)
    refused = skeleton.control.put("/faults", json={"refuse_prices": ["ANY-1"], "error_rate": 0.5})
    assert refused.status_code == 422 and PRICE_REFUSED in refused.text
    faults = skeleton.call("GET", "/faults")
    assert faults["menu"] == [] and faults["config"]["error_rate"] == 0


def test_skeleton_leaves_the_registries_as_they_were() -> None:
    assert connector.KIND not in registered_kinds()
