"""A card the marketplace rejects, read in the browser with its reason; every main screen shown on a
laptop screen (and screenshotted); the Russian labels; a read-only key that sees but cannot act;
a failed webhook delivery sent again."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx
from playwright.async_api import BrowserContext, Page, expect
from sqlalchemy import select

from marketbridge import model
from marketbridge.channels.roles import CardExporter, has_role
from marketbridge.demo.catalog import ean13
from marketbridge.demo.world import World, wait_for
from marketbridge.model import CategoryAttribute, EventType
from marketbridge.runtime.serving import free_port
from marketbridge.store import accounts
from marketbridge.store.catalog import upsert_products
from marketbridge.store.tables import CardExport, Connection, OfferPrice, SyncRun, WebhookDelivery
from marketbridge.store.types import utcnow
from marketbridge.sync.catalog import export_cards
from marketbridge.sync.dispatch import JobKind
from tests.web.conftest import log_in

BAD_SKU = "NOATTR-1"


async def _required_attribute(world: World, kind: str) -> tuple[str, CategoryAttribute] | None:
    """A leaf category of the marketplace with a required attribute (read through the channel)."""
    async with world.hub.db.session() as s:
        conn = await s.get(Connection, world.markets[kind].connection_id)
    assert conn is not None
    channel = world.hub.channels.get(conn)
    if not has_role(channel, CardExporter):
        return None
    for category in (c for c in await channel.categories() if c.leaf):
        required = [a for a in await channel.category_attributes(category.id) if a.required]
        if required:
            return category.id, required[0]
    return None


async def _reject_a_card(world: World) -> dict[int, tuple[str, str]]:
    """Export a card without its required attribute to every marketplace that takes cards; follow
    moderation until each answered. Returns connection id -> (the card's sku, the missing attribute)."""
    missing: dict[int, tuple[str, str]] = {}
    for n, (kind, market) in enumerate(sorted(world.markets.items())):
        found = await _required_attribute(world, kind)
        if found is None:
            continue
        category, attribute = found
        async with world.hub.db.session() as s:
            _, offers = await upsert_products(
                s,
                world.account_id,
                [
                    model.Product(
                        sku=f"{BAD_SKU}-{kind}",
                        name="Card without its required attribute",
                        category_id=category,
                        offers=[
                            model.Offer(
                                sku=f"{BAD_SKU}-{kind}",
                                barcodes=[ean13(770_000 + n)],  # one barcode per marketplace
                            )
                        ],
                    )
                ],
            )
            offer_id = offers.ids[f"{BAD_SKU}-{kind}"]
            s.add(
                OfferPrice(
                    account_id=world.account_id,
                    offer_id=offer_id,
                    price_type_id=world.ids.price_types["base"],
                    amount=Decimal("1990"),
                )
            )
            conn = await s.get(Connection, market.connection_id)
        assert conn is not None
        await export_cards(world.hub.db, conn, world.hub.channels.get(conn), [offer_id])

        async def answered(conn_id: int = market.connection_id) -> bool:
            await world.run(conn_id, JobKind.MODERATION)
            async with world.hub.db.session() as s:
                rows = await s.execute(select(CardExport.status).where(CardExport.connection_id == conn_id))
                return {r[0] for r in rows} == {"done"}

        await wait_for(answered, timeout=30, every=0.3)
        missing[market.connection_id] = (f"{BAD_SKU}-{kind}", attribute.name)
    assert missing, "no marketplace takes cards with required attributes"
    return missing


async def test_rejected_card_shows_its_reason(world: World, context: BrowserContext, shots: Path) -> None:
    missing = await _reject_a_card(world)
    page = await context.new_page()
    await log_in(page, world.api_key)
    await page.get_by_role("link", name="Products").click()
    await page.screenshot(path=shots / "products.png")
    await page.select_option("select[name=status]", "rejected")
    await page.get_by_role("button", name="Search").click()
    rows = page.locator("table.products tbody tr")
    await expect(rows).to_have_count(len(missing))
    await expect(rows.first.locator(".status-rejected").first).to_have_text("rejected")
    found = page.url
    for conn_id, (sku, attribute) in missing.items():  # each card was sent to one marketplace
        await page.goto(found)
        await rows.filter(has_text=sku).get_by_role("link").click()
        await expect(page.locator("h1")).to_contain_text(sku)
        row = page.locator(f'tr[data-connection="{conn_id}"]')
        await expect(row.locator(".status-rejected")).to_have_text("rejected")
        reasons = row.locator("xpath=following-sibling::tr[1]").get_by_test_id("reasons")
        await expect(reasons).to_contain_text(attribute)
    await page.screenshot(path=shots / "product-rejected.png", full_page=True)
    # the same page in Russian, the switch kept in a cookie
    await page.get_by_role("link", name="RU", exact=True).click()
    await expect(page.locator(".status-rejected").first).to_have_text("отклонён")
    await page.get_by_role("link", name="Заказы").click()
    await expect(page.locator("h1")).to_have_text("Заказы")
    await expect(page.locator('section[data-status="new"] h2')).to_contain_text("Новые")
    await page.screenshot(path=shots / "orders-ru.png")


async def test_every_screen_and_a_redelivered_webhook(
    world: World, context: BrowserContext, shots: Path
) -> None:
    assert world.hub_url is not None
    async with httpx.AsyncClient(
        base_url=world.hub_url, headers={"Authorization": f"Bearer {world.api_key}"}
    ) as api:
        nobody = f"http://127.0.0.1:{free_port()}/hooks"  # nothing listens there: deliveries fail
        made = await api.post(
            "/api/v1/webhooks", json={"url": nobody, "event_types": [e.value for e in EventType]}
        )
        assert made.status_code == 201, made.text
    for market in world.markets.values():  # events to deliver, and sync runs to show
        await world.run(market.connection_id, JobKind.ORDERS)
        await world.hub.dispatcher.kick(market.connection_id, JobKind.RECONCILE)
    await _reject_a_card(world)

    async def attempted() -> bool:
        async with world.hub.db.session() as s:
            rows = await s.execute(select(WebhookDelivery.attempts).where(WebhookDelivery.attempts > 0))
            return rows.first() is not None

    await wait_for(attempted, timeout=30)
    live = await _running_run(world)
    page = await context.new_page()
    await log_in(page, world.api_key)
    for name, heading in (
        ("Connections", "Connections"),
        ("Mappings", "Mappings"),
        ("Sync runs", "Sync runs"),
        ("Webhooks", "Webhook deliveries"),
    ):
        await page.get_by_role("link", name=name, exact=True).click()
        await expect(page.locator("h1")).to_have_text(heading)
        await page.screenshot(path=shots / f"{name.lower().replace(' ', '-')}.png", full_page=True)
    await _run_progress_shows_by_itself(world, page, live)
    await page.get_by_role("link", name="Webhooks", exact=True).click()
    failed = page.locator("tr[data-delivery]").first
    await expect(failed.locator(".reason")).not_to_be_empty()
    await failed.get_by_role("button", name="Redeliver").click()
    await expect(page.locator(".notice.ok")).to_contain_text("will be sent again")

    await page.get_by_role("link", name="Connections", exact=True).click()
    first = page.locator("section.connection").first
    await first.get_by_role("button", name="Check now").click()
    await expect(page.locator(".notice.ok")).to_contain_text("answers")
    await expect(first.get_by_test_id("health")).to_have_text("OK")
    await page.get_by_role("link", name="Mappings", exact=True).click()
    await expect(page.locator("#warehouses tbody tr")).to_have_count(len(world.catalog.warehouses))
    await expect(page.locator("#prices tbody tr")).to_have_count(2)
    leaf = await page.locator("#remote-categories option").first.get_attribute("value")
    assert leaf, "the marketplace's categories are offered"
    for outcome in (".notice.ok", ".notice.error"):  # the same mapping again is refused with a message
        await page.fill("#categories input[name=hub_category]", "demo")
        await page.fill("#categories input[name=external_category_id]", leaf)
        await page.locator("#categories").get_by_role("button", name="Add").click()
        await expect(page.locator(outcome)).to_be_visible()
    await expect(page.locator(".notice.error")).to_contain_text("exists already")
    await expect(page.locator("#categories tbody tr")).to_have_count(1)
    await expect(page.locator("#categories tbody tr")).to_contain_text(leaf)


async def _running_run(world: World) -> int:
    """A sync run in progress, as a worker records it (status running, counts so far)."""
    async with world.hub.db.session() as s:
        run = SyncRun(
            account_id=world.account_id,
            connection_id=next(iter(world.markets.values())).connection_id,
            kind="catalog",
            trigger="manual",
            status="running",
            counts={"seen": 5},
        )
        s.add(run)
        await s.flush()
        return run.id


async def _run_progress_shows_by_itself(world: World, page: Page, run_id: int) -> None:
    await page.get_by_role("link", name="Sync runs", exact=True).click()
    row = page.locator(f'tr[data-run="{run_id}"]')
    await expect(row).to_contain_text("running")
    await expect(page.locator(".live")).to_be_visible()
    async with world.hub.db.session() as s:
        run = await s.get(SyncRun, run_id)
        assert run is not None
        run.counts = {"seen": 9}
        run.status = "ok"
        run.finished_at = utcnow()
    await expect(row).to_contain_text("seen 9", timeout=8_000)  # no reload by the test
    await expect(row.locator(".status")).to_have_text("ok")


async def test_read_only_key_sees_but_cannot_act(world: World, context: BrowserContext) -> None:
    async with world.hub.db.session() as s:
        raw, _ = await accounts.create_key(s, world.account_id, "read", name="viewer")
    page = await context.new_page()
    await log_in(page, raw)
    await expect(page.locator("header .badge")).to_have_text("read-only")
    await page.get_by_role("link", name="Connections", exact=True).click()
    await expect(page.locator("section.connection").first).to_be_visible()
    await expect(page.get_by_role("button", name="Check now")).to_have_count(0)
    # a form posted anyway (an old page, a crafted request) with the session's valid CSRF token
    # is refused for the key's scope, with a message
    listing = await page.evaluate("() => fetch('/dashboard/connections').then(r => r.text())")
    assert "Check now" not in listing
    token = await page.locator('header form[action$="/logout"] input[name=csrf]').get_attribute("value")
    assert token
    conn_id = next(iter(world.markets.values())).connection_id
    answer = await page.request.post(f"/dashboard/connections/{conn_id}/check", form={"csrf": token})
    assert answer.status == 200 and "/dashboard/connections" in answer.url
    text = await answer.text()
    assert "This key may only read: the action was not done." in text and "expired" not in text
    # logging out ends the session: the pages lead to the login form again
    await page.goto("/dashboard/orders")
    await page.get_by_role("button", name="Log out").click()
    await page.wait_for_url("**/dashboard/login")
    await page.goto("/dashboard/connections")
    assert "/dashboard/login" in page.url
    # a wrong key does not get in
    await page.fill("#api_key", "mb_not-a-key")
    await page.click("button[type=submit]")
    await expect(page.locator(".notice.error")).to_contain_text("unknown or revoked")
