"""Webhook delivery: fan events out to subscriptions, sign, send, retry with backoff, never lose one.

Worker-side work owned by the scheduler: every worker runs `deliver_due` on its tick, and
an event written anywhere wakes it after commit (`sync/kicks.py`). `redeliver` is the
use-case behind "send it again" in the API and the dashboard.

`deliver_due(hub)` does one round of work and is safe to run from several processes:
1. fan-out: events not yet fanned out become one `webhook_deliveries` row per matching
   subscription (unique per event and subscription, so a second fan-out adds nothing);
2. claim: due deliveries are pushed a little into the future before anything is sent, in
   the fan-out's transaction (one write per round, none when nothing is due), so a parallel round does not send them too, and a crash mid-send
   only delays them until the claim expires (at-least-once);
3. send: each delivery is POSTed with `Webhook-Id` (the event id: receivers deduplicate on
   it), `Webhook-Timestamp` and `Webhook-Signature: v1=<hex HMAC-SHA256(secret, "{ts}.{body}")>`;
   the target is resolved and checked first (`runtime/targets.py`: no internal address,
   loopback only with `allow_loopback_targets`) and the connection goes to the checked
   address; redirects are not followed;
4. record: every attempt is a `webhook_attempts` row with the status code or a short error
   class, never the receiver's body; a 2xx marks the delivery delivered,
   anything else schedules the next attempt with exponential backoff, and a delivery that
   still fails after the retry window (more than 24 hours by default) becomes `dead`.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marketbridge.runtime.metrics import WEBHOOK_DELIVERIES
from marketbridge.runtime.targets import TargetRefused, check_target, pinned_request
from marketbridge.store.db import Database
from marketbridge.store.tables import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription
from marketbridge.store.types import utcnow
from marketbridge.store.upsert import chunks, insert_for
from marketbridge.sync.errors import NotFound
from marketbridge.sync.kicks import wake_after_commit

if TYPE_CHECKING:
    from marketbridge.sync.services import Services

log = structlog.get_logger(__name__)

SIGNATURE_VERSION = "v1"
#: Events fanned out per round.
FAN_OUT_LIMIT = 500
USER_AGENT = "marketbridge-webhooks/1"


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff of failed deliveries: first_delay doubling up to max_delay, for give_up_after seconds."""

    first_delay: float = 10.0
    max_delay: float = 3600.0
    give_up_after: float = 25 * 3600.0
    timeout: float = 10.0
    claim_seconds: float = 60.0
    concurrency: int = 10

    def delay(self, attempts: int) -> float:
        """Pause after the `attempts`-th failed attempt."""
        return float(min(self.first_delay * 2 ** max(attempts - 1, 0), self.max_delay))


DEFAULT_POLICY = RetryPolicy()


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS settings of every round's client, built once per process: building them (loading
    the trusted certificates) takes tens of milliseconds, which every round would otherwise
    spend holding the event loop before its first send."""
    return httpx.create_ssl_context()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `Webhook-Signature` value for a body sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={mac}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, tolerance: float = 300.0) -> bool:
    """What a receiver does: recompute, compare in constant time, refuse stale timestamps."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs(time.time() - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


def event_body(event: Event) -> bytes:
    """The delivered JSON: the same bytes on every attempt."""
    payload = {
        "id": event.id,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "data": event.data,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


#: Events that were not fanned out to the subscriptions yet.
NEW_EVENTS = select(Event.seq).where(Event.fanned_out.is_(False))


async def fan_out(hub: Services, limit: int = FAN_OUT_LIMIT) -> int:
    """Turn events not yet fanned out into deliveries; returns how many events were handled."""
    if not await hub.db.exists(NEW_EVENTS):
        return 0  # the usual case of a tick: looked at without taking the write lock
    async with hub.db.session() as s:
        return await _fan_out(s, limit, utcnow())


async def _fan_out(s: AsyncSession, limit: int, now: datetime) -> int:
    """Fan out in the session `s`; the deliveries are due at `now`."""
    events = list(
        (
            await s.execute(select(Event).where(Event.fanned_out.is_(False)).order_by(Event.seq).limit(limit))
        ).scalars()
    )
    if not events:
        return 0
    accounts = sorted({e.account_id for e in events})
    subscriptions: dict[int, list[WebhookSubscription]] = {}
    for part in chunks(accounts):
        for sub in (
            await s.execute(
                select(WebhookSubscription).where(
                    WebhookSubscription.account_id.in_(part), WebhookSubscription.enabled.is_(True)
                )
            )
        ).scalars():
            subscriptions.setdefault(sub.account_id, []).append(sub)
    rows: list[dict[str, Any]] = [
        {
            "account_id": e.account_id,
            "event_id": e.id,
            "subscription_id": sub.id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for e in events
        for sub in subscriptions.get(e.account_id, [])
        if e.type in sub.event_types
    ]
    if rows:
        stmt = insert_for(s, WebhookDelivery)
        await s.execute(stmt.on_conflict_do_nothing(index_elements=["event_id", "subscription_id"]), rows)
    await s.execute(update(Event).where(Event.seq.in_([e.seq for e in events])).values(fanned_out=True))
    return len(events)


#: The error of an attempt whose subscription secret the configured keys cannot decrypt.
UNREADABLE_SECRET = "the subscription's signing secret cannot be decrypted with the configured secret key"


def _readable_secret(hub: Services, sealed: bytes) -> str | None:
    """The signing secret, or None when it cannot be decrypted (that delivery fails alone)."""
    try:
        return hub.box.decrypt_text(sealed)
    except ValueError:
        return None


@dataclass
class _Claimed:
    delivery_id: int
    url: str
    secret: str | None  # None: unreadable, the attempt fails without sending
    event_id: str
    body: bytes
    attempts: int
    created_at: datetime


async def _claim(hub: Services, limit: int, policy: RetryPolicy) -> list[_Claimed]:
    """Fan out new events and claim the due deliveries, in one write transaction (none when
    there is nothing to do)."""
    now = utcnow()
    due_now = (WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
    fresh = await hub.db.exists(NEW_EVENTS)
    if not fresh and not await hub.db.exists(select(WebhookDelivery.id).where(*due_now)):
        return []
    async with hub.db.session() as s:
        if fresh:
            await _fan_out(s, FAN_OUT_LIMIT, now)
        due = list(
            (
                await s.execute(
                    select(WebhookDelivery)
                    .where(*due_now)
                    .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).scalars()
        )
        if not due:
            return []
        subs = {
            sub.id: sub
            for sub in (
                await s.execute(
                    select(WebhookSubscription).where(
                        WebhookSubscription.id.in_({d.subscription_id for d in due})
                    )
                )
            ).scalars()
        }
        events = {
            e.id: e
            for e in (await s.execute(select(Event).where(Event.id.in_({d.event_id for d in due})))).scalars()
        }
        for d in due:
            d.next_attempt_at = now + timedelta(seconds=policy.claim_seconds)
    # decrypting and building the bodies needs no write turn: after the commit
    return [
        _Claimed(
            d.id,
            subs[d.subscription_id].url,
            _readable_secret(hub, subs[d.subscription_id].secret),
            d.event_id,
            event_body(events[d.event_id]),
            d.attempts,
            d.created_at,
        )
        for d in due
    ]


async def _send(
    hub: Services, client: httpx.AsyncClient, item: _Claimed
) -> tuple[int | None, str | None, int]:
    """(status code, short error or None, milliseconds); the receiver's body is never kept."""
    assert item.secret is not None
    started = time.monotonic()
    try:
        target = await check_target(
            item.url, hub.resolver, allow_loopback=hub.settings.allow_loopback_targets
        )
    except TargetRefused as exc:
        return None, f"target_refused: {exc}"[:300], int((time.monotonic() - started) * 1000)
    url, host, extensions = pinned_request(target)
    timestamp = int(time.time())
    headers = {
        **host,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Webhook-Id": item.event_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": sign(item.secret, timestamp, item.body),
    }
    try:  # streamed and closed unread: the body is never downloaded
        async with client.stream(
            "POST", url, content=item.body, headers=headers, extensions=extensions
        ) as response:
            status = response.status_code
    except httpx.HTTPError as exc:
        return None, type(exc).__name__, int((time.monotonic() - started) * 1000)
    elapsed = int((time.monotonic() - started) * 1000)
    return status, None if 200 <= status < 300 else f"HTTP {status}", elapsed


async def _record(
    hub: Services,
    item: _Claimed,
    status_code: int | None,
    error: str | None,
    elapsed_ms: int,
    policy: RetryPolicy,
) -> str:
    now = utcnow()
    attempts = item.attempts + 1
    if error is None:
        outcome, next_at = "delivered", now
    elif (now - item.created_at).total_seconds() >= policy.give_up_after:
        outcome, next_at = "dead", now
    else:
        outcome, next_at = "pending", now + timedelta(seconds=policy.delay(attempts))
    async with hub.db.session() as s:
        s.add(
            WebhookAttempt(
                delivery_id=item.delivery_id,
                attempted_at=now,
                status_code=status_code,
                error=error,
                duration_ms=elapsed_ms,
            )
        )
        await s.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == item.delivery_id)
            .values(
                status=outcome,
                attempts=attempts,
                next_attempt_at=next_at,
                last_status_code=status_code,
                last_error=error,
                delivered_at=now if outcome == "delivered" else None,
            )
        )
    WEBHOOK_DELIVERIES.labels(outcome if outcome != "pending" else "failed_will_retry").inc()
    log.info(
        "webhook_attempt",
        delivery_id=item.delivery_id,
        event_id=item.event_id,
        attempt=attempts,
        status_code=status_code,
        outcome=outcome,
        error=error,
    )
    return outcome


async def deliver_due(
    hub: Services,
    limit: int = 100,
    policy: RetryPolicy = DEFAULT_POLICY,
    client: httpx.AsyncClient | None = None,
) -> int:
    """One round: fan out new events, then send up to `limit` due deliveries; returns how many were sent."""
    claimed = await _claim(hub, limit, policy)
    if not claimed:
        return 0
    own = client is None
    # no proxy from the environment: the connection must go to the address that was checked
    http = client or httpx.AsyncClient(
        timeout=policy.timeout, follow_redirects=False, trust_env=False, verify=_tls()
    )
    gate = asyncio.Semaphore(policy.concurrency)

    async def one(item: _Claimed) -> None:
        async with gate:
            outcome: tuple[int | None, str | None, int] = (None, UNREADABLE_SECRET, 0)
            if item.secret is not None:
                outcome = await _send(hub, http, item)
            status_code, error, elapsed = outcome
            await _record(hub, item, status_code, error, elapsed, policy)

    try:
        await asyncio.gather(*(one(item) for item in claimed))
    finally:
        if own:
            await http.aclose()
    return len(claimed)


async def redeliver(db: Database, account_id: int, delivery_id: int) -> None:
    """Send a delivery again now (also a delivered or dead one): its retry window starts over."""
    async with db.session() as s:
        row = await s.get(WebhookDelivery, delivery_id)
        if row is None or row.account_id != account_id:
            raise NotFound("delivery")
        now = utcnow()
        row.status = "pending"
        row.next_attempt_at = now
        row.created_at = now
        row.delivered_at = None
        wake_after_commit(s)
