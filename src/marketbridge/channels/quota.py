"""How often a connection may poll for new orders, from its marketplace's declared quota.

Each marketplace declares, in its ChannelSpec, the calls one poll of orders makes at the
least (`order_poll_calls`, endpoints of its ApiDeclaration `api`). A poll may use at most
POLL_SHARE of each rate-limit group it touches, leaving the rest for the calls that share
that group (confirming, labels, supplies, stock pushes, ...). The interval is the longest
the groups ask for, never shorter than FASTEST_POLL and never longer than the caller's
default. A connection's `schedule.orders` setting overrides it (the scheduler decides).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marketbridge.channels.spec import ChannelSpec

#: The share of a rate-limit group's budget order polling may use.
POLL_SHARE = 0.5
#: Never poll more often than this (seconds).
FASTEST_POLL = 1.0


def order_poll_seconds(spec: ChannelSpec, default: float) -> float:
    """Seconds between two polls of orders for a connection to `spec`'s marketplace.

    `default` (the hub's fixed interval) is returned when the marketplace declares no poll
    calls or no limit for them, and is the slowest the quota may make it.
    """
    if spec.api is None or not spec.order_poll_calls:
        return default
    per_group = Counter(endpoint.group for endpoint in spec.order_poll_calls)
    needed = 0.0
    for group, calls in per_group.items():
        limit = spec.api.limits.get(group)
        if limit is None:
            return default
        needed = max(needed, calls * limit.interval / POLL_SHARE)
    return round(min(max(needed, FASTEST_POLL), max(default, FASTEST_POLL)), 3)
