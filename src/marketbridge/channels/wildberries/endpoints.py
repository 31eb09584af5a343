"""Every Wildberries method, host and published rate limit, declared once.

The connector calls these endpoints through `ApiClient.send`; the Wildberries sandbox serves
and limits the same declaration (adding only what the sandbox alone needs: each method's
token category and error style). A path holds its version (`/api/v3/...`); path parameters
are named as in WB's specs. WB splits its API over hosts by area: every endpoint names its
host alias, and one configuration maps each alias to its real host (or all to one sandbox).

Limits are WB's published token-bucket figures per rate-limit group (count per period,
burst: the specs' `description_limit` blocks and WB's limits article); the connector keeps
to `SENDING_LIMITS`, a margin below them.
"""

from __future__ import annotations

from marketbridge.channels.endpoints import ApiDeclaration, Endpoint
from marketbridge.runtime.ratelimit import RateLimit

#: Real hosts per alias, used when a connection does not override them.
DEFAULT_HOSTS: dict[str, str] = {
    "marketplace": "https://marketplace-api.wildberries.ru",
    "content": "https://content-api.wildberries.ru",
    "prices": "https://discounts-prices-api.wildberries.ru",
    "common": "https://common-api.wildberries.ru",
    "returns": "https://returns-api.wildberries.ru",
    "statistics": "https://statistics-api.wildberries.ru",
}

#: WB's published limits per method group.
LIMITS: dict[str, RateLimit] = {
    "marketplace": RateLimit(300, 60, 20),  # /api/v3/orders*, /api/v3/supplies*
    "orders_cancel": RateLimit(100, 60, 20),  # PATCH /api/v3/orders/{orderId}/cancel
    "meta": RateLimit(1000, 60, 20),  # PUT /api/v3/orders/{orderId}/meta/*
    "stocks": RateLimit(300, 60, 20),  # /api/v3/stocks/{warehouseId}
    "warehouses": RateLimit(300, 60, 20),  # /api/v3/warehouses, /api/v3/offices
    "prices": RateLimit(10, 6, 5),  # the whole prices-and-discounts category
    "content": RateLimit(100, 60, 5),  # the whole content category
    "cards_upload": RateLimit(10, 60, 5),  # /content/v2/cards/upload, update, error/list
    "returns": RateLimit(20, 60, 10),  # /api/v1/claims
    "ping": RateLimit(3, 30, 3),  # /ping, per host
    "common": RateLimit(1, 60, 10),  # /api/v1/seller-info
}

#: A 409 answer counts as this many requests in these groups (the specs' limit notes).
CONFLICT_COST = 10
CONFLICT_COST_GROUPS = frozenset({"marketplace", "orders_cancel", "meta", "stocks", "warehouses"})

#: Share of WB's rate and burst the connector uses: requests in flight reach WB a little
#: later or out of order, so sending at exactly the published rate would meet 429s.
MARGIN = 0.9


def with_margin(limit: RateLimit) -> RateLimit:
    """The limit the connector keeps to: 90 % of WB's rate, a burst a fifth smaller."""
    return RateLimit(limit.count * MARGIN, limit.per_seconds, max(1, limit.burst - max(1, limit.burst // 5)))


#: What the connector's limiter enforces per group.
SENDING_LIMITS: dict[str, RateLimit] = {group: with_margin(limit) for group, limit in LIMITS.items()}

# --- what the connector calls -----------------------------------------------------------

# marketplace (FBS): warehouses, stocks, assembly tasks, supplies
WAREHOUSES = Endpoint("GET", "/api/v3/warehouses", "warehouses", "marketplace")
STOCKS_PUT = Endpoint("PUT", "/api/v3/stocks/{warehouseId}", "stocks", "marketplace")
ORDERS_NEW = Endpoint("GET", "/api/v3/orders/new", "marketplace", "marketplace")
ORDERS = Endpoint("GET", "/api/v3/orders", "marketplace", "marketplace")
ORDERS_STATUS = Endpoint("POST", "/api/v3/orders/status", "marketplace", "marketplace", idempotent=True)
ORDER_CANCEL = Endpoint(
    "PATCH", "/api/v3/orders/{orderId}/cancel", "orders_cancel", "marketplace", idempotent=True
)
ORDER_SGTIN = Endpoint("PUT", "/api/v3/orders/{orderId}/meta/sgtin", "meta", "marketplace")
ORDER_UIN = Endpoint("PUT", "/api/v3/orders/{orderId}/meta/uin", "meta", "marketplace", idempotent=True)
ORDER_IMEI = Endpoint("PUT", "/api/v3/orders/{orderId}/meta/imei", "meta", "marketplace", idempotent=True)
ORDER_GTIN = Endpoint("PUT", "/api/v3/orders/{orderId}/meta/gtin", "meta", "marketplace", idempotent=True)
ORDER_EXPIRATION = Endpoint(
    "PUT", "/api/v3/orders/{orderId}/meta/expiration", "meta", "marketplace", idempotent=True
)
STICKERS = Endpoint("POST", "/api/v3/orders/stickers", "marketplace", "marketplace", idempotent=True)
SUPPLY_CREATE = Endpoint("POST", "/api/v3/supplies", "marketplace", "marketplace")
SUPPLIES = Endpoint("GET", "/api/v3/supplies", "marketplace", "marketplace")
SUPPLY = Endpoint("GET", "/api/v3/supplies/{supplyId}", "marketplace", "marketplace")
SUPPLY_ADD = Endpoint(
    "PATCH", "/api/marketplace/v3/supplies/{supplyId}/orders", "marketplace", "marketplace", idempotent=True
)
SUPPLY_ORDER_IDS = Endpoint(
    "GET", "/api/marketplace/v3/supplies/{supplyId}/order-ids", "marketplace", "marketplace"
)
SUPPLY_DELIVER = Endpoint(
    "PATCH", "/api/v3/supplies/{supplyId}/deliver", "marketplace", "marketplace", idempotent=True
)
SUPPLY_BARCODE = Endpoint("GET", "/api/v3/supplies/{supplyId}/barcode", "marketplace", "marketplace")
# content: subjects, characteristics, cards
SUBJECTS = Endpoint("GET", "/content/v2/object/all", "content", "content")
CHARCS = Endpoint("GET", "/content/v2/object/charcs/{subjectId}", "content", "content")
CARDS_LIST = Endpoint("POST", "/content/v2/get/cards/list", "content", "content", idempotent=True)
CARDS_ERRORS = Endpoint("POST", "/content/v2/cards/error/list", "cards_upload", "content", idempotent=True)
CARDS_UPLOAD = Endpoint("POST", "/content/v2/cards/upload", "cards_upload", "content")
CARDS_UPDATE = Endpoint("POST", "/content/v2/cards/update", "cards_upload", "content")
# prices and discounts
PRICE_TASK = Endpoint("POST", "/api/v2/upload/task", "prices", "prices")
PRICE_TASK_SIZE = Endpoint("POST", "/api/v2/upload/task/size", "prices", "prices")
PRICE_HISTORY = Endpoint("GET", "/api/v2/history/tasks", "prices", "prices")
PRICE_HISTORY_GOODS = Endpoint("GET", "/api/v2/history/goods/task", "prices", "prices")
GOODS = Endpoint("GET", "/api/v2/list/goods/filter", "prices", "prices")
# returns
CLAIMS = Endpoint("GET", "/api/v1/claims", "returns", "returns")

# --- what only third-party clients call (the sandbox serves them too) -------------------

PING = Endpoint("GET", "/ping", "ping", "common")
SELLER_INFO = Endpoint("GET", "/api/v1/seller-info", "common", "common")
SUBJECT_PARENTS = Endpoint("GET", "/content/v2/object/parent/all", "content", "content")
BARCODES = Endpoint("POST", "/content/v2/barcodes", "content", "content")
PRICE_BUFFER = Endpoint("GET", "/api/v2/buffer/tasks", "prices", "prices")
PRICE_BUFFER_GOODS = Endpoint("GET", "/api/v2/buffer/goods/task", "prices", "prices")
GOODS_SIZES = Endpoint("GET", "/api/v2/list/goods/size/nm", "prices", "prices")
STOCKS_GET = Endpoint("POST", "/api/v3/stocks/{warehouseId}", "stocks", "marketplace", idempotent=True)
STOCKS_DELETE = Endpoint("DELETE", "/api/v3/stocks/{warehouseId}", "stocks", "marketplace")
OFFICES = Endpoint("GET", "/api/v3/offices", "warehouses", "marketplace")
ORDERS_META = Endpoint(
    "POST", "/api/marketplace/v3/orders/meta", "marketplace", "marketplace", idempotent=True
)
SUPPLY_DELETE = Endpoint("DELETE", "/api/v3/supplies/{supplyId}", "marketplace", "marketplace")
SUPPLY_ADD_ONE = Endpoint(
    "PATCH", "/api/v3/supplies/{supplyId}/orders/{orderId}", "marketplace", "marketplace"
)
SUPPLY_ORDERS = Endpoint("GET", "/api/v3/supplies/{supplyId}/orders", "marketplace", "marketplace")
CLAIM_ANSWER = Endpoint("PATCH", "/api/v1/claim", "returns", "returns")

#: The whole Wildberries API this project knows, with WB's limits.
API = ApiDeclaration.of(
    (
        PING, SELLER_INFO,
        SUBJECT_PARENTS, SUBJECTS, CHARCS, CARDS_LIST, CARDS_ERRORS, CARDS_UPLOAD, CARDS_UPDATE, BARCODES,
        PRICE_TASK, PRICE_TASK_SIZE, PRICE_HISTORY, PRICE_HISTORY_GOODS, PRICE_BUFFER, PRICE_BUFFER_GOODS,
        GOODS, GOODS_SIZES,
        STOCKS_PUT, STOCKS_GET, STOCKS_DELETE, WAREHOUSES, OFFICES,
        ORDERS_NEW, ORDERS, ORDERS_STATUS, ORDER_CANCEL, STICKERS, ORDER_SGTIN, ORDER_UIN, ORDER_IMEI,
        ORDER_GTIN, ORDER_EXPIRATION, ORDERS_META,
        SUPPLY_CREATE, SUPPLIES, SUPPLY, SUPPLY_DELETE, SUPPLY_ADD, SUPPLY_ADD_ONE, SUPPLY_ORDER_IDS,
        SUPPLY_ORDERS, SUPPLY_DELIVER, SUPPLY_BARCODE,
        CLAIMS, CLAIM_ANSWER,
    ),
    LIMITS,
)  # fmt: skip
