"""Events the hub tells the seller about, through the events feed and webhooks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from marketbridge.model.common import CanonicalModel


class EventType(StrEnum):
    ORDER_CREATED = "order.created"
    ORDER_STATUS_CHANGED = "order.status_changed"
    ORDER_CANCELLED = "order.cancelled"
    STOCK_ZERO = "stock.zero"
    CARD_MODERATED = "card.moderated"
    CARD_REJECTED = "card.rejected"
    PRICE_REJECTED = "price.rejected"
    RETURN_OPENED = "return.opened"
    SYNC_FAILED = "sync.failed"


class Event(CanonicalModel):
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    type: EventType
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    data: dict[str, Any] = Field(default_factory=dict)
