"""Tenants, their API keys, their marketplace connections, stored idempotent replies and dashboard sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketbridge.store.tables.base import Base, foreign_key
from marketbridge.store.types import BigId, Json, UtcDateTime, utcnow


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # set while an operator has disabled the account: its keys are refused, its connections idle
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
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
    account_id: Mapped[int] = foreign_key("accounts.id")
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


class IdempotencyRecord(Base):
    """A POST with an `Idempotency-Key`, per API key: in progress (no status yet) or its stored answer."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    api_key_id: Mapped[int] = foreign_key("api_keys.id", index=False)
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None while it runs
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class DashboardSession(Base):
    """A dashboard login: the cookie holds a random token, only its hash is stored."""

    __tablename__ = "dashboard_sessions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    api_key_id: Mapped[int] = foreign_key("api_keys.id")
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
