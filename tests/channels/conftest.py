"""The conformance suite runs over every marketplace that has both a channel and a sandbox.

Two kinds of fixture: `market` (one sandbox per module and marketplace, the channel bound
to it built per test; parametrised indirectly with `kinds_with(Role)` so a role's tests
run only where the channel plays it) and `world` (a sandbox and a whole hub connected to
it; parametrised the same way by the tests that need particular roles).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import World, open_world
from marketbridge.store.db import Database
from tests.support.marketplaces import Market, registered_kinds, start_market

KINDS = registered_kinds()


@pytest.fixture(scope="module")
def market(request: pytest.FixtureRequest) -> Iterator[Market]:
    """The sandbox of the marketplace named by the test's parameter, shared by the module."""
    yield from start_market(request.param)


@pytest.fixture(params=KINDS)
async def world(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[World]:
    """One marketplace's sandbox and a hub connected to it, the demo shop imported and linked
    (every registered marketplace, or the ones a test names with `indirect=True`: those that
    play the roles it goes through)."""
    catalog = build_catalog(products=10, seed=5, bundles=2)
    async with open_world(catalog, db, kinds=[request.param], serve_api=False) as w:
        yield w
