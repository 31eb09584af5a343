"""What happens in the Ozon shop: the catalog rules and the posting rules on one shop state.

The rules follow the Seller API's documentation; `shop_catalog` holds stocks, prices and
card imports, `shop_postings` the postings and their moves. `emit` sends a push body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marketbridge.sandbox.common.faults import Faults
from marketbridge.sandbox.ozon.shop_catalog import CatalogRules
from marketbridge.sandbox.ozon.shop_postings import PostingRules
from marketbridge.sandbox.ozon.state import ShopState


@dataclass
class Shop(CatalogRules, PostingRules):
    """The shop's behaviour on top of its state; `emit` sends a push body."""

    state: ShopState
    seller_id: int
    emit: Callable[[dict[str, Any]], None]
    enforce_pair_interval: Callable[[], bool]
    faults: Faults
