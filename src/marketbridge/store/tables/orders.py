"""Orders, their lines and boxes, labels, hand-over documents, and returns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketbridge.store.tables.base import Base, Money, foreign_key
from marketbridge.store.types import BigId, Json, UtcDateTime, utcnow


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("connection_id", "external_id"),
        Index("ix_orders_account_status", "account_id", "status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id", index=False)
    connection_id: Mapped[int] = foreign_key("connections.id", index=False)
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
    order_id: Mapped[int] = foreign_key("orders.id")
    offer_id: Mapped[int | None] = foreign_key("offers.id", nullable=True, ondelete="SET NULL")
    offer_code: Mapped[str] = mapped_column(String(128))
    external_offer_id: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Money)
    name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    requires_marking: Mapped[bool] = mapped_column(Boolean, default=False)
    #: kinds of data the marketplace requires per unit (model.REQUIRED_KINDS), learnt at import
    required_meta: Mapped[list[str]] = mapped_column(Json, default=list)


class Box(Base):
    __tablename__ = "boxes"
    __table_args__ = (UniqueConstraint("order_id", "number"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = foreign_key("orders.id", index=False)
    number: Mapped[int] = mapped_column(Integer)
    lines: Mapped[list[Any]] = mapped_column(Json)
    shipment_external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)


class Label(Base):
    __tablename__ = "labels"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = foreign_key("orders.id")
    shipment_external_id: Mapped[str] = mapped_column(String(128))
    format: Mapped[str] = mapped_column(String(8))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class HandoverDocument(Base):
    """The document a hand-over gave (an act / waybill, a supply's QR code), kept for printing."""

    __tablename__ = "handover_documents"
    __table_args__ = (UniqueConstraint("connection_id", "handover_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    connection_id: Mapped[int] = foreign_key("connections.id", index=False)
    handover_id: Mapped[str] = mapped_column(String(128))  # the marketplace's id(s), as on orders
    kind: Mapped[str] = mapped_column(String(20))  # how it was handed over: act | supply | shipment
    format: Mapped[str] = mapped_column(String(8))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Return(Base):
    __tablename__ = "returns"
    __table_args__ = (UniqueConstraint("connection_id", "external_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    connection_id: Mapped[int] = foreign_key("connections.id", index=False)
    external_id: Mapped[str] = mapped_column(String(128))
    order_id: Mapped[int | None] = foreign_key("orders.id", nullable=True, ondelete="SET NULL")
    order_external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    lines: Mapped[list[Any]] = mapped_column(Json)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    restocked: Mapped[bool] = mapped_column(Boolean, default=False)
