"""Returns and claims: what came back, and what the seller did with it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from marketbridge.model.common import CanonicalModel, Code


class ReturnStatus(StrEnum):
    OPENED = "opened"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    RESTOCKED = "restocked"
    CLOSED = "closed"


class ReturnLine(CanonicalModel):
    offer_sku: Code
    quantity: int = Field(ge=1, le=100_000)


class Return(CanonicalModel):
    external_id: str = Field(min_length=1, max_length=128)
    order_external_id: str | None = None
    status: ReturnStatus = ReturnStatus.OPENED
    reason: str | None = Field(default=None, max_length=2000)
    created_at: datetime
    lines: list[ReturnLine] = Field(min_length=1)
