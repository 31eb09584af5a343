"""The declarative base of every table: naming convention, foreign keys, money."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, MetaData, Numeric
from sqlalchemy.orm import DeclarativeBase, mapped_column

from marketbridge.store.types import BigId

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


def foreign_key(target: str, *, nullable: bool = False, ondelete: str = "CASCADE", index: bool = True) -> Any:
    return mapped_column(BigId, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)
