"""The database tables. Every row that belongs to a seller carries account_id (tenant).

Uniqueness that protects against doubles is declared here as constraints, never checked in
code: one link per (connection, kind, external id), one order per (connection, external
id), one inbox row per (connection, dedup key), one pending change per (connection, kind, key).
The tables live in one module per area; this package gathers them (and so the metadata).
"""

from __future__ import annotations

from marketbridge.store.tables.accounts import (
    Account,
    ApiKey,
    Connection,
    DashboardSession,
    IdempotencyRecord,
)
from marketbridge.store.tables.base import NAMING, Base, Money
from marketbridge.store.tables.catalog import (
    Barcode,
    BundleComponent,
    CachedCategory,
    CardExport,
    CategoryMapping,
    Link,
    Offer,
    Product,
)
from marketbridge.store.tables.events import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription
from marketbridge.store.tables.inventory import (
    OfferPrice,
    PriceMapping,
    PriceType,
    Reservation,
    StockLevel,
    Warehouse,
    WarehouseMapping,
)
from marketbridge.store.tables.orders import Box, HandoverDocument, Label, Order, OrderLine, Return
from marketbridge.store.tables.work import InboxItem, Lease, PendingChange, PushedValue, SyncCursor, SyncRun

__all__ = [
    "NAMING",
    "Account",
    "ApiKey",
    "Barcode",
    "Base",
    "Box",
    "BundleComponent",
    "CachedCategory",
    "CardExport",
    "CategoryMapping",
    "Connection",
    "DashboardSession",
    "Event",
    "HandoverDocument",
    "IdempotencyRecord",
    "InboxItem",
    "Label",
    "Lease",
    "Link",
    "Money",
    "Offer",
    "OfferPrice",
    "Order",
    "OrderLine",
    "PendingChange",
    "PriceMapping",
    "PriceType",
    "Product",
    "PushedValue",
    "Reservation",
    "Return",
    "StockLevel",
    "SyncCursor",
    "SyncRun",
    "Warehouse",
    "WarehouseMapping",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
