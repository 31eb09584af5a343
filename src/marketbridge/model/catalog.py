"""Catalog models: products, offers (variants), bundles, barcodes, categories and attributes."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator, model_validator

from marketbridge.model.common import CanonicalModel, Code


class Barcode(CanonicalModel):
    """A barcode (EAN-13, EAN-8, UPC, or a marketplace's own) of one offer."""

    value: str = Field(min_length=4, max_length=64, pattern=r"^[0-9A-Za-z\-]+$")


class Image(CanonicalModel):
    url: str = Field(min_length=1, max_length=2048)
    primary: bool = False


class AttributeValue(CanonicalModel):
    """One attribute of a card: the marketplace attribute id and its value(s)."""

    attribute_id: str = Field(min_length=1, max_length=64)
    values: list[str] = Field(min_length=1, max_length=100)
    dictionary_value_ids: list[str] = Field(default_factory=list)


class Offer(CanonicalModel):
    """A sellable unit (SKU): one size/colour of a product, with its own barcodes and stock."""

    sku: Code
    product_sku: Code | None = None
    name: str | None = Field(default=None, max_length=500)
    size: str | None = Field(default=None, max_length=64)
    color: str | None = Field(default=None, max_length=64)
    barcodes: list[str] = Field(default_factory=list, max_length=20)
    weight_g: int | None = Field(default=None, ge=0, le=1_000_000)
    requires_marking: bool = False

    @field_validator("barcodes")
    @classmethod
    def _barcodes_valid(cls, value: list[str]) -> list[str]:
        for code in value:
            Barcode(value=code)
        if len(set(value)) != len(value):
            raise ValueError("duplicate barcode")
        return value


class Product(CanonicalModel):
    """A product card: what the marketplaces show, with its offers as variants."""

    sku: Code
    name: str = Field(min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=20_000)
    brand: str | None = Field(default=None, max_length=200)
    category_id: str | None = Field(default=None, max_length=64)
    images: list[Image] = Field(default_factory=list, max_length=30)
    attributes: list[AttributeValue] = Field(default_factory=list, max_length=300)
    offers: list[Offer] = Field(default_factory=list, max_length=500)


class BundleComponent(CanonicalModel):
    offer_sku: Code
    quantity: int = Field(ge=1, le=10_000)


class Bundle(CanonicalModel):
    """A kit sold as one offer, made of components; its stock follows theirs."""

    sku: Code
    name: str = Field(min_length=1, max_length=500)
    components: list[BundleComponent] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _distinct_components(self) -> Bundle:
        skus = [c.offer_sku for c in self.components]
        if len(set(skus)) != len(skus):
            raise ValueError("a component is listed twice")
        if self.sku in skus:
            raise ValueError("a bundle cannot contain itself")
        return self


class Category(CanonicalModel):
    """A node of a marketplace's category tree."""

    id: str
    name: str
    parent_id: str | None = None
    leaf: bool = True


class CategoryAttribute(CanonicalModel):
    """An attribute a category asks for, and whether it is required."""

    id: str
    name: str
    required: bool = False
    type: str = "string"
    dictionary: bool = False
    multi: bool = False


class ListingStatus(StrEnum):
    """Where an offer stands on one channel."""

    NOT_LISTED = "not_listed"
    LINKED = "linked"
    PENDING = "pending"  # card sent, moderation running
    ACTIVE = "active"
    REJECTED = "rejected"
    DELISTED = "delisted"
