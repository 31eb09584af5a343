"""Returns source: buyer returns and claims, created or changed since a moment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from marketbridge.channels.roles.orders import RemoteOrderLine
from marketbridge.model import ReturnStatus


@dataclass
class RemoteReturn:
    external_id: str
    order_external_id: str | None
    status: ReturnStatus
    created_at: datetime
    lines: list[RemoteOrderLine]
    reason: str | None = None


class ReturnsSource(Protocol):
    def iter_returns(self, since: datetime) -> AsyncIterator[list[RemoteReturn]]: ...
