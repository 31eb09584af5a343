"""Warehouses, stock levels and reservations; price types, prices and their mappings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketbridge.store.tables.base import Base, Money, foreign_key
from marketbridge.store.types import BigId, UtcDateTime, utcnow


class Warehouse(Base):
    __tablename__ = "warehouses"
    __table_args__ = (UniqueConstraint("account_id", "code"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    code: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))


class WarehouseMapping(Base):
    """Hub warehouse → marketplace warehouse of a connection (many to many)."""

    __tablename__ = "warehouse_mappings"
    __table_args__ = (UniqueConstraint("connection_id", "warehouse_id", "external_warehouse_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    connection_id: Mapped[int] = foreign_key("connections.id", index=False)
    warehouse_id: Mapped[int] = foreign_key("warehouses.id")
    external_warehouse_id: Mapped[str] = mapped_column(String(128))


class StockLevel(Base):
    __tablename__ = "stock_levels"
    __table_args__ = (UniqueConstraint("offer_id", "warehouse_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    offer_id: Mapped[int] = foreign_key("offers.id", index=False)
    warehouse_id: Mapped[int] = foreign_key("warehouses.id")
    #: None: the seller never set this stock (a level made by a reservation): nothing is pushed.
    on_hand: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Reservation(Base):
    __tablename__ = "reservations"
    __table_args__ = (UniqueConstraint("order_id", "offer_id", "warehouse_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    order_id: Mapped[int] = foreign_key("orders.id", index=False)
    offer_id: Mapped[int] = foreign_key("offers.id")
    warehouse_id: Mapped[int] = foreign_key("warehouses.id")
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PriceType(Base):
    __tablename__ = "price_types"
    __table_args__ = (UniqueConstraint("account_id", "code"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="RUB")


class OfferPrice(Base):
    __tablename__ = "offer_prices"
    __table_args__ = (UniqueConstraint("offer_id", "price_type_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    offer_id: Mapped[int] = foreign_key("offers.id", index=False)
    price_type_id: Mapped[int] = foreign_key("price_types.id")
    amount: Mapped[Decimal] = mapped_column(Money)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class PriceMapping(Base):
    """Which hub price type feeds which marketplace price field (price, old_price, min_price)."""

    __tablename__ = "price_mappings"
    __table_args__ = (UniqueConstraint("connection_id", "target"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    connection_id: Mapped[int] = foreign_key("connections.id", index=False)
    price_type_id: Mapped[int] = foreign_key("price_types.id")
    target: Mapped[str] = mapped_column(String(20))
