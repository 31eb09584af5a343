"""The database tables. Every row that belongs to a seller carries account_id (tenant).

Uniqueness that protects against doubles is declared here as constraints, never checked in
code: one link per (connection, kind, external id), one order per (connection, external
id), one inbox row per (connection, dedup key), one pending change per (connection, kind, key).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from marketbridge.store.types import BigId, Json, UtcDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(14, 2, asdecimal=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _fk(target: str, *, nullable: bool = False, ondelete: str = "CASCADE", index: bool = True) -> Any:
    return mapped_column(BigId, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    scope: Mapped[str] = mapped_column(String(16))  # read | write
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Connection(Base):
    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("account_id", "name"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    kind: Mapped[str] = mapped_column(String(40))  # the registered channel kind (a channels/ package)
    name: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[bytes] = mapped_column(LargeBinary)  # Fernet token of a JSON object
    base_urls: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    push_secret: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_check_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Link(Base):
    """What a hub entity is called on one connection, plus its listing state there."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("connection_id", "entity_kind", "external_id"),
        Index("ix_links_entity", "connection_id", "entity_kind", "entity_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    connection_id: Mapped[int] = _fk("connections.id", index=False)
    entity_kind: Mapped[str] = mapped_column(String(20))  # offer | shipment (a box split off an order)
    entity_id: Mapped[int] = mapped_column(BigId)
    external_id: Mapped[str] = mapped_column(String(128))
    external_code: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("account_id", "sku"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    sku: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    brand: Mapped[str | None] = mapped_column(String(200), nullable=True)
    category_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    images: Mapped[list[Any]] = mapped_column(Json, default=list)
    attributes: Mapped[list[Any]] = mapped_column(Json, default=list)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Offer(Base):
    """A sellable unit; a bundle is an offer of kind 'bundle' with components."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("account_id", "sku"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    product_id: Mapped[int | None] = _fk("products.id", nullable=True, ondelete="SET NULL")
    kind: Mapped[str] = mapped_column(String(10), default="simple")  # simple | bundle
    sku: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    size: Mapped[str | None] = mapped_column(String(64), nullable=True)
    color: Mapped[str | None] = mapped_column(String(64), nullable=True)
    weight_g: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requires_marking: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Barcode(Base):
    __tablename__ = "barcodes"
    __table_args__ = (UniqueConstraint("account_id", "value"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id", index=False)
    offer_id: Mapped[int] = _fk("offers.id")
    value: Mapped[str] = mapped_column(String(64))


class BundleComponent(Base):
    __tablename__ = "bundle_components"
    __table_args__ = (UniqueConstraint("bundle_id", "component_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bundle_id: Mapped[int] = _fk("offers.id", index=False)
    component_id: Mapped[int] = _fk("offers.id")
    quantity: Mapped[int] = mapped_column(Integer)


class Warehouse(Base):
    __tablename__ = "warehouses"
    __table_args__ = (UniqueConstraint("account_id", "code"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    code: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))


class WarehouseMapping(Base):
    """Hub warehouse → marketplace warehouse of a connection (many to many)."""

    __tablename__ = "warehouse_mappings"
    __table_args__ = (UniqueConstraint("connection_id", "warehouse_id", "external_warehouse_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    connection_id: Mapped[int] = _fk("connections.id", index=False)
    warehouse_id: Mapped[int] = _fk("warehouses.id")
    external_warehouse_id: Mapped[str] = mapped_column(String(128))


class StockLevel(Base):
    __tablename__ = "stock_levels"
    __table_args__ = (UniqueConstraint("offer_id", "warehouse_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    offer_id: Mapped[int] = _fk("offers.id", index=False)
    warehouse_id: Mapped[int] = _fk("warehouses.id")
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Reservation(Base):
    __tablename__ = "reservations"
    __table_args__ = (UniqueConstraint("order_id", "offer_id", "warehouse_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    order_id: Mapped[int] = _fk("orders.id", index=False)
    offer_id: Mapped[int] = _fk("offers.id")
    warehouse_id: Mapped[int] = _fk("warehouses.id")
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PriceType(Base):
    __tablename__ = "price_types"
    __table_args__ = (UniqueConstraint("account_id", "code"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="RUB")


class OfferPrice(Base):
    __tablename__ = "offer_prices"
    __table_args__ = (UniqueConstraint("offer_id", "price_type_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    offer_id: Mapped[int] = _fk("offers.id", index=False)
    price_type_id: Mapped[int] = _fk("price_types.id")
    amount: Mapped[Decimal] = mapped_column(Money)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class PriceMapping(Base):
    """Which hub price type feeds which marketplace price field (price, old_price, min_price)."""

    __tablename__ = "price_mappings"
    __table_args__ = (UniqueConstraint("connection_id", "target"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    connection_id: Mapped[int] = _fk("connections.id", index=False)
    price_type_id: Mapped[int] = _fk("price_types.id")
    target: Mapped[str] = mapped_column(String(20))


class CategoryMapping(Base):
    __tablename__ = "category_mappings"
    __table_args__ = (UniqueConstraint("connection_id", "hub_category"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    connection_id: Mapped[int] = _fk("connections.id", index=False)
    hub_category: Mapped[str] = mapped_column(String(200))
    external_category_id: Mapped[str] = mapped_column(String(64))


class CachedCategory(Base):
    """A marketplace's category tree, cached per channel kind (it is the same for every seller)."""

    __tablename__ = "cached_categories"
    __table_args__ = (UniqueConstraint("channel_kind", "external_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_kind: Mapped[str] = mapped_column(String(40))  # a Connection.kind
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(500))
    parent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    leaf: Mapped[bool] = mapped_column(Boolean, default=True)
    attributes: Mapped[list[Any] | None] = mapped_column(Json, nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("connection_id", "external_id"),
        Index("ix_orders_account_status", "account_id", "status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id", index=False)
    connection_id: Mapped[int] = _fk("connections.id", index=False)
    external_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(20))
    raw_status: Mapped[str] = mapped_column(String(100), default="")
    group_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    warehouse_external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    buyer_city: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ship_by: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    handover_id: Mapped[str | None] = mapped_column(String(128), nullable=True)


class OrderLine(Base):
    __tablename__ = "order_lines"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = _fk("orders.id")
    offer_id: Mapped[int | None] = _fk("offers.id", nullable=True, ondelete="SET NULL")
    offer_code: Mapped[str] = mapped_column(String(128))
    external_offer_id: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Money)
    name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    requires_marking: Mapped[bool] = mapped_column(Boolean, default=False)


class Box(Base):
    __tablename__ = "boxes"
    __table_args__ = (UniqueConstraint("order_id", "number"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = _fk("orders.id", index=False)
    number: Mapped[int] = mapped_column(Integer)
    lines: Mapped[list[Any]] = mapped_column(Json)
    shipment_external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)


class Label(Base):
    __tablename__ = "labels"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = _fk("orders.id")
    shipment_external_id: Mapped[str] = mapped_column(String(128))
    format: Mapped[str] = mapped_column(String(8))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Return(Base):
    __tablename__ = "returns"
    __table_args__ = (UniqueConstraint("connection_id", "external_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    connection_id: Mapped[int] = _fk("connections.id", index=False)
    external_id: Mapped[str] = mapped_column(String(128))
    order_id: Mapped[int | None] = _fk("orders.id", nullable=True, ondelete="SET NULL")
    order_external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    lines: Mapped[list[Any]] = mapped_column(Json)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    restocked: Mapped[bool] = mapped_column(Boolean, default=False)


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_conn_kind", "connection_id", "kind", "started_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    connection_id: Mapped[int] = _fk("connections.id", index=False)
    kind: Mapped[str] = mapped_column(String(20))  # a JobKind value
    trigger: Mapped[str] = mapped_column(String(20), default="schedule")  # schedule | kick | change | manual
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | ok | partial | failed
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    counts: Mapped[dict[str, int]] = mapped_column(Json, default=dict)
    errors: Mapped[list[Any]] = mapped_column(Json, default=list)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class PendingChange(Base):
    """A stock or price value waiting to be pushed; a newer value overwrites (coalesces) an older one."""

    __tablename__ = "pending_changes"
    __table_args__ = (
        UniqueConstraint("connection_id", "kind", "key"),
        Index("ix_pending_due", "connection_id", "kind", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    connection_id: Mapped[int] = _fk("connections.id", index=False)
    kind: Mapped[str] = mapped_column(String(10))  # stock | price (ChangeKind in sync/dispatch.py)
    key: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class InboxItem(Base):
    """A received marketplace push, stored before it is acknowledged."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("connection_id", "dedup_key"),
        Index("ix_inbox_status", "status", "received_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    connection_id: Mapped[int] = _fk("connections.id", index=False)
    dedup_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))  # a PushKind value
    order_external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="new")  # new | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Event(Base):
    """The outbox: every event told to the seller, in order (seq is the feed cursor)."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_account_seq", "account_id", "seq"),)
    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    account_id: Mapped[int] = _fk("accounts.id", index=False)
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    url: Mapped[str] = mapped_column(String(2048))
    event_types: Mapped[list[str]] = mapped_column(Json, default=list)
    secret: Mapped[bytes] = mapped_column(LargeBinary)  # Fernet token
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    event_id: Mapped[str] = mapped_column(String(36), ForeignKey("events.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = _fk("webhook_subscriptions.id", index=False)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WebhookAttempt(Base):
    """One try at sending a webhook delivery: when, what came back, how long it took."""

    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = _fk("webhook_deliveries.id")
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class CardExport(Base):
    """A card export task sent to a marketplace, followed until moderation answers."""

    __tablename__ = "card_exports"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id")
    connection_id: Mapped[int] = _fk("connections.id")
    task_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | done
    offer_codes: Mapped[list[str]] = mapped_column(Json, default=list)
    results: Mapped[list[Any]] = mapped_column(Json, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("account_id", "key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = _fk("accounts.id", index=False)
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PushedValue(Base):
    """The last value a marketplace accepted for a key, so that only real changes are pushed."""

    __tablename__ = "pushed_values"
    __table_args__ = (UniqueConstraint("connection_id", "kind", "key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    connection_id: Mapped[int] = _fk("connections.id", index=False)
    kind: Mapped[str] = mapped_column(String(10))  # stock | price (ChangeKind in sync/dispatch.py)
    key: Mapped[str] = mapped_column(String(300))
    value: Mapped[dict[str, Any]] = mapped_column(Json)
    pushed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Lease(Base):
    """A named lease: at most one holder at a time (one run per connection and kind)."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SyncCursor(Base):
    """Where a connection's incremental sync of one kind got to (e.g. the last order poll)."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("connection_id", "kind"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    connection_id: Mapped[int] = _fk("connections.id", index=False)
    kind: Mapped[str] = mapped_column(String(20))  # the polling job: orders | returns
    value: Mapped[datetime] = mapped_column(UtcDateTime)
