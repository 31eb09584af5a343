"""Unit: parsing Ozon push notifications (the samples of the spec) and the replies Ozon expects."""

from __future__ import annotations

import json
from typing import Any

import pytest

from marketbridge.channels.ozon.push import handle_push
from marketbridge.channels.roles import PushKind
from tests.support.specs import load_json

EXPECTED = {
    "TYPE_NEW_POSTING": PushKind.ORDER_CREATED,
    "TYPE_POSTING_CANCELLED": PushKind.ORDER_CANCELLED,
    "TYPE_STATE_CHANGED": PushKind.ORDER_STATUS,
    "TYPE_CUTOFF_DATE_CHANGED": PushKind.ORDER_STATUS,
    "TYPE_DELIVERY_DATE_CHANGED": PushKind.ORDER_STATUS,
    "TYPE_STOCKS_CHANGED": PushKind.STOCK_CHANGED,
    "TYPE_CREATE_OR_UPDATE_ITEM": PushKind.CARD_CHANGED,
    "TYPE_CREATE_ITEM": PushKind.CARD_CHANGED,
    "TYPE_UPDATE_ITEM": PushKind.CARD_CHANGED,
    "TYPE_PRICE_INDEX_CHANGED": PushKind.CARD_CHANGED,
    "TYPE_NEW_MESSAGE": PushKind.OTHER,
    "TYPE_CHAT_CLOSED": PushKind.OTHER,
}


def sample(kind: str) -> dict[str, Any]:
    body: dict[str, Any] = load_json(f"examples/ozon/push_{kind}.json")["body"]
    return {**body, "message_type": kind}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_spec_samples_are_understood(kind: str) -> None:
    body = sample(kind)
    reply = handle_push({}, json.dumps(body).encode())
    assert reply.status == 200 and reply.body == {"result": True}
    assert (
        reply.message is not None and reply.message.kind == EXPECTED[kind] and reply.message.raw_type == kind
    )
    if "posting_number" in body:
        assert reply.message.order_external_id == body["posting_number"]
        assert reply.message.occurred_at is not None
    again = handle_push({}, json.dumps(body, indent=2).encode())
    assert again.message is not None and again.message.dedup_key == reply.message.dedup_key


def test_different_notifications_have_different_keys() -> None:
    first = sample("TYPE_STATE_CHANGED")
    later = {**first, "new_state": "posting_delivered", "changed_state_date": "2021-02-03T10:00:00Z"}
    a = handle_push({}, json.dumps(first).encode()).message
    b = handle_push({}, json.dumps(later).encode()).message
    assert a is not None and b is not None and a.dedup_key != b.dedup_key


def test_ping_gets_the_handshake_reply() -> None:
    ping = load_json("examples/ozon/push_TYPE_PING_and_replies.json")["ping_request"]
    reply = handle_push({}, json.dumps(ping).encode())
    assert reply.status == 200 and reply.message is None
    assert set(reply.body) == {"version", "name", "time"}


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1, 2]",
        b"{}",
        b'{"message_type": 5}',
        b'{"message_type": "TYPE_NEW_POSTING"}',
        b'{"message_type": "TYPE_STATE_CHANGED", "posting_number": "1-1-1", "changed_state_date": "yesterday"}',
    ],
)
def test_invalid_pushes_get_ozons_error_shape(raw: bytes) -> None:
    reply = handle_push({}, raw)
    assert reply.status == 400 and reply.message is None
    assert reply.body["error"]["code"] == "ERROR_PARAMETER_VALUE_MISSED"
    assert reply.body["error"]["message"]
