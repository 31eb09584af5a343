"""Webhook deliveries (newest first) with their last answer, and redelivery of any of them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from marketbridge.store.tables import Event, WebhookDelivery, WebhookSubscription
from marketbridge.sync import webhook_delivery
from marketbridge.sync.errors import NotFound
from marketbridge.web.pages import IdPath, Page, checked_form, hub_of, redirect, render, url

router = APIRouter()

SHOWN = 100


@router.get("/webhooks")
async def deliveries(request: Request, viewer: Page, status: str = "") -> Response:
    hub = hub_of(request)
    query = (
        select(WebhookDelivery, Event.type, WebhookSubscription.url)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.account_id == viewer.account_id)
    )
    if status in ("pending", "delivered", "dead"):
        query = query.where(WebhookDelivery.status == status)
    async with hub.db.session() as s:
        rows = list((await s.execute(query.order_by(WebhookDelivery.id.desc()).limit(SHOWN))).tuples())
        subscriptions = list(
            (
                await s.execute(
                    select(WebhookSubscription)
                    .where(WebhookSubscription.account_id == viewer.account_id)
                    .order_by(WebhookSubscription.id)
                )
            ).scalars()
        )
    return render(request, viewer, "webhooks.html", rows=rows, subscriptions=subscriptions, status=status)


@router.post("/webhooks/{delivery_id}/redeliver")
async def redeliver(request: Request, delivery_id: IdPath, viewer: Page) -> Response:
    back = url("/webhooks")
    _, t, refused = await checked_form(request, viewer, back)
    if refused:
        return refused
    try:  # the same redelivery the seller API does
        await webhook_delivery.redeliver(hub_of(request).db, viewer.account_id, delivery_id)
    except NotFound:
        return redirect(request, back, ("error", t("not_found.text")))
    return redirect(request, back, ("ok", f"#{delivery_id}: {t('wh.redelivered')}"))
