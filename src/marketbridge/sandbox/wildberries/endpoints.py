"""Every Wildberries path the sandbox serves, with its token category, limit group and error style.

One table drives authorisation (`x-category` of the specs, read-only tokens refused on
writes), the server-side rate limits and the shape of error bodies, so the handlers only
hold the business rules. Limits are the WB figures (token bucket: count per period, burst).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from marketbridge.sandbox.common.limits import BucketSpec
from marketbridge.sandbox.wildberries.errors import Style

#: Limit groups with the real figures (specs' `description_limit` blocks and the WB limits article).
LIMIT_GROUPS: dict[str, BucketSpec] = {
    "marketplace": BucketSpec(300, 60, 20),
    "orders_cancel": BucketSpec(100, 60, 20),
    "meta": BucketSpec(1000, 60, 20),
    "stocks": BucketSpec(300, 60, 20),
    "warehouses": BucketSpec(300, 60, 20),
    "prices": BucketSpec(10, 6, 5),
    "content": BucketSpec(100, 60, 5),
    "cards_upload": BucketSpec(10, 60, 5),
    "returns": BucketSpec(20, 60, 10),
    "ping": BucketSpec(3, 30, 3),
    "common": BucketSpec(1, 60, 10),
}


#: Groups where "one request answered 409 counts as 10 requests" (specs' limit notes).
CONFLICT_COST_GROUPS = frozenset({"marketplace", "orders_cancel", "meta", "stocks", "warehouses"})
CONFLICT_COST = 10


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    category: str | tuple[str, ...]
    style: Style
    group: str
    write: bool

    @property
    def categories(self) -> tuple[str, ...]:
        return (self.category,) if isinstance(self.category, str) else self.category


_M, _C, _P, _R = Style.MARKETPLACE, Style.CONTENT, Style.PRICES, Style.RETURNS

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/ping", "all", Style.COMMON, "ping", False),
    Endpoint("GET", "/api/v1/seller-info", "commonapi", Style.COMMON, "common", False),
    # content
    Endpoint("GET", "/content/v2/object/parent/all", "content", _C, "content", False),
    Endpoint("GET", "/content/v2/object/all", "content", _C, "content", False),
    Endpoint("GET", "/content/v2/object/charcs/{subjectId}", "content", _C, "content", False),
    Endpoint("POST", "/content/v2/get/cards/list", ("content", "advert"), _C, "content", False),
    Endpoint("POST", "/content/v2/cards/error/list", "content", _C, "cards_upload", False),
    Endpoint("POST", "/content/v2/cards/upload", "content", _C, "cards_upload", True),
    Endpoint("POST", "/content/v2/cards/update", "content", _C, "cards_upload", True),
    Endpoint("POST", "/content/v2/barcodes", "content", _C, "content", True),
    # prices and discounts
    Endpoint("POST", "/api/v2/upload/task", "discountsandprices", _P, "prices", True),
    Endpoint("POST", "/api/v2/upload/task/size", "discountsandprices", _P, "prices", True),
    Endpoint("GET", "/api/v2/history/tasks", "discountsandprices", _P, "prices", False),
    Endpoint("GET", "/api/v2/history/goods/task", "discountsandprices", _P, "prices", False),
    Endpoint("GET", "/api/v2/buffer/tasks", "discountsandprices", _P, "prices", False),
    Endpoint("GET", "/api/v2/buffer/goods/task", "discountsandprices", _P, "prices", False),
    Endpoint("GET", "/api/v2/list/goods/filter", "discountsandprices", _P, "prices", False),
    Endpoint("GET", "/api/v2/list/goods/size/nm", "discountsandprices", _P, "prices", False),
    # stocks and warehouses
    Endpoint("PUT", "/api/v3/stocks/{warehouseId}", "marketplace", _M, "stocks", True),
    Endpoint("POST", "/api/v3/stocks/{warehouseId}", "marketplace", _M, "stocks", False),
    Endpoint("DELETE", "/api/v3/stocks/{warehouseId}", "marketplace", _M, "stocks", True),
    Endpoint("GET", "/api/v3/warehouses", "marketplace", _M, "warehouses", False),
    Endpoint("GET", "/api/v3/offices", "marketplace", _M, "warehouses", False),
    # FBS orders
    Endpoint("GET", "/api/v3/orders/new", "marketplace", _M, "marketplace", False),
    Endpoint("GET", "/api/v3/orders", "marketplace", _M, "marketplace", False),
    Endpoint("POST", "/api/v3/orders/status", "marketplace", _M, "marketplace", False),
    Endpoint("PATCH", "/api/v3/orders/{orderId}/cancel", "marketplace", _M, "orders_cancel", True),
    Endpoint("POST", "/api/v3/orders/stickers", "marketplace", _M, "marketplace", False),
    Endpoint("PUT", "/api/v3/orders/{orderId}/meta/sgtin", "marketplace", _M, "meta", True),
    Endpoint("POST", "/api/marketplace/v3/orders/meta", "marketplace", _M, "marketplace", False),
    # supplies
    Endpoint("POST", "/api/v3/supplies", "marketplace", _M, "marketplace", True),
    Endpoint("GET", "/api/v3/supplies", "marketplace", _M, "marketplace", False),
    Endpoint("GET", "/api/v3/supplies/{supplyId}", "marketplace", _M, "marketplace", False),
    Endpoint("DELETE", "/api/v3/supplies/{supplyId}", "marketplace", _M, "marketplace", True),
    Endpoint(
        "PATCH", "/api/marketplace/v3/supplies/{supplyId}/orders", "marketplace", _M, "marketplace", True
    ),
    Endpoint("PATCH", "/api/v3/supplies/{supplyId}/orders/{orderId}", "marketplace", _M, "marketplace", True),
    Endpoint(
        "GET", "/api/marketplace/v3/supplies/{supplyId}/order-ids", "marketplace", _M, "marketplace", False
    ),
    Endpoint("GET", "/api/v3/supplies/{supplyId}/orders", "marketplace", _M, "marketplace", False),
    Endpoint("PATCH", "/api/v3/supplies/{supplyId}/deliver", "marketplace", _M, "marketplace", True),
    Endpoint("GET", "/api/v3/supplies/{supplyId}/barcode", "marketplace", _M, "marketplace", False),
    # returns
    Endpoint("GET", "/api/v1/claims", "returns", _R, "returns", False),
    Endpoint("PATCH", "/api/v1/claim", "returns", _R, "returns", True),
)


def _compile(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "/?$")


_COMPILED: tuple[tuple[re.Pattern[str], Endpoint], ...] = tuple((_compile(e.path), e) for e in ENDPOINTS)


def match(method: str, path: str) -> Endpoint | None:
    """The endpoint serving `method path`, or None when the sandbox does not know it."""
    for pattern, endpoint in _COMPILED:
        if endpoint.method == method and pattern.match(path):
            return endpoint
    return None


def style_for(path: str) -> Style:
    """The error style of whatever serves `path` (any method); marketplace by default."""
    for pattern, endpoint in _COMPILED:
        if pattern.match(path):
            return endpoint.style
    return Style.MARKETPLACE
