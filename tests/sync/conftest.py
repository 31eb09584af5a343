"""A running demo world (every registered marketplace's sandbox + a hub) for the sync tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.world import World, open_world
from marketbridge.store.db import Database


@pytest.fixture
async def world(db: Database) -> AsyncIterator[World]:
    catalog = build_catalog(products=15, seed=11, bundles=3)
    async with open_world(catalog, db, serve_api=False) as w:
        yield w
