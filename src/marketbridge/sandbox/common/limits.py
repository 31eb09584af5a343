"""Server-side rate limits of a sandbox: token buckets per (credential, limit group).

Each sandbox declares its groups with the real marketplace figures; a request over the
limit gets the marketplace's own 429. `--no-limits` switches them off for load tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BucketSpec:
    """`count` tokens per `per_seconds`, holding at most `burst` tokens."""

    count: float
    per_seconds: float
    burst: int

    @property
    def rate(self) -> float:
        return self.count / self.per_seconds


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class SandboxLimits:
    """Token buckets by key; `enabled` False lets every call through (counters still kept)."""

    enabled: bool = True
    specs: dict[str, BucketSpec] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    _buckets: dict[tuple[str, str], _Bucket] = field(default_factory=dict)

    def take(self, group: str, who: str, cost: float = 1.0) -> float | None:
        """Take `cost` tokens; None when allowed, else seconds until enough tokens refill."""
        if not self.enabled:
            return None
        spec = self.specs.get(group)
        if spec is None:
            return None
        now = time.monotonic()
        bucket = self._buckets.get((group, who))
        if bucket is None:
            bucket = self._buckets[(group, who)] = _Bucket(tokens=float(spec.burst), updated=now)
        bucket.tokens = min(float(spec.burst), bucket.tokens + (now - bucket.updated) * spec.rate)
        bucket.updated = now
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return None
        self.rejected[group] = self.rejected.get(group, 0) + 1
        return (cost - bucket.tokens) / spec.rate

    def charge(self, group: str, who: str, cost: float) -> None:
        """Take `cost` more tokens after the fact, for a reply that counts as several requests.

        The bucket may go below zero, which holds the next requests back; this is never
        counted as a rejection.
        """
        if not self.enabled or group not in self.specs:
            return
        bucket = self._buckets.get((group, who))
        if bucket is not None:
            bucket.tokens -= cost

    def remaining(self, group: str, who: str) -> int:
        bucket = self._buckets.get((group, who))
        spec = self.specs.get(group)
        if spec is None:
            return 0
        return max(0, int(bucket.tokens)) if bucket else spec.burst

    def reset(self) -> None:
        self._buckets.clear()
        self.rejected.clear()
