"""A bounded run of the `scale` benchmark on PostgreSQL and Redis: six connections of two
accounts over every marketplace that takes stock, worker processes, sandboxes with their real
rate limits. It fails on any lost stock change, any order whose webhook never came, or any
429 from a sandbox; never on timings (those belong to bench/ JSON)."""

from __future__ import annotations

import pytest

from marketbridge.benchmarks import scale
from marketbridge.benchmarks.common import stock_kinds
from tests.conftest import postgres_url


async def test_a_small_scale_run_loses_nothing_and_meets_no_429(redis_test_url: str) -> None:
    server = postgres_url()
    if not server:
        pytest.skip("MB_TEST_POSTGRES_URL is not set: the scale run needs scripts/test-services.sh")
    own_redis = redis_test_url.rpartition("/")[0] + "/13"  # the run empties its Redis database
    connections = 2 * len(stock_kinds())
    result = await scale.run(
        connections=connections,
        seconds=10.0,
        big_offers=40,
        small_offers=10,
        idle_seconds=1.0,
        settle_seconds=0.0,
        postgres_url=server,
        redis_url=own_redis,
    )
    run = result["results"][str(connections)]
    assert run["stock_changes"] > 0 and run["orders"] > 0
    assert set(run["stock_latency_seconds"]) == set(stock_kinds()), "every marketplace got the changes"
    assert run["lost_changes"] == 0
    assert run["orders_without_webhook"] == 0
    assert run["rejected_429"] == 0
    for kind, fair in run["fairness"].items():  # both catalog sizes measured, every change counted once
        assert set(fair["by_catalog_offers"]) == {"10", "40"}, kind
        counted = sum(group["count"] for group in fair["by_catalog_offers"].values())
        assert counted == run["stock_latency_seconds"][kind]["count"], kind
