"""The conformance suite runs over every marketplace that has both a channel and a sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from marketbridge.channels import registry as channels
from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import World, open_world
from marketbridge.sandbox import registry as sandboxes
from marketbridge.store.db import Database

KINDS = sorted(set(channels.load_all()) & set(sandboxes.load_all()))


@pytest.fixture(params=KINDS)
async def world(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[World]:
    """One marketplace's sandbox and a hub connected to it, the demo shop imported and linked."""
    catalog = build_catalog(products=10, seed=5, bundles=2)
    async with open_world(catalog, db, kinds=[request.param], serve_api=False) as w:
        yield w
