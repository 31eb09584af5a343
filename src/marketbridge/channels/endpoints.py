"""One way to declare a marketplace's API: its methods (endpoints) and its published limits.

Each marketplace declares its endpoints once, in its connector package; the connector calls
them through ApiClient.send and its sandbox serves and limits the same declarations, so a
method's version, host and rate-limit group are named in one place. The version is part of
the path (`/v3/product/list`): a newer version is a new Endpoint beside the old one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from marketbridge.runtime.ratelimit import RateLimit

_PARAM = re.compile(r"\{(\w+)\}")
_VERSION = re.compile(r"/v(\d+)(?=/|$)")


@dataclass(frozen=True)
class Endpoint:
    """One method: HTTP method, path template, host alias and rate-limit group.

    `idempotent`: whether a call may be retried after it may have reached the server (by
    default GET, PUT and DELETE are, POST and PATCH are not; a read-only POST says so).
    """

    method: str
    path: str
    group: str = "default"
    host: str = "default"
    idempotent: bool | None = None

    @property
    def version(self) -> int | None:
        found = _VERSION.search(self.path)
        return int(found.group(1)) if found else None

    @property
    def retry_safe(self) -> bool:
        if self.idempotent is not None:
            return self.idempotent
        return self.method.upper() in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))

    def format(self, **values: object) -> str:
        """The path with its {placeholders} filled (each value URL-quoted)."""
        missing = set(self.params) - set(values)
        if missing:
            raise ValueError(f"{self.path}: no value for {', '.join(sorted(missing))}")
        return _PARAM.sub(lambda m: quote(str(values[m.group(1)]), safe=""), self.path)

    def pattern(self) -> re.Pattern[str]:
        """A regular expression that matches request paths of this endpoint (for sandboxes)."""
        parts = _PARAM.split(self.path)
        regex = "".join(re.escape(p) if i % 2 == 0 else r"[^/]+" for i, p in enumerate(parts))
        return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class ApiDeclaration:
    """A marketplace's endpoints and the limits it publishes per rate-limit group."""

    endpoints: tuple[Endpoint, ...]
    limits: Mapping[str, RateLimit] = field(default_factory=dict)

    @classmethod
    def of(cls, endpoints: Iterable[Endpoint], limits: Mapping[str, RateLimit]) -> ApiDeclaration:
        declared = tuple(endpoints)
        unknown = {e.group for e in declared} - set(limits) - {"default"}
        if unknown:
            raise ValueError(f"endpoints name groups without a limit: {', '.join(sorted(unknown))}")
        return cls(declared, dict(limits))

    def find(self, method: str, path: str) -> Endpoint | None:
        """The declared endpoint a request (method, concrete path) is a call of, if any."""
        for endpoint in self.endpoints:
            if endpoint.method.upper() == method.upper() and endpoint.pattern().match(path):
                return endpoint
        return None

    def limit_of(self, endpoint: Endpoint) -> RateLimit | None:
        return self.limits.get(endpoint.group)
