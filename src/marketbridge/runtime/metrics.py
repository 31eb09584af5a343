"""Prometheus metrics of the process, served at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OUTGOING_REQUESTS = Counter(
    "mb_channel_requests_total",
    "Requests sent to marketplaces, by channel kind, method group and HTTP status.",
    ["channel", "group", "status"],
)
OUTGOING_LATENCY = Histogram(
    "mb_channel_request_seconds",
    "Latency of requests to marketplaces, by channel kind and method group.",
    ["channel", "group"],
)
RATE_LIMIT_WAIT = Counter(
    "mb_rate_limit_wait_seconds_total",
    "Seconds spent waiting for the rate limiter, by channel kind and method group.",
    ["channel", "group"],
)
SYNC_RUNS = Counter("mb_sync_runs_total", "Finished sync runs, by kind and status.", ["kind", "status"])
PENDING_CHANGES = Gauge("mb_pending_changes", "Stock and price changes waiting to be pushed.")
WEBHOOK_DELIVERIES = Counter(
    "mb_webhook_deliveries_total", "Webhook delivery attempts by result.", ["result"]
)
HTTP_REQUESTS = Counter(
    "mb_http_requests_total",
    "Requests served by the hub, by method, route and status.",
    ["method", "route", "status"],
)
