"""What the sandbox serves: the connector's declaration of the Wildberries API, plus what
only a sandbox needs to know of each method.

The paths, versions, hosts, rate-limit groups and limit figures come from
`channels.wildberries.endpoints` (named there once); handlers are registered with `route`
from the same endpoints. This table adds each method's token category (`x-category` of
the specs), whether a read-only token is refused (`write`) and the error style of the
service that owns it (read off its host), so that one table drives authorisation, the
server-side rate limits and the shape of error bodies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.types import DecoratedCallable

from marketbridge.channels.endpoints import Endpoint
from marketbridge.channels.wildberries import endpoints as ep
from marketbridge.sandbox.common.limits import BucketSpec
from marketbridge.sandbox.wildberries.errors import Style

#: The published limits as the sandbox's token buckets.
LIMIT_GROUPS: dict[str, BucketSpec] = {
    group: BucketSpec(limit.count, limit.per_seconds, limit.burst) for group, limit in ep.API.limits.items()
}

#: Error style of the service behind each host alias.
_HOST_STYLES = {
    "common": Style.COMMON,
    "marketplace": Style.MARKETPLACE,
    "content": Style.CONTENT,
    "prices": Style.PRICES,
    "returns": Style.RETURNS,
}


@dataclass(frozen=True)
class Served:
    """A declared endpoint with its token category and whether it writes."""

    endpoint: Endpoint
    category: str | tuple[str, ...]
    write: bool

    @property
    def method(self) -> str:
        return self.endpoint.method

    @property
    def path(self) -> str:
        return self.endpoint.path

    @property
    def group(self) -> str:
        return self.endpoint.group

    @property
    def style(self) -> Style:
        return _HOST_STYLES[self.endpoint.host]

    @property
    def categories(self) -> tuple[str, ...]:
        return (self.category,) if isinstance(self.category, str) else self.category


_MP, _CT, _PR = "marketplace", "content", "discountsandprices"

ENDPOINTS: tuple[Served, ...] = (
    Served(ep.PING, "all", False),
    Served(ep.SELLER_INFO, "commonapi", False),
    # content
    Served(ep.SUBJECT_PARENTS, _CT, False),
    Served(ep.SUBJECTS, _CT, False),
    Served(ep.CHARCS, _CT, False),
    Served(ep.CARDS_LIST, ("content", "advert"), False),
    Served(ep.CARDS_ERRORS, _CT, False),
    Served(ep.CARDS_UPLOAD, _CT, True),
    Served(ep.CARDS_UPDATE, _CT, True),
    Served(ep.BARCODES, _CT, True),
    # prices and discounts
    Served(ep.PRICE_TASK, _PR, True),
    Served(ep.PRICE_TASK_SIZE, _PR, True),
    Served(ep.PRICE_HISTORY, _PR, False),
    Served(ep.PRICE_HISTORY_GOODS, _PR, False),
    Served(ep.PRICE_BUFFER, _PR, False),
    Served(ep.PRICE_BUFFER_GOODS, _PR, False),
    Served(ep.GOODS, _PR, False),
    Served(ep.GOODS_SIZES, _PR, False),
    # stocks and warehouses
    Served(ep.STOCKS_PUT, _MP, True),
    Served(ep.STOCKS_GET, _MP, False),
    Served(ep.STOCKS_DELETE, _MP, True),
    Served(ep.WAREHOUSES, _MP, False),
    Served(ep.OFFICES, _MP, False),
    # FBS orders
    Served(ep.ORDERS_NEW, _MP, False),
    Served(ep.ORDERS, _MP, False),
    Served(ep.ORDERS_STATUS, _MP, False),
    Served(ep.ORDER_CANCEL, _MP, True),
    Served(ep.STICKERS, _MP, False),
    Served(ep.ORDER_SGTIN, _MP, True),
    Served(ep.ORDER_UIN, _MP, True),
    Served(ep.ORDER_IMEI, _MP, True),
    Served(ep.ORDER_GTIN, _MP, True),
    Served(ep.ORDER_EXPIRATION, _MP, True),
    Served(ep.ORDERS_META, _MP, False),
    # supplies
    Served(ep.SUPPLY_CREATE, _MP, True),
    Served(ep.SUPPLIES, _MP, False),
    Served(ep.SUPPLY, _MP, False),
    Served(ep.SUPPLY_DELETE, _MP, True),
    Served(ep.SUPPLY_ADD, _MP, True),
    Served(ep.SUPPLY_ADD_ONE, _MP, True),
    Served(ep.SUPPLY_ORDER_IDS, _MP, False),
    Served(ep.SUPPLY_ORDERS, _MP, False),
    Served(ep.SUPPLY_DELIVER, _MP, True),
    Served(ep.SUPPLY_BARCODE, _MP, False),
    # returns
    Served(ep.CLAIMS, "returns", False),
    Served(ep.CLAIM_ANSWER, "returns", True),
)

_unserved = set(ep.API.endpoints) - {s.endpoint for s in ENDPOINTS}
if _unserved:
    raise RuntimeError(f"declared but not served: {sorted(e.path for e in _unserved)}")

_COMPILED: tuple[tuple[re.Pattern[str], Served], ...] = tuple((s.endpoint.pattern(), s) for s in ENDPOINTS)


def _normal(path: str) -> str:
    """The path without a trailing slash (WB's gateway takes both)."""
    return path.rstrip("/") or "/"


def match(method: str, path: str) -> Served | None:
    """The endpoint serving `method path`, or None when the sandbox does not know it."""
    path = _normal(path)
    for pattern, served in _COMPILED:
        if served.method == method and pattern.match(path):
            return served
    return None


def style_for(path: str) -> Style:
    """The error style of whatever serves `path` (any method); marketplace by default."""
    path = _normal(path)
    for pattern, served in _COMPILED:
        if pattern.match(path):
            return served.style
    return Style.MARKETPLACE


def route(
    api: APIRouter, endpoint: Endpoint, **options: Any
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """Register a handler of a declared endpoint: its method and path (with the spec's
    parameter names, which the handler's arguments take)."""
    return api.api_route(endpoint.path, methods=[endpoint.method], **options)


#: Path parameters as the specs name them, read into snake_case handler arguments.
OrderId = Annotated[str, Path(alias="orderId")]
SupplyId = Annotated[str, Path(alias="supplyId")]
WarehouseId = Annotated[str, Path(alias="warehouseId")]
SubjectId = Annotated[str, Path(alias="subjectId")]
