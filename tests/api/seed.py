"""One of everything in an account, written straight into the store: for walking every endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from marketbridge.model import EventType
from marketbridge.store import accounts
from marketbridge.store.connections import create_connection
from marketbridge.store.events import emit
from marketbridge.store.tables import (
    CachedCategory,
    HandoverDocument,
    Offer,
    Order,
    OrderLine,
    Product,
    Return,
    SyncRun,
    WebhookDelivery,
    WebhookSubscription,
)
from marketbridge.sync.webhook_delivery import fan_out
from marketbridge.wiring import Hub


@dataclass
class Seeded:
    ids: dict[str, int | str]


async def seed_account(
    hub: Hub,
    account_id: int,
    kind: str,
    tag: str,
    credentials: dict[str, str] | None = None,
    base_urls: dict[str, str] | None = None,
) -> Seeded:
    """A connection, product, offer, order (handed over, with its document), return, sync run,
    subscription, delivery, key and category."""
    now = datetime.now(UTC)
    async with hub.db.session() as s:
        conn = await create_connection(
            s,
            hub.box,
            account_id=account_id,
            kind=kind,
            name=f"conn-{tag}",
            credentials=credentials or {"token": "t", "client_id": "1", "api_key": "k"},
            base_urls=base_urls or {"default": "http://127.0.0.1:9"},
        )
        product = Product(account_id=account_id, sku=f"P-{tag}", name="p", images=[], attributes=[])
        s.add(product)
        await s.flush()
        offer = Offer(account_id=account_id, sku=f"O-{tag}", product_id=product.id)
        s.add(offer)
        order = Order(
            account_id=account_id,
            connection_id=conn.id,
            external_id=f"ORD-{tag}",
            status="new",
            placed_at=now,
            total=Decimal("10.00"),
            handover_id=f"H-{tag}",
        )
        s.add(order)
        document = HandoverDocument(
            account_id=account_id,
            connection_id=conn.id,
            handover_id=f"H-{tag}",
            kind="act",
            format="pdf",
            content=b"%PDF-1.4 act",
        )
        s.add(document)
        await s.flush()
        s.add(
            OrderLine(
                order_id=order.id,
                offer_id=offer.id,
                offer_code=offer.sku,
                external_offer_id="1",
                quantity=1,
                price=Decimal("10.00"),
            )
        )
        ret = Return(
            account_id=account_id,
            connection_id=conn.id,
            external_id=f"R-{tag}",
            order_id=order.id,
            status="opened",
            lines=[{"offer_id": offer.id, "quantity": 1}],
            opened_at=now,
        )
        run = SyncRun(account_id=account_id, connection_id=conn.id, kind="orders", status="ok")
        sub = WebhookSubscription(
            account_id=account_id,
            url="http://127.0.0.1:9/hook",
            event_types=[EventType.ORDER_CREATED.value],
            secret=hub.box.encrypt_text("s" * 20),
        )
        s.add_all([ret, run, sub])
        cat_id = f"cat-{tag}"
        s.add(CachedCategory(channel_kind=kind, external_id=cat_id, name="c", attributes=[]))
        _, key = await accounts.create_key(s, account_id, "read", name=f"key-{tag}")
        await s.flush()
        await emit(s, account_id, EventType.ORDER_CREATED, {"order_id": order.id})
        ids: dict[str, int | str] = {
            "connection_id": conn.id,
            "product_id": product.id,
            "offer_id": offer.id,
            "order_id": order.id,
            "return_id": ret.id,
            "run_id": run.id,
            "document_id": document.id,
            "subscription_id": sub.id,
            "key_id": key.id,
            "external_id": cat_id,
            "kind": kind,
            "secret": conn.push_secret,
        }
    await fan_out(hub)
    async with hub.db.session() as s:
        query = select(WebhookDelivery.id).where(WebhookDelivery.subscription_id == sub.id)
        ids["delivery_id"] = (await s.execute(query)).scalar_one()
    return Seeded(ids)
