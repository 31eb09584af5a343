"""Yandex Market notifications: parse, classify, and say what to answer.

Market POSTs `{"notificationType": ..., ...}` to `<the seller's URL>/notification`. Every
notification that parses (PING included) is answered 200 `{"version", "name", "time"}`; a
body that is not a valid notification gets 400 `{"error": {"type": "WRONG_EVENT_FORMAT",
"message"}}`. Market may send an event more than once and in another order: the dedup key
is the event itself (type, order, status pair, moment), and the order is read again from
the API before anything is decided. No signature is documented (only the sender's IP ranges).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime

from marketbridge import __version__ as VERSION
from marketbridge.channels.errors import BadResponse
from marketbridge.channels.push_body import json_object
from marketbridge.channels.roles import PushKind, PushMessage, PushReply
from marketbridge.channels.yandex_market.client import KIND
from marketbridge.channels.yandex_market.orders import moment_of

#: notificationType -> (what sync does with it, the field holding the event's moment).
ORDER_EVENTS: dict[str, tuple[PushKind, str]] = {
    "ORDER_CREATED": (PushKind.ORDER_CREATED, "createdAt"),
    "ORDER_STATUS_UPDATED": (PushKind.ORDER_STATUS, "updatedAt"),
    "ORDER_CANCELLED": (PushKind.ORDER_CANCELLED, "cancelledAt"),
    "ORDER_CANCELLATION_REQUEST": (PushKind.ORDER_STATUS, "requestedAt"),
    "ORDER_UPDATED": (PushKind.ORDER_STATUS, "updatedAt"),
}


def _reply() -> dict[str, str]:
    return {
        "version": VERSION,
        "name": "marketbridge",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def error_reply(message: str) -> PushReply:
    return PushReply(status=400, body={"error": {"type": "WRONG_EVENT_FORMAT", "message": message}})


def handle_push(headers: Mapping[str, str], raw: bytes) -> PushReply:
    body, problem = json_object(raw)
    if body is None:
        return error_reply(problem or "the body is not a notification")
    kind = body.get("notificationType")
    if not isinstance(kind, str) or not kind:
        return error_reply("notificationType is missing")
    if kind == "PING":
        return PushReply(status=200, body=_reply())
    if kind in ORDER_EVENTS:
        push_kind, moment_field = ORDER_EVENTS[kind]
        order_id = body.get("orderId")
        if isinstance(order_id, bool) or not isinstance(order_id, int):
            return error_reply(f"orderId is missing in {kind}")
        try:
            moment = moment_of(body.get(moment_field), moment_field)
        except BadResponse:
            return error_reply(f"{moment_field} is missing or not a date-time in {kind}")
        pair = f"{body.get('status') or ''}/{body.get('substatus') or ''}"
        message = PushMessage(
            kind=push_kind,
            dedup_key=f"{KIND}:{kind}:{order_id}:{pair}:{body[moment_field]}",
            occurred_at=moment,
            order_external_id=str(order_id),
            raw_type=kind,
        )
        return PushReply(status=200, body=_reply(), message=message)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]
    message = PushMessage(kind=PushKind.OTHER, dedup_key=f"{KIND}:{kind}:{digest}", raw_type=kind)
    return PushReply(status=200, body=_reply(), message=message)
