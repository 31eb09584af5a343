"""The benchmarks by name, with the sizes `make bench` runs them at."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from marketbridge.benchmarks import (
    api_bulk,
    api_load,
    catalog_import,
    order_ingest,
    oversell,
    price_latency,
    scale,
    stock_latency,
    stock_throughput,
)

Runner = Callable[..., Coroutine[Any, Any, dict[str, Any]]]

BENCHMARKS: dict[str, Runner] = {
    "stock-latency": stock_latency.run,
    "stock-throughput": stock_throughput.run,
    "price-latency": price_latency.run,
    "order-ingest": order_ingest.run,
    "catalog-import": catalog_import.run,
    "api-bulk": api_bulk.run,
    "api-load": api_load.run,
    "oversell": oversell.run,
    "scale": scale.run,
}
