"""Push handler: notifications the marketplace sends, checked and reduced to what sync acts on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class PushKind(StrEnum):
    PING = "ping"
    ORDER_CREATED = "order_created"
    ORDER_STATUS = "order_status"
    ORDER_CANCELLED = "order_cancelled"
    STOCK_CHANGED = "stock_changed"
    CARD_CHANGED = "card_changed"
    OTHER = "other"


@dataclass
class PushMessage:
    """A marketplace notification reduced to what the sync engine acts on."""

    kind: PushKind
    dedup_key: str
    occurred_at: datetime | None = None
    order_external_id: str | None = None
    raw_type: str | None = None


@dataclass
class PushReply:
    """What to answer the marketplace, and the message to store (None: nothing to store).

    The reply is decided before anything is stored, so it can only say "received"; a
    marketplace that expects a business answer in the reply (accept an order, say) gets
    it from a later call of the connector.
    """

    status: int
    body: Any
    message: PushMessage | None = None


class PushHandler(Protocol):
    """Validates a push (signature where the marketplace signs) and says what to answer."""

    def handle_push(self, headers: Mapping[str, str], body: bytes) -> PushReply: ...
