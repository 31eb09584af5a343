"""Yandex Market's Partner API declared once: every method with its version, scope and limit.

A path names what it is scoped to: `/businesses/{businessId}/...` (the seller's cabinet: the
catalog, business prices, the v3 stocks and warehouses) or `/campaigns/{campaignId}/...`
(one shop, which on FBS is one warehouse: v2 stocks, campaign prices). Each method has its
own published limit (`x-resource-limit-config` of the description), so each is its own
rate-limit group; the limits are the lower ("none") of the two tiers the description gives.
Where the description counts a limit by the items of the request (`path: req.skus`, ...),
`ITEMS_COUNTED` names the request field: the connector spends one unit per item and the
sandbox charges the same; where it counts the items answered (`path: resp.result.offers`),
`ANSWER_COUNTED` says where they are and the sandbox charges them after answering. A call
over a limit is answered HTTP 420, not 429.

The connector calls the newest method of each kind (the v3 stock and warehouse methods of the
2026-08 description); the sandbox serves the older ones too (`SANDBOX_API`).
"""

from __future__ import annotations

from marketbridge.channels.endpoints import ApiDeclaration, Endpoint
from marketbridge.runtime.ratelimit import RateLimit

DEFAULT_BASE_URL = "https://api.partner.market.yandex.ru"

#: The status Yandex Market answers when a limit is exceeded ("Enhance Your Calm").
LIMIT_STATUS = 420

MINUTE, HOUR = 60.0, 3600.0


def _read(path: str, group: str, method: str = "POST") -> Endpoint:
    """A method that reads (a POST with a filter body is a read too): safe to retry."""
    return Endpoint(method, path, group, idempotent=True)


def _write(path: str, group: str, method: str = "POST") -> Endpoint:
    """A method that sets absolute values (stocks, prices, cards): a repeat changes nothing more."""
    return Endpoint(method, path, group, idempotent=True)


_B = "/v2/businesses/{businessId}"
_B3 = "/v3/businesses/{businessId}"
_C = "/v2/campaigns/{campaignId}"

# --- campaigns (shops) and warehouses ----------------------------------------------------
CAMPAIGNS = _read("/v2/campaigns", "campaigns", "GET")
CAMPAIGN = _read(_C, "campaign", "GET")
PARTNER_WAREHOUSES = _read(f"{_B3}/warehouses", "warehouses_v3")
# --- catalog (business level) ------------------------------------------------------------
OFFER_MAPPINGS = _read(f"{_B}/offer-mappings", "offer_mappings")
OFFER_MAPPINGS_UPDATE = _write(f"{_B}/offer-mappings/update", "offer_mappings_update")
OFFER_CARDS = _read(f"{_B}/offer-cards", "offer_cards")
OFFER_CARDS_UPDATE = _write(f"{_B}/offer-cards/update", "offer_cards_update")
CATEGORIES_TREE = _read("/v2/categories/tree", "categories_tree")
CATEGORY_PARAMETERS = _read("/v2/category/{categoryId}/parameters", "category_parameters")
# --- orders ---------------------------------------------------------------------------------
BUSINESS_ORDERS = _read("/v1/businesses/{businessId}/orders", "business_orders")
CAMPAIGN_ORDER = _read(f"{_C}/orders/{{orderId}}", "campaign_order", "GET")  # deprecated
ORDER_STATUS = _write(f"{_C}/orders/{{orderId}}/status", "order_status", "PUT")
ORDER_STATUSES = Endpoint("POST", f"{_C}/orders/status-update", "order_statuses", idempotent=True)
ORDER_ITEMS = _write(f"{_C}/orders/{{orderId}}/items", "order_items", "PUT")
ORDER_BOXES = _write(f"{_C}/orders/{{orderId}}/boxes", "order_boxes", "PUT")
ORDER_IDENTIFIERS_STATUS = _read(f"{_C}/orders/{{orderId}}/identifiers/status", "identifiers_status")
ORDER_LABELS = _read(f"{_C}/orders/{{orderId}}/delivery/labels", "order_labels", "GET")
BOX_LABEL = _read(
    f"{_C}/orders/{{orderId}}/delivery/shipments/{{shipmentId}}/boxes/{{boxId}}/label", "box_label", "GET"
)
_FM = f"{_C}/first-mile/shipments"
SHIPMENTS = _read(_FM, "shipments", "PUT")
SHIPMENT = _read(f"{_FM}/{{shipmentId}}", "shipment", "GET")
SHIPMENT_CONFIRM = _write(f"{_FM}/{{shipmentId}}/confirm", "shipment_confirm")
SHIPMENT_ACT = _read(f"{_FM}/{{shipmentId}}/act", "shipment_act", "GET")
SHIPMENT_WAYBILL = _read(f"{_FM}/{{shipmentId}}/transportation-waybill", "shipment_waybill", "GET")
SHIPMENT_DISCREPANCY_ACT = _read(f"{_FM}/{{shipmentId}}/discrepancy-act", "shipment_discrepancy_act", "GET")
LABELS_REPORT = _write("/v2/reports/documents/labels/generate", "labels_report")
REPORT_INFO = _read("/v2/reports/info/{reportId}", "report_info", "GET")
CANCELLATION_ACCEPT = _write(f"{_C}/orders/{{orderId}}/cancellation/accept", "order_cancellation", "PUT")
RETURNS = _read(f"{_C}/returns", "returns", "GET")
RETURN = _read(f"{_C}/orders/{{orderId}}/returns/{{returnId}}", "return", "GET")
# --- stocks --------------------------------------------------------------------------------
STOCKS_V3_UPDATE = _write(f"{_B3}/offers/stocks/update", "stocks_v3_update")
STOCKS_V3 = _read(f"{_B3}/offers/stocks", "stocks_v3")
STOCKS_V2_UPDATE = _write(f"{_C}/offers/stocks", "stocks_v2_update", "PUT")
STOCKS_V2 = _read(f"{_C}/offers/stocks", "stocks_v2")
# --- prices and price quarantine -----------------------------------------------------------
BUSINESS_PRICES_UPDATE = _write(f"{_B}/offer-prices/updates", "business_prices_update")
BUSINESS_PRICES = _read(f"{_B}/offer-prices", "business_prices")
CAMPAIGN_PRICES_UPDATE = _write(f"{_C}/offer-prices/updates", "campaign_prices_update")
BUSINESS_QUARANTINE = _read(f"{_B}/price-quarantine", "business_quarantine")
BUSINESS_QUARANTINE_CONFIRM = _write(f"{_B}/price-quarantine/confirm", "business_quarantine_confirm")
CAMPAIGN_QUARANTINE = _read(f"{_C}/price-quarantine", "campaign_quarantine")
CAMPAIGN_QUARANTINE_CONFIRM = _write(f"{_C}/price-quarantine/confirm", "campaign_quarantine_confirm")


def _per(amount: int, period: float, burst: int) -> RateLimit:
    return RateLimit(count=amount, per_seconds=period, burst=burst)


#: The published limits ("none" tier). For item-counted groups the count is items, and the
#: burst is one full batch, so a full call always fits an untouched budget.
LIMITS: dict[str, RateLimit] = {
    "campaigns": _per(1000, HOUR, 100),
    "campaign": _per(5000, HOUR, 500),
    "warehouses_v3": _per(100, HOUR, 10),
    "offer_mappings": _per(100, MINUTE, 100),
    "offer_mappings_update": _per(5000, MINUTE, 500),  # items: req.offerMappings
    "offer_cards": _per(100, MINUTE, 100),
    "offer_cards_update": _per(5000, MINUTE, 500),  # items: req.offersContent
    "categories_tree": _per(50, HOUR, 50),
    "category_parameters": _per(100, MINUTE, 100),
    "business_orders": _per(10_000, HOUR, 1000),
    "campaign_order": _per(10_000, HOUR, 1000),
    "order_status": _per(10_000, HOUR, 1000),
    "order_statuses": _per(10_000, HOUR, 1000),  # counted by the orders answered
    "order_cancellation": _per(500, HOUR, 50),
    "labels_report": _per(1000, HOUR, 100),
    "report_info": _per(100, MINUTE, 100),
    "returns": _per(5000, HOUR, 500),
    "return": _per(7000, HOUR, 700),
    "order_boxes": _per(10_000, HOUR, 1000),
    "order_items": _per(10_000, HOUR, 1000),
    "order_labels": _per(10_000, HOUR, 1000),
    "identifiers_status": _per(1000, HOUR, 100),
    "box_label": _per(10_000, HOUR, 1000),
    "shipments": _per(200, HOUR, 20),
    "shipment": _per(200, HOUR, 20),
    "shipment_confirm": _per(200, HOUR, 20),
    "shipment_act": _per(200, HOUR, 20),
    "shipment_waybill": _per(200, HOUR, 20),
    "shipment_discrepancy_act": _per(200, HOUR, 20),
    "stocks_v3_update": _per(50, MINUTE, 50),  # requests of up to 2,000 items
    "stocks_v3": _per(500, MINUTE, 500),
    "stocks_v2_update": _per(100_000, MINUTE, 100_000),  # items: req.skus
    "stocks_v2": _per(100_000, MINUTE, 100_000),  # counted by the offers answered
    "business_prices_update": _per(10_000, MINUTE, 10_000),  # items: req.offers
    "business_prices": _per(5000, MINUTE, 5000),  # counted by the offers answered
    "campaign_prices_update": _per(10_000, MINUTE, 10_000),  # items: req.offers
    "business_quarantine": _per(5000, MINUTE, 5000),
    "business_quarantine_confirm": _per(5000, MINUTE, 5000),  # items: req.offerIds
    "campaign_quarantine": _per(5000, MINUTE, 5000),
    "campaign_quarantine_confirm": _per(5000, MINUTE, 5000),  # items: req.offerIds
}

#: Groups whose limit counts the items of a request field rather than requests.
ITEMS_COUNTED: dict[str, str] = {
    "offer_mappings_update": "offerMappings",
    "offer_cards_update": "offersContent",
    "stocks_v2_update": "skus",
    "business_prices_update": "offers",
    "campaign_prices_update": "offers",
    "business_quarantine_confirm": "offerIds",
    "campaign_quarantine_confirm": "offerIds",
}

#: Groups whose limit counts the items of the answer (`path: resp.result.offers`, ...): the
#: path to the counted list in the answer (a list on the way counts each of its entries).
ANSWER_COUNTED: dict[str, tuple[str, ...]] = {
    "stocks_v2": ("result", "warehouses", "offers"),
    "business_prices": ("result", "offers"),
    "order_statuses": ("result", "orders"),
}

#: The most items one call takes (the description's maxItems).
MAX_ITEMS: dict[str, int] = {
    "offer_mappings_update": 500,
    "offer_cards_update": 100,
    "stocks_v3_update": 2000,
    "stocks_v2_update": 2000,
    "business_prices_update": 500,
    "campaign_prices_update": 2000,
    "business_quarantine_confirm": 200,
    "campaign_quarantine_confirm": 200,
    "order_statuses": 30,
}

#: The largest page of each listing (`limit`; a larger one is cut down to it, not refused).
PAGE_LIMITS: dict[str, int] = {
    "business_orders": 50,
    "returns": 100,
    "campaigns": 100,
    "warehouses_v3": 30,
    "offer_mappings": 100,
    "offer_cards": 200,
    "stocks_v3": 100,
    "stocks_v2": 100,  # 200 before the 2026-08 description
    "business_prices": 500,
    "business_quarantine": 200,
    "campaign_quarantine": 200,
}

#: What the connector calls.
API = ApiDeclaration.of(
    (
        CAMPAIGNS, PARTNER_WAREHOUSES,
        OFFER_MAPPINGS, OFFER_MAPPINGS_UPDATE, OFFER_CARDS, CATEGORIES_TREE, CATEGORY_PARAMETERS,
        STOCKS_V3_UPDATE, BUSINESS_PRICES_UPDATE,
        BUSINESS_ORDERS, ORDER_STATUS, ORDER_STATUSES, ORDER_BOXES, ORDER_IDENTIFIERS_STATUS, ORDER_LABELS,
        CANCELLATION_ACCEPT,
        RETURNS, SHIPMENTS, SHIPMENT_CONFIRM, SHIPMENT_ACT,
    ),
    LIMITS,
)  # fmt: skip

#: What the sandbox serves: the connector's methods and the older or neighbouring ones.
SANDBOX_API = ApiDeclaration.of(
    (
        *API.endpoints,
        CAMPAIGN, CAMPAIGN_ORDER, ORDER_ITEMS, RETURN, BOX_LABEL, LABELS_REPORT, REPORT_INFO, SHIPMENT, SHIPMENT_WAYBILL, SHIPMENT_DISCREPANCY_ACT,
        OFFER_CARDS_UPDATE, STOCKS_V3, STOCKS_V2_UPDATE, STOCKS_V2,
        BUSINESS_PRICES, CAMPAIGN_PRICES_UPDATE,
        BUSINESS_QUARANTINE, BUSINESS_QUARANTINE_CONFIRM, CAMPAIGN_QUARANTINE, CAMPAIGN_QUARANTINE_CONFIRM,
    ),
    LIMITS,
)  # fmt: skip

#: Share of each published rate the connector sends at (requests in flight arrive late or
#: out of order: sending at exactly the published rate would meet 420s).
MARGIN = 0.9


def sending_limit(group: str) -> RateLimit:
    """The limit the connector keeps to in `group`: 90 % of the rate, a burst a fifth smaller
    (never below one full batch of an item-counted group)."""
    limit = LIMITS[group]
    floor = MAX_ITEMS.get(group, 1) if group in ITEMS_COUNTED else 1
    burst = max(floor, limit.burst - limit.burst // 5)
    return RateLimit(limit.count * MARGIN, limit.per_seconds, burst)


SENDING_LIMITS: dict[str, RateLimit] = {group: sending_limit(group) for group in LIMITS}
