"""How often a connection may poll for orders, from its marketplace's declared quota.

Each marketplace declares, in its ChannelSpec, the calls one poll of orders makes at the
least (`order_poll_calls`, endpoints of its ApiDeclaration `api`) and, where it has a
new-order feed, the calls of one read of it (`new_order_calls`). All polling together may use
at most POLL_SHARE of each rate-limit group it touches, leaving the rest for the calls that
share that group (confirming, labels, supplies, stock pushes, ...).

Without a feed, the poll of every status takes the whole share. With one, the feed takes
NEW_ORDERS_SHARE of it (a new order is what a buyer on another marketplace races against)
and the full poll, which follows status changes, what the feed leaves. An interval is the
longest its groups ask for, never shorter than its floor (FASTEST_POLL, FASTEST_NEW_ORDERS)
and never longer than the caller's default. A connection's `schedule` setting overrides
either (the scheduler decides).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from marketbridge.channels.endpoints import Endpoint
    from marketbridge.channels.spec import ChannelSpec
    from marketbridge.runtime.ratelimit import RateLimit

#: The share of a rate-limit group's budget order polling may use.
POLL_SHARE = 0.5
#: Of that share, what the new-order feed takes where the marketplace has one.
NEW_ORDERS_SHARE = 0.8
#: Never poll every status more often than this (seconds).
FASTEST_POLL = 1.0
#: Never read the new-order feed more often than this (seconds).
FASTEST_NEW_ORDERS = 0.5


@dataclass(frozen=True)
class PollIntervals:
    """Seconds between two polls of every status, and between two reads of the feed (None: no feed)."""

    orders: float
    new_orders: float | None = None


def poll_intervals(spec: ChannelSpec, default: float) -> PollIntervals:
    """How often a connection to `spec`'s marketplace polls its orders and reads its feed.

    `default` (the hub's fixed interval) is returned when the marketplace declares no poll
    calls or no limit for them, and is the slowest the quota may make either interval.
    """
    slowest = max(default, FASTEST_POLL)
    if spec.api is None or not spec.order_poll_calls:
        return PollIntervals(default)
    limits = spec.api.limits
    groups = {call.group for call in (*spec.order_poll_calls, *spec.new_order_calls)}
    if any(group not in limits for group in groups):
        return PollIntervals(default)
    used: dict[str, float] = {}
    new_orders = None
    if spec.new_order_calls:
        feed = _seconds_per_call(spec.new_order_calls, limits)
        needed = max(seconds / (POLL_SHARE * NEW_ORDERS_SHARE) for seconds in feed.values())
        new_orders = round(min(max(needed, FASTEST_NEW_ORDERS), slowest), 3)
        used = {group: seconds / new_orders for group, seconds in feed.items()}
    full = _seconds_per_call(spec.order_poll_calls, limits)
    needed = max(seconds / max(POLL_SHARE - used.get(group, 0.0), 1e-9) for group, seconds in full.items())
    return PollIntervals(round(min(max(needed, FASTEST_POLL), slowest), 3), new_orders)


def _seconds_per_call(calls: tuple[Endpoint, ...], limits: Mapping[str, RateLimit]) -> dict[str, float]:
    """Per rate-limit group, the seconds of its sustained rate the calls spend (calls × interval)."""
    return {group: n * limits[group].interval for group, n in Counter(c.group for c in calls).items()}
