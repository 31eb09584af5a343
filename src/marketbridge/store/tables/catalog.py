"""The seller's catalog and what links it to the marketplaces: products, offers, barcodes,
bundles, links, categories and card exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketbridge.store.tables.base import Base, foreign_key
from marketbridge.store.types import BigId, Json, UtcDateTime, utcnow


class Link(Base):
    """What a hub entity is called on one connection, plus its listing state there."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("connection_id", "entity_kind", "external_id"),
        Index("ix_links_entity", "connection_id", "entity_kind", "entity_id"),
        Index("ix_links_by_entity", "entity_kind", "entity_id"),  # an offer's listings on every connection
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    connection_id: Mapped[int] = foreign_key("connections.id", index=False)
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
    account_id: Mapped[int] = foreign_key("accounts.id")
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
    __table_args__ = (
        UniqueConstraint("account_id", "sku"),
        Index("ix_offers_page", "account_id", "id"),  # an account's offers in id order: the API's pages
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    product_id: Mapped[int | None] = foreign_key("products.id", nullable=True, ondelete="SET NULL")
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
    account_id: Mapped[int] = foreign_key("accounts.id", index=False)
    offer_id: Mapped[int] = foreign_key("offers.id")
    value: Mapped[str] = mapped_column(String(64))


class BundleComponent(Base):
    __tablename__ = "bundle_components"
    __table_args__ = (UniqueConstraint("bundle_id", "component_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bundle_id: Mapped[int] = foreign_key("offers.id", index=False)
    component_id: Mapped[int] = foreign_key("offers.id")
    quantity: Mapped[int] = mapped_column(Integer)


class CategoryMapping(Base):
    __tablename__ = "category_mappings"
    __table_args__ = (UniqueConstraint("connection_id", "hub_category"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    connection_id: Mapped[int] = foreign_key("connections.id", index=False)
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


class CardExport(Base):
    """A card export task sent to a marketplace, followed until moderation answers."""

    __tablename__ = "card_exports"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    connection_id: Mapped[int] = foreign_key("connections.id")
    task_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | done
    offer_codes: Mapped[list[str]] = mapped_column(Json, default=list)
    results: Mapped[list[Any]] = mapped_column(Json, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
