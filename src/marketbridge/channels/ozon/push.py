"""Ozon push notifications: parse, classify, and say what to answer.

Ozon POSTs `{"message_type": "TYPE_...", ...}` to the seller's URL. TYPE_PING (sent when the
URL is set up) is answered `{"version", "name", "time"}`; every other notification that
parses is answered 200 `{"result": true}`. A body that is not a valid push gets 400 with
Ozon's error shape. Ozon documents no signature (only its source IP ranges), so there is
nothing to verify cryptographically.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from marketbridge import __version__ as VERSION
from marketbridge.channels.errors import BadResponse
from marketbridge.channels.ozon.mapping import when
from marketbridge.channels.push_body import json_object
from marketbridge.channels.roles import PushKind, PushMessage, PushReply

POSTING_KINDS = {
    "TYPE_NEW_POSTING": PushKind.ORDER_CREATED,
    "TYPE_POSTING_CANCELLED": PushKind.ORDER_CANCELLED,
    "TYPE_STATE_CHANGED": PushKind.ORDER_STATUS,
    "TYPE_CUTOFF_DATE_CHANGED": PushKind.ORDER_STATUS,
    "TYPE_DELIVERY_DATE_CHANGED": PushKind.ORDER_STATUS,
}
OTHER_KINDS = {
    "TYPE_STOCKS_CHANGED": PushKind.STOCK_CHANGED,
    "TYPE_CREATE_OR_UPDATE_ITEM": PushKind.CARD_CHANGED,
    "TYPE_CREATE_ITEM": PushKind.CARD_CHANGED,
    "TYPE_UPDATE_ITEM": PushKind.CARD_CHANGED,
    "TYPE_PRICE_INDEX_CHANGED": PushKind.CARD_CHANGED,
}
#: The field holding the moment of each posting notification.
MOMENT_FIELD = {
    "TYPE_NEW_POSTING": "in_process_at",
    "TYPE_POSTING_CANCELLED": "changed_state_date",
    "TYPE_STATE_CHANGED": "changed_state_date",
    "TYPE_CUTOFF_DATE_CHANGED": "new_cutoff_date",
    "TYPE_DELIVERY_DATE_CHANGED": "new_delivery_date_begin",
}


def error_reply(message: str, code: str = "ERROR_PARAMETER_VALUE_MISSED") -> PushReply:
    return PushReply(status=400, body={"error": {"code": code, "message": message, "details": None}})


def _digest(body: Mapping[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def handle_push(headers: Mapping[str, str], raw: bytes) -> PushReply:
    body, problem = json_object(raw)
    if body is None:
        return error_reply(problem or "the body is not a notification")
    kind = body.get("message_type")
    if not isinstance(kind, str) or not kind.startswith("TYPE_"):
        return error_reply("message_type is missing")
    if kind == "TYPE_PING":
        return PushReply(
            status=200,
            body={"version": VERSION, "name": "marketbridge", "time": datetime.now(UTC).isoformat()},
        )
    try:
        message = _message(kind, body)
    except BadResponse as exc:
        return error_reply(str(exc).removeprefix("ozon: "))
    return PushReply(status=200, body={"result": True}, message=message)


def _message(kind: str, body: Mapping[str, Any]) -> PushMessage:
    if kind in POSTING_KINDS:
        number = body.get("posting_number")
        if not isinstance(number, str) or not number:
            raise BadResponse(f"ozon: posting_number is missing in {kind}")
        field = MOMENT_FIELD[kind]
        moment = when(body.get(field), f"{kind} {field}")
        state = str(body.get("new_state") or "")
        return PushMessage(
            kind=POSTING_KINDS[kind],
            dedup_key=f"ozon:{kind}:{number}:{state}:{body.get(field) or _digest(body)}",
            occurred_at=moment,
            order_external_id=number,
            raw_type=kind,
        )
    moment = when(body.get("changed_at"), f"{kind} changed_at") if "changed_at" in body else None
    return PushMessage(
        kind=OTHER_KINDS.get(kind, PushKind.OTHER),
        dedup_key=f"ozon:{kind}:{_digest(body)}",
        occurred_at=moment,
        raw_type=kind,
    )
