"""Ozon's Seller API declared once: every method with its version and rate-limit group, and
the limits Ozon publishes per Client-Id.

`OZON_API` holds the methods the connector calls (the newest version the documentation
offers); `SANDBOX_API` adds the methods only the sandbox serves (older versions and methods
third-party clients use). The connector sends with a margin under `OZON_API.limits`
(`client.py`); the sandbox routes, groups and limits requests by the same declarations.
Every method is a POST; a read, or a write that sets an absolute value, says it may be
retried (`idempotent=True`); the rest (ship, cancel, card import, carriage) may not.
"""

from __future__ import annotations

from marketbridge.channels.endpoints import ApiDeclaration, Endpoint
from marketbridge.runtime.ratelimit import RateLimit


def _read(path: str, group: str = "global") -> Endpoint:
    """A method that may be retried: a read, or a write of an absolute value."""
    return Endpoint("POST", path, group, idempotent=True)


def _write(path: str, group: str = "global") -> Endpoint:
    """A method that changes state in a way a repeat would change again."""
    return Endpoint("POST", path, group, idempotent=False)


# --- the methods the connector calls ------------------------------------------------------
WAREHOUSES = _read("/v1/warehouse/list")
PRODUCT_LIST = _read("/v3/product/list")
PRODUCT_INFO = _read("/v3/product/info/list")
STOCKS = _read("/v2/products/stocks", "stocks")
STOCKS_BY_WAREHOUSE = _read("/v1/product/info/stocks-by-warehouse/fbs")
PRICES = _read("/v1/product/import/prices", "prices")
PRICE_INFO = _read("/v5/product/info/prices")
POSTING_LIST = _read("/v4/posting/fbs/list")
POSTING_GET = _read("/v3/posting/fbs/get")
SHIP = _write("/v4/posting/fbs/ship")
EXEMPLAR_CREATE_OR_GET = _read("/v6/fbs/posting/product/exemplar/create-or-get")
EXEMPLAR_SET = _read("/v6/fbs/posting/product/exemplar/set")
EXEMPLAR_STATUS = _read("/v5/fbs/posting/product/exemplar/status")
LABEL_CREATE = _read("/v3/posting/fbs/package-label/create")
LABEL_GET = _read("/v2/posting/fbs/package-label/get")
CARRIAGE_CREATE = _write("/v1/carriage/create")
CARRIAGE_APPROVE = _write("/v1/carriage/approve")
DIGITAL_ACT_STATUS = _read("/v2/posting/fbs/digital/act/check-status")
ACT_PDF = _read("/v2/posting/fbs/digital/act/get-pdf")
CANCEL = _write("/v2/posting/fbs/cancel")
RETURNS = _read("/v1/returns/list")
CATEGORY_TREE = _read("/v1/description-category/tree")
CATEGORY_ATTRIBUTES = _read("/v1/description-category/attribute")
ATTRIBUTE_VALUES = _read("/v1/description-category/attribute/values")
CARD_IMPORT = _write("/v3/product/import", "import")
CARD_IMPORT_INFO = _read("/v1/product/import/info")

# --- the limits Ozon publishes (per Client-Id) -------------------------------------------
#: 50 requests per second across all methods.
GLOBAL = RateLimit(count=50, per_seconds=1, burst=50)
#: Price and card imports have no figure of their own: they share the global budget.
PUBLISHED_LIMITS: dict[str, RateLimit] = {
    "global": GLOBAL,
    "stocks": RateLimit(count=80, per_seconds=60, burst=80),  # /v2/products/stocks: 80/min per seller
    "prices": GLOBAL,
    "import": GLOBAL,
}

OZON_API = ApiDeclaration.of(
    (
        WAREHOUSES,
        PRODUCT_LIST,
        PRODUCT_INFO,
        STOCKS,
        STOCKS_BY_WAREHOUSE,
        PRICES,
        PRICE_INFO,
        POSTING_LIST,
        POSTING_GET,
        SHIP,
        EXEMPLAR_CREATE_OR_GET,
        EXEMPLAR_SET,
        EXEMPLAR_STATUS,
        LABEL_CREATE,
        LABEL_GET,
        CARRIAGE_CREATE,
        CARRIAGE_APPROVE,
        DIGITAL_ACT_STATUS,
        ACT_PDF,
        CANCEL,
        RETURNS,
        CATEGORY_TREE,
        CATEGORY_ATTRIBUTES,
        ATTRIBUTE_VALUES,
        CARD_IMPORT,
        CARD_IMPORT_INFO,
    ),
    PUBLISHED_LIMITS,
)

# --- methods only the sandbox serves -------------------------------------------------------
STOCKS_INFO = _read("/v4/product/info/stocks")
PRODUCT_LIMIT = _read("/v4/product/info/limit")
POSTING_LIST_V3 = _read("/v3/posting/fbs/list")
UNFULFILLED_V3 = _read("/v3/posting/fbs/unfulfilled/list")
UNFULFILLED = _read("/v4/posting/fbs/unfulfilled/list")
GET_BY_BARCODE = _read("/v2/posting/fbs/get-by-barcode")
EXEMPLAR_SET_V5 = _read("/v5/fbs/posting/product/exemplar/set")
CANCEL_REASONS = _read("/v2/posting/fbs/cancel-reason/list")
CANCEL_REASONS_V1 = _read("/v1/posting/fbs/cancel-reason")
ARBITRATION = _write("/v2/posting/fbs/arbitration")
AWAITING_DELIVERY = _write("/v2/posting/fbs/awaiting-delivery")
LABEL_PDF = _read("/v2/posting/fbs/package-label")
LABEL_CREATE_V2 = _read("/v2/posting/fbs/package-label/create")
LABEL_CREATE_V1 = _read("/v1/posting/fbs/package-label/create")
LABEL_GET_V1 = _read("/v1/posting/fbs/package-label/get")
CARRIAGE_GET = _read("/v1/carriage/get")
ACT_CREATE = _write("/v2/posting/fbs/act/create")
ACT_STATUS = _read("/v2/posting/fbs/act/check-status")
ACT_PDF_PAPER = _read("/v2/posting/fbs/act/get-pdf")
ACT_POSTINGS = _read("/v2/posting/fbs/act/get-postings")

SANDBOX_API = ApiDeclaration.of(
    (
        *OZON_API.endpoints,
        STOCKS_INFO,
        PRODUCT_LIMIT,
        POSTING_LIST_V3,
        UNFULFILLED_V3,
        UNFULFILLED,
        GET_BY_BARCODE,
        EXEMPLAR_SET_V5,
        CANCEL_REASONS,
        CANCEL_REASONS_V1,
        ARBITRATION,
        AWAITING_DELIVERY,
        LABEL_PDF,
        LABEL_CREATE_V2,
        LABEL_CREATE_V1,
        LABEL_GET_V1,
        CARRIAGE_GET,
        ACT_CREATE,
        ACT_STATUS,
        ACT_PDF_PAPER,
        ACT_POSTINGS,
    ),
    OZON_API.limits,
)

#: Ozon takes one stock value per product and warehouse in this many seconds (TOO_MANY_REQUESTS).
STOCK_PAIR_SECONDS = 30.0

# --- the most items one call of a method takes (the sandbox refuses more) -----------------
MAX_STOCK_BATCH = 100
MAX_STOCK_READ_SKUS = 500
MAX_PRICE_BATCH = 1000
MAX_CARD_BATCH = 100
MAX_INFO_IDS = 1000
MAX_LABELS = 20

# --- the page sizes the connector asks for (the most a page of each listing holds) ---------
PAGE_SIZE = 1000
RETURNS_PAGE = 500
VALUES_PAGE = 2000
