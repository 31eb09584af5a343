"""The hub's own bookkeeping of work: sync runs, pending changes, the inbox of pushes, values
the marketplaces hold, leases and cursors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketbridge.store.tables.base import Base, foreign_key
from marketbridge.store.types import BigId, Json, UtcDateTime, utcnow


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_conn_kind", "connection_id", "kind", "started_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = foreign_key("accounts.id")
    connection_id: Mapped[int] = foreign_key("connections.id", index=False)
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
    account_id: Mapped[int] = foreign_key("accounts.id")
    connection_id: Mapped[int] = foreign_key("connections.id", index=False)
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
    account_id: Mapped[int] = foreign_key("accounts.id")
    connection_id: Mapped[int] = foreign_key("connections.id", index=False)
    dedup_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))  # a PushKind value
    order_external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="new")  # new | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class PushedValue(Base):
    """The last value a marketplace accepted for a key, so that only real changes are pushed."""

    __tablename__ = "pushed_values"
    __table_args__ = (UniqueConstraint("connection_id", "kind", "key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    connection_id: Mapped[int] = foreign_key("connections.id", index=False)
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
    connection_id: Mapped[int] = foreign_key("connections.id", index=False)
    kind: Mapped[str] = mapped_column(String(20))  # the polling job: orders | returns
    value: Mapped[datetime] = mapped_column(UtcDateTime)
