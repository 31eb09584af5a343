"""Typed prices: base, old (strike-through) and minimum, in one currency."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import Field, model_validator

from marketbridge.model.common import CanonicalModel, Code, Money


class PriceKind(StrEnum):
    BASE = "base"
    OLD = "old"
    MIN = "min"


class Price(CanonicalModel):
    offer_sku: Code
    price: Money
    old_price: Money | None = None
    min_price: Money | None = None
    currency: str = Field(default="RUB", pattern=r"^[A-Z]{3}$")

    @model_validator(mode="after")
    def _consistent(self) -> Price:
        if self.price <= Decimal(0):
            raise ValueError("price must be positive")
        if self.old_price is not None and self.old_price and self.old_price < self.price:
            raise ValueError("old_price must not be below price")
        if self.min_price is not None and self.min_price > self.price:
            raise ValueError("min_price must not be above price")
        return self
