"""The canonical protocol: what every marketplace is translated to and from.

Nothing in this package knows a marketplace; channels map their JSON to these models and
the sync engine, the store and the seller API speak only these.
"""

from marketbridge.model.catalog import (
    AttributeValue,
    Barcode,
    Bundle,
    BundleComponent,
    Category,
    CategoryAttribute,
    Image,
    ListingStatus,
    Offer,
    Product,
)
from marketbridge.model.common import Money, money
from marketbridge.model.events import Event, EventType
from marketbridge.model.orders import (
    MARKING,
    REQUIRED_KINDS,
    Box,
    BoxLine,
    Label,
    LabelFormat,
    LineMeta,
    Order,
    OrderLine,
    OrderStatus,
    Shipment,
    StatusTransitionError,
    can_transition,
    check_transition,
    required_kinds,
)
from marketbridge.model.prices import Price, PriceKind
from marketbridge.model.returns import Return, ReturnLine, ReturnStatus
from marketbridge.model.stocks import StockLevel, Warehouse, bundle_available

__all__ = [
    "MARKING",
    "REQUIRED_KINDS",
    "AttributeValue",
    "Barcode",
    "Box",
    "BoxLine",
    "Bundle",
    "BundleComponent",
    "Category",
    "CategoryAttribute",
    "Event",
    "EventType",
    "Image",
    "Label",
    "LabelFormat",
    "LineMeta",
    "ListingStatus",
    "Money",
    "Offer",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Price",
    "PriceKind",
    "Product",
    "Return",
    "ReturnLine",
    "ReturnStatus",
    "Shipment",
    "StatusTransitionError",
    "StockLevel",
    "Warehouse",
    "bundle_available",
    "can_transition",
    "check_transition",
    "money",
    "required_kinds",
]
