"""Webhook subscriptions (URL, event types, secret) and their deliveries: log of attempts, redelivery.

A subscription's URL is resolved and checked when it is written (and again at every
delivery): an internal address is refused with 422 `webhook_target_refused`.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select

from marketbridge.api.deps import HubDep, Reader, Writer
from marketbridge.api.fields import IdPath, IdQuery, valid_url
from marketbridge.api.idempotency import not_replayable
from marketbridge.api.pagination import Cursor, Limit, Page, next_cursor, page_rows
from marketbridge.api.problems import FieldError, Problem
from marketbridge.api.scoped import owned
from marketbridge.model import EventType
from marketbridge.runtime.redaction import url_for_readers
from marketbridge.runtime.targets import TargetRefused, check_target
from marketbridge.store.accounts import Principal
from marketbridge.store.tables import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription
from marketbridge.sync import webhook_delivery
from marketbridge.wiring import Hub

router = APIRouter(tags=["webhooks"])

EventTypes = Field(min_length=1, max_length=len(EventType), description="event types to receive")


class SubscriptionIn(BaseModel):
    url: str = Field(max_length=2048)
    event_types: list[EventType] = EventTypes
    secret: str | None = Field(
        default=None, min_length=16, max_length=200, description="signing secret; generated when omitted"
    )
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return valid_url(value)


class SubscriptionUpdate(BaseModel):
    url: str | None = Field(default=None, max_length=2048)
    event_types: list[EventType] | None = Field(default=None, min_length=1, max_length=len(EventType))
    enabled: bool | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else valid_url(value)


class SubscriptionOut(BaseModel):
    id: int
    url: str = Field(description="in full for write keys; scheme and host only for read-only keys")
    event_types: list[EventType]
    enabled: bool
    created_at: datetime


class NewSubscriptionOut(SubscriptionOut):
    secret: str | None = Field(
        description="the signing secret; shown only in this response (null in an idempotent replay)"
    )


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    id: int
    subscription_id: int
    event_id: str
    event_type: str
    status: str = Field(description="pending | delivered | dead")
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryDetail(DeliveryOut):
    attempt_log: list[AttemptOut]


def sub_out(row: WebhookSubscription, who: Principal) -> SubscriptionOut:
    """The subscription as `who` may see it: a read-only key sees only the URL's scheme and host."""
    return SubscriptionOut(
        id=row.id,
        url=row.url if who.can_write else url_for_readers(row.url),
        event_types=[EventType(t) for t in row.event_types if t in EventType.__members__.values()],
        enabled=row.enabled,
        created_at=row.created_at,
    )


async def delivery_outs(hub: Hub, rows: list[WebhookDelivery]) -> list[DeliveryOut]:
    async with hub.db.session() as s:
        types = {
            i: t
            for i, t in await s.execute(
                select(Event.id, Event.type).where(Event.id.in_({r.event_id for r in rows}))
            )
        }
    return [
        DeliveryOut(
            id=r.id,
            subscription_id=r.subscription_id,
            event_id=r.event_id,
            event_type=types.get(r.event_id, ""),
            status=r.status,
            attempts=r.attempts,
            next_attempt_at=r.next_attempt_at,
            last_status_code=r.last_status_code,
            last_error=r.last_error,
            delivered_at=r.delivered_at,
            created_at=r.created_at,
        )
        for r in rows
    ]


async def _check_url(hub: Hub, url: str) -> None:
    try:
        await check_target(url, hub.resolver, allow_loopback=hub.settings.allow_loopback_targets)
    except TargetRefused as exc:
        raise Problem(
            422, "webhook_target_refused", str(exc), errors=[FieldError(field="body.url", message=str(exc))]
        ) from exc


@router.post("/webhooks", status_code=201, summary="Subscribe a URL to event types")
async def create_subscription(
    body: SubscriptionIn, request: Request, hub: HubDep, who: Writer
) -> NewSubscriptionOut:
    not_replayable(request, "secret")
    await _check_url(hub, body.url)
    secret = body.secret or "whsec_" + secrets.token_urlsafe(32)
    async with hub.db.session() as s:
        row = WebhookSubscription(
            account_id=who.account_id,
            url=body.url,
            event_types=[t.value for t in body.event_types],
            secret=hub.box.encrypt_text(secret),
            enabled=body.enabled,
        )
        s.add(row)
        await s.flush()
    return NewSubscriptionOut(**sub_out(row, who).model_dump(), secret=secret)


@router.get("/webhooks", summary="List webhook subscriptions")
async def list_subscriptions(
    hub: HubDep, who: Reader, limit: Limit = 100, cursor: Cursor = None
) -> Page[SubscriptionOut]:
    rows = await page_rows(hub.db, WebhookSubscription, who.account_id, cursor, limit)
    return Page(items=[sub_out(r, who) for r in rows], next_cursor=next_cursor([r.id for r in rows], limit))


@router.get("/webhooks/{subscription_id}", summary="Read a subscription (the secret is never returned)")
async def read_subscription(subscription_id: IdPath, hub: HubDep, who: Reader) -> SubscriptionOut:
    async with hub.db.session() as s:
        return sub_out(
            await owned(s, WebhookSubscription, subscription_id, who.account_id, "subscription"), who
        )


@router.patch("/webhooks/{subscription_id}", summary="Change a subscription's URL, event types or state")
async def update_subscription(
    subscription_id: IdPath, body: SubscriptionUpdate, hub: HubDep, who: Writer
) -> SubscriptionOut:
    if body.url is not None:
        await _check_url(hub, body.url)
    async with hub.db.session() as s:
        row = await owned(s, WebhookSubscription, subscription_id, who.account_id, "subscription")
        if body.url is not None:
            row.url = body.url
        if body.event_types is not None:
            row.event_types = [t.value for t in body.event_types]
        if body.enabled is not None:
            row.enabled = body.enabled
        await s.flush()
        return sub_out(row, who)


@router.delete("/webhooks/{subscription_id}", status_code=204, summary="Delete a subscription")
async def delete_subscription(subscription_id: IdPath, hub: HubDep, who: Writer) -> Response:
    async with hub.db.session() as s:
        await s.delete(await owned(s, WebhookSubscription, subscription_id, who.account_id, "subscription"))
    return Response(status_code=204)


@router.get("/webhook-deliveries", summary="Deliveries (newest last), filtered by subscription and status")
async def list_deliveries(
    hub: HubDep,
    who: Reader,
    limit: Limit = 100,
    cursor: Cursor = None,
    subscription_id: IdQuery = None,
    status: Annotated[str | None, Query(pattern="^(pending|delivered|dead)$")] = None,
) -> Page[DeliveryOut]:
    rows = await page_rows(
        hub.db, WebhookDelivery, who.account_id, cursor, limit, subscription_id=subscription_id, status=status
    )
    return Page(items=await delivery_outs(hub, rows), next_cursor=next_cursor([r.id for r in rows], limit))


async def _detail(hub: Hub, delivery_id: int, account_id: int) -> DeliveryDetail:
    async with hub.db.session() as s:
        row = await owned(s, WebhookDelivery, delivery_id, account_id, "delivery")
        attempts = (
            await s.execute(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id == delivery_id)
                .order_by(WebhookAttempt.id)
            )
        ).scalars()
        log = [
            AttemptOut(
                attempted_at=a.attempted_at,
                status_code=a.status_code,
                error=a.error,
                duration_ms=a.duration_ms,
            )
            for a in attempts
        ]
    (out,) = await delivery_outs(hub, [row])
    return DeliveryDetail(**out.model_dump(), attempt_log=log)


@router.get("/webhook-deliveries/{delivery_id}", summary="A delivery with the log of every attempt")
async def read_delivery(delivery_id: IdPath, hub: HubDep, who: Reader) -> DeliveryDetail:
    return await _detail(hub, delivery_id, who.account_id)


@router.post(
    "/webhook-deliveries/{delivery_id}/redeliver",
    status_code=202,
    summary="Send a delivery again now (also a delivered or dead one); its retry window starts over",
)
async def redeliver(delivery_id: IdPath, hub: HubDep, who: Writer) -> DeliveryDetail:
    await webhook_delivery.redeliver(hub.db, who.account_id, delivery_id)
    return await _detail(hub, delivery_id, who.account_id)
