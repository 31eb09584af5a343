"""What every connector is, whatever roles it plays: bound to one connection, checkable.

Conventions every role keeps:
- Listing calls are async iterators of pages (lists), so nothing is held whole in memory;
  they page with channels.paging, never with a hand-written loop.
- Batch calls take any number of items and split them into the largest batches the
  marketplace allows (channels.batching); they report one ItemResult per item and never
  fail the whole batch for one bad item.
- Every HTTP call goes through channels.http.ApiClient with a declared Endpoint.
- A malformed marketplace answer raises BadResponse, never a KeyError or TypeError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ConnectionConfig:
    """Everything a channel needs to talk for one connection.

    `base_urls` maps host aliases to URLs (a single-host marketplace uses "default");
    `credentials` are decrypted values, to be used and never logged; `settings` are the
    connection's channel-specific options (validated by the channel).
    """

    connection_id: str
    base_urls: Mapping[str, str]
    credentials: Mapping[str, str]
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class RemoteWarehouse:
    """A warehouse of the seller's on the marketplace (where stock is counted)."""

    external_id: str
    name: str
    active: bool = True


@dataclass
class ItemResult:
    """The outcome for one item of a batch call; `key` is the item's external id.

    `wait` (seconds) marks a pacing rule, not a refusal: the marketplace takes one value of
    this item per `wait` seconds, so the change waits until that long after the item's last
    accepted value and goes out then (no error is recorded, no attempt counted).
    """

    key: str
    ok: bool
    code: str | None = None
    message: str | None = None
    retryable: bool = False
    wait: float | None = None


class Channel(Protocol):
    """The part every connector has: its kind, a credentials check, its warehouses, close."""

    kind: str

    async def aclose(self) -> None: ...

    async def check(self) -> None:
        """A cheap call that raises AuthError when the credentials do not work."""

    async def list_warehouses(self) -> list[RemoteWarehouse]: ...
