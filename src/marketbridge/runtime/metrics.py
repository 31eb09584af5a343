"""Prometheus metrics of the process: served at /metrics by the API, and by a worker on its
`--metrics-port`. Every metric is listed, with its labels and meaning, in docs/metrics.md."""

from __future__ import annotations

import threading

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from marketbridge.runtime.ratelimit import Limiter, RateLimit

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
QUOTA_SPENT = Counter(
    "mb_quota_spent_total",
    "Request slots taken from a connection's rate limit (a batch call may take several), by"
    " channel kind, connection id and method group.",
    ["channel", "connection", "group"],
)
QUOTA_RATE = Gauge(
    "mb_quota_limit_per_second",
    "The sustained rate the marketplace allows a connection's method group, in slots per second.",
    ["channel", "connection", "group"],
)
SYNC_RUNS = Counter("mb_sync_runs_total", "Finished sync runs, by kind and status.", ["kind", "status"])
PENDING_CHANGES = Gauge(
    "mb_pending_changes", "Stock and price changes waiting to be pushed, by kind.", ["kind"]
)
PENDING_AGE = Gauge(
    "mb_pending_change_age_seconds",
    "Age of the oldest change waiting to be pushed, by connection id and kind (0: none waiting).",
    ["connection", "kind"],
)
WEBHOOK_BACKLOG = Gauge("mb_webhook_backlog", "Webhook deliveries not made yet (pending, to be retried).")
WEBHOOK_BACKLOG_AGE = Gauge(
    "mb_webhook_backlog_age_seconds", "Age of the oldest webhook delivery not made yet (0: none)."
)
WEBHOOK_DELIVERIES = Counter(
    "mb_webhook_deliveries_total", "Webhook delivery attempts by result.", ["result"]
)
HTTP_REQUESTS = Counter(
    "mb_http_requests_total",
    "Requests served by the hub, by method, route and status.",
    ["method", "route", "status"],
)


class MeteredLimiter:
    """A limiter that counts the slots each connection takes, for `mb_quota_*`.

    Limiter keys are `<channel kind>:<connection id>:<method group>`; a key of another shape is
    counted with its whole text as the group.
    """

    def __init__(self, inner: Limiter) -> None:
        self.inner = inner

    async def acquire(self, key: str, limit: RateLimit, cost: int = 1) -> float:
        parts = key.split(":", 2)
        labels = tuple(parts) if len(parts) == 3 else ("", "", key)
        QUOTA_SPENT.labels(*labels).inc(cost)
        QUOTA_RATE.labels(*labels).set(limit.count / limit.per_seconds)
        return await self.inner.acquire(key, limit, cost)

    async def ready_in(self, key: str, limit: RateLimit, cost: int = 1) -> float:
        return await self.inner.ready_in(key, limit, cost)

    async def penalize(self, key: str, seconds: float) -> None:
        await self.inner.penalize(key, seconds)


_served: set[int] = set()
_serving = threading.Lock()


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Serve this process's metrics at http://host:port/metrics (a thread of prometheus_client)."""
    with _serving:
        if port in _served:
            return
        start_http_server(port, addr=host)
        _served.add(port)
