"""Browser tests of the dashboard: Debian's chromium, headless, driven by Playwright against a real
running hub (SQLite file) and every registered marketplace sandbox on loopback."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from sqlalchemy import select

from marketbridge.demo.catalog import build_catalog
from marketbridge.demo.shopping import buy, orderable
from marketbridge.demo.world import World, open_world
from marketbridge.store.db import Database
from marketbridge.store.tables import Order
from marketbridge.sync.dispatch import JobKind

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
LAPTOP = {"width": 1366, "height": 768}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/web/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists() and not IN_CI:
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} is absent (apt-get install chromium)"))


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: MB_WEB_SHOTS when set (to keep them), else the test's temporary folder."""
    target = Path(os.environ.get("MB_WEB_SHOTS") or tmp_path / "shots")
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    catalog = build_catalog(products=12, seed=11, bundles=2)
    try:
        async with open_world(catalog, db) as w:
            yield w
    finally:
        await db.dispose()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def context(
    request: pytest.FixtureRequest, browser: Browser, world: World
) -> AsyncIterator[BrowserContext]:
    """A browser tab set; parametrize it indirectly with False to switch JavaScript off."""
    assert world.hub_url is not None
    javascript = bool(getattr(request, "param", True))
    ctx = await browser.new_context(
        viewport=LAPTOP, base_url=world.hub_url, locale="en-US", java_script_enabled=javascript
    )
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        await ctx.close()


async def log_in(page: Page, api_key: str) -> None:
    await page.goto("/dashboard/orders")
    assert "/dashboard/login" in page.url  # the gate sends a visitor to the login form
    await page.fill("#api_key", api_key)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/dashboard/orders")


async def login_form_token(client: httpx.AsyncClient) -> str:
    """Open the login form the way a browser does (its token cookie set) and read its token."""
    form = await client.get("/dashboard/login")
    found = re.search(r'name="login_token" value="([^"]+)"', form.text)
    assert form.status_code == 200 and found, "the login form carries its token"
    return found.group(1)


async def post_login(client: httpx.AsyncClient, api_key: str, **fields: str) -> httpx.Response:
    """Log in through the form over plain HTTP, as a browser would."""
    token = await login_form_token(client)
    return await client.post("/dashboard/login", data={"api_key": api_key, "login_token": token, **fields})


async def one_new_order(world: World, skip: int = 0) -> Order:
    """A buyer's one-unit order on the first marketplace, imported by an orders run."""
    kind = sorted(world.markets)[0]
    conn_id = world.markets[kind].connection_id
    external = await buy(world, kind, [(orderable(world, 1, skip=skip)[0], 1)])
    await world.run(conn_id, JobKind.ORDERS)
    async with world.hub.db.session() as s:
        return (
            await s.execute(
                select(Order).where(Order.connection_id == conn_id, Order.external_id.in_(external))
            )
        ).scalar_one()
