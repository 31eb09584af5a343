"""Shared fixtures: database URLs for SQLite and PostgreSQL (skipped locally, required in CI)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from marketbridge.runtime.logging import configure as configure_logging
from marketbridge.store.db import Database
from tests.support.databases import (
    drop_postgres_database,
    postgres_database,
    redis_for_this_worker,
    sqlite_database,
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# The tests run marketplaces (sandboxes) and webhook subscribers on loopback: every hub they
# build allows loopback targets, as a developer's would. tests/security turns it off where it tests it.
os.environ.setdefault("MB_ALLOW_LOOPBACK_TARGETS", "true")


def pytest_configure(config: pytest.Config) -> None:
    """The hub's own log set-up (JSON lines, masked secrets, plain tracebacks), as in production."""
    configure_logging("info", json=True)


def postgres_url() -> str | None:
    url = os.environ.get("MB_TEST_POSTGRES_URL")
    if not url and IN_CI:
        raise RuntimeError("CI=true but MB_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL")
    return url


def redis_url() -> str | None:
    """The test Redis; each parallel test process (pytest -n) gets a database number of its own."""
    url = os.environ.get("MB_TEST_REDIS_URL")
    if not url and IN_CI:
        raise RuntimeError("CI=true but MB_TEST_REDIS_URL is not set: .ci/run must start Redis")
    return redis_for_this_worker(url) if url else None


@pytest.fixture
def redis_test_url() -> str:
    url = redis_url()
    if not url:
        pytest.skip("MB_TEST_REDIS_URL is not set (run under scripts/test-services.sh)")
    return url


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, migrated hub database: every store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        database = await sqlite_database(tmp_path)
        yield database
        await database.dispose()
        return
    url = postgres_url()
    if not url:
        pytest.skip("MB_TEST_POSTGRES_URL is not set: PostgreSQL cases need scripts/test-services.sh")
    database = await postgres_database(url)
    try:
        yield database
    finally:
        await drop_postgres_database(database)
