"""Shared fixtures: database URLs for SQLite and PostgreSQL (skipped locally, required in CI)."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def postgres_url() -> str | None:
    url = os.environ.get("MB_TEST_POSTGRES_URL")
    if not url and IN_CI:
        raise RuntimeError("CI=true but MB_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL")
    return url


def redis_url() -> str | None:
    url = os.environ.get("MB_TEST_REDIS_URL")
    if not url and IN_CI:
        raise RuntimeError("CI=true but MB_TEST_REDIS_URL is not set: .ci/run must start Redis")
    return url


@pytest.fixture
def redis_test_url() -> str:
    url = redis_url()
    if not url:
        pytest.skip("MB_TEST_REDIS_URL is not set (run under scripts/test-services.sh)")
    return url
