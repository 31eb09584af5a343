"""The demo shop and the `marketbridge sandbox wildberries` command."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx

from marketbridge.model import OrderStatus
from tests.support.servers import free_port
from tests.wildberries.harness import Sandbox, make_channel


async def test_demo_shop(demo_sandbox: Sandbox) -> None:
    channel = make_channel(demo_sandbox)
    try:
        warehouses = await channel.list_warehouses()
        offers = [o async for page in channel.iter_offers() for o in page]
        now = datetime.now(UTC)
        orders = [o async for page in channel.iter_orders(now - timedelta(days=1), now) for o in page]
    finally:
        await channel.aclose()
    assert len(warehouses) == 2
    products = {o.product_external_id for o in offers}
    assert len(products) >= 24
    assert any(o.size for o in offers) and len(offers) > len(products), "cards with several sizes"
    statuses = {o.status for o in orders}
    assert {OrderStatus.NEW, OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.DELIVERED} <= statuses
    assert OrderStatus.CANCELLED in statuses
    stocks = demo_sandbox.control("GET", "/stocks")["items"]
    assert {s["warehouse_id"] for s in stocks} == {w.external_id for w in warehouses}
    supplies = demo_sandbox.api("GET", "/api/v3/supplies", params={"limit": 100, "next": 0}).json()[
        "supplies"
    ]
    assert any(not s["done"] for s in supplies), "an open supply"


def test_the_command_serves_the_sandbox_on_loopback() -> None:
    port = free_port()
    command = [sys.executable, "-m", "marketbridge.cli", "sandbox", "wildberries", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--demo-data", "--no-limits"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert lines[0].strip() == f"wildberries sandbox on http://127.0.0.1:{port}"
        token = lines[1].split()[1]
        deadline = time.monotonic() + 15
        while True:
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/api/v3/warehouses", headers={"Authorization": token}, timeout=5
                )
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
        assert answer.status_code == 200 and len(answer.json()) == 2
        refused = httpx.get(f"http://127.0.0.1:{port}/api/v3/warehouses", headers={"Authorization": "x"})
        assert refused.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=15)
