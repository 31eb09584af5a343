"""A synthetic but realistic shop catalog: products with sizes, bundles, barcodes, stock, prices.

Deterministic for a seed, so tests, the demo and the benchmarks build the same shop.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from marketbridge import model

_NOUNS = ("T-shirt", "Hoodie", "Mug", "Backpack", "Notebook", "Lamp", "Sneakers", "Scarf", "Bottle", "Cap")
_ADJECTIVES = ("Classic", "Urban", "Nordic", "Soft", "Bright", "Travel", "Eco", "Retro", "Sport", "Cosy")
_SIZES = ("S", "M", "L", "XL")
_COLORS = ("black", "white", "blue", "green", "red")


def ean13(n: int, prefix: str = "460") -> str:
    """A valid EAN-13 from a number (check digit computed)."""
    body = f"{prefix}{n:09d}"[:12]
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


@dataclass
class DemoCatalog:
    products: list[model.Product]
    bundles: list[model.Bundle]
    stock: dict[str, dict[str, int]]  # offer sku -> warehouse code -> on hand
    prices: dict[str, tuple[Decimal, Decimal | None]]  # offer sku -> (price, old price)
    warehouses: list[model.Warehouse] = field(default_factory=list)

    @property
    def offers(self) -> list[model.Offer]:
        return [o for p in self.products for o in p.offers]

    def offer(self, sku: str) -> model.Offer:
        return next(o for o in self.offers if o.sku == sku)

    def product_of(self, sku: str) -> model.Product:
        return next(p for p in self.products if any(o.sku == sku for o in p.offers))


def build_catalog(
    products: int = 200, seed: int = 7, warehouses: int = 2, bundles: int | None = None, prefix: str = "DEMO"
) -> DemoCatalog:
    """`products` products; about a third have sizes (variants); some need marking codes."""
    rng = random.Random(seed)
    wh = [model.Warehouse(code=f"WH{i + 1}", name=f"Warehouse {i + 1}") for i in range(warehouses)]
    out: list[model.Product] = []
    stock: dict[str, dict[str, int]] = {}
    prices: dict[str, tuple[Decimal, Decimal | None]] = {}
    barcode_n = seed * 1_000_000
    for i in range(products):
        noun = _NOUNS[i % len(_NOUNS)]
        name = f"{_ADJECTIVES[(i // len(_NOUNS)) % len(_ADJECTIVES)]} {noun} {i + 1}"
        sku = f"{prefix}-{i + 1:05d}"
        sizes = _SIZES[: rng.choice((2, 3, 4))] if i % 3 == 0 else (None,)
        color = _COLORS[i % len(_COLORS)]
        marking = i % 10 == 7
        offers = []
        base = Decimal(rng.randrange(300, 9000, 10))
        for size in sizes:
            barcode_n += 1
            offer_sku = f"{sku}-{size}" if size else sku
            offers.append(
                model.Offer(
                    sku=offer_sku,
                    name=f"{name} {size}" if size else name,
                    size=size,
                    color=color,
                    barcodes=[ean13(barcode_n)],
                    weight_g=rng.randrange(100, 3000),
                    requires_marking=marking,
                )
            )
            stock[offer_sku] = {w.code: rng.randrange(0, 40) for w in wh}
            old = (base * Decimal("1.25")).quantize(Decimal("1")) if i % 4 == 0 else None
            prices[offer_sku] = (base, old)
        out.append(
            model.Product(sku=sku, name=name, brand="marketbridge demo", category_id="demo", offers=offers)
        )
    simple = [o for p in out for o in p.offers if not o.requires_marking]
    kits: list[model.Bundle] = []
    for k in range(bundles if bundles is not None else max(products // 20, 1)):
        a, b = simple[(k * 2) % len(simple)], simple[(k * 2 + 1) % len(simple)]
        if a.sku == b.sku:
            continue
        kit_sku = f"{prefix}-KIT-{k + 1:03d}"
        kits.append(
            model.Bundle(
                sku=kit_sku,
                name=f"Kit {k + 1}: {a.name} + 2 × {b.name}",
                components=[
                    model.BundleComponent(offer_sku=a.sku, quantity=1),
                    model.BundleComponent(offer_sku=b.sku, quantity=2),
                ],
            )
        )
        pa, pb = prices[a.sku][0], prices[b.sku][0]
        prices[kit_sku] = ((pa + 2 * pb) * Decimal("0.9")).quantize(Decimal("1")), None
    return DemoCatalog(products=out, bundles=kits, stock=stock, prices=prices, warehouses=wh)


def seed_offers(catalog: DemoCatalog, kit_barcode_start: int = 900_000) -> list[dict[str, object]]:
    """The catalog as cards a marketplace already holds (control API seed format), stock 0."""
    items: list[dict[str, object]] = []
    for product in catalog.products:
        for offer in product.offers:
            price, old = catalog.prices[offer.sku]
            items.append(
                {
                    "offer_code": offer.sku,
                    "name": offer.name or product.name,
                    "product_code": product.sku,
                    "barcodes": list(offer.barcodes),
                    "size": offer.size,
                    "color": offer.color,
                    "price": str(price),
                    "old_price": str(old) if old else None,
                    "requires_marking": offer.requires_marking,
                }
            )
    for n, kit in enumerate(catalog.bundles):
        price, _ = catalog.prices[kit.sku]
        items.append(
            {
                "offer_code": kit.sku,
                "name": kit.name,
                "product_code": kit.sku,
                "barcodes": [ean13(kit_barcode_start + n, prefix="469")],
                "price": str(price),
            }
        )
    return items
