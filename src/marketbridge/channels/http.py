"""The one HTTP client every channel uses: rate limits, retries, error mapping, lenient JSON.

A channel names each call's method group and limit; the client waits on the shared limiter
for (connection, group), retries 5xx, timeouts and 429 (honouring Retry-After) with
exponential backoff and full jitter, and turns what is left into ChannelError subclasses.
It never logs headers, so credentials stay out of logs. An error keeps only a short, cleaned
summary of the marketplace's own code and message (never a raw body): the text reaches the
seller, and a body must not carry whatever a server chose to put in it.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import re
import time
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog

from marketbridge.channels.endpoints import Endpoint
from marketbridge.channels.errors import (
    AuthError,
    BadResponse,
    ChannelError,
    NotFoundError,
    RateLimited,
    RequestRejected,
    TransientError,
)
from marketbridge.runtime.metrics import OUTGOING_LATENCY, OUTGOING_REQUESTS, RATE_LIMIT_WAIT
from marketbridge.runtime.ratelimit import Limiter, MemoryLimiter, RateLimit

log = structlog.get_logger(__name__)

#: Reads (code, message) out of a marketplace's error body; returns (None, None) when it can't.
ErrorParser = Callable[[Any], tuple[str | None, str | None]]

MAX_ERROR_CODE = 64
MAX_ERROR_MESSAGE = 200


def summarize(text: str | None, limit: int) -> str | None:
    """`text` on one line, without control or format characters, at most `limit` characters."""
    if not text:
        return None
    kept = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    line = re.sub(r" +", " ", kept).strip()
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line or None


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 10.0
    max_retry_after: float = 120.0

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for the given attempt (1-based)."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _default_error_parser(body: Any) -> tuple[str | None, str | None]:
    if isinstance(body, dict):
        code = body.get("code")
        message = body.get("message") or body.get("detail") or body.get("title")
        return (str(code) if code is not None else None, str(message) if message is not None else None)
    return None, None


@dataclass
class ApiClient:
    """An HTTP client bound to one connection of one marketplace.

    `hosts` maps a host alias to a base URL (a marketplace with one host uses "default").
    `key_prefix` makes the limiter keys of this connection distinct from every other one.
    """

    channel: str
    hosts: Mapping[str, str]
    headers: Mapping[str, str]
    key_prefix: str
    limiter: Limiter = field(default_factory=MemoryLimiter)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 30.0
    error_parser: ErrorParser = _default_error_parser
    retry_after_headers: Sequence[str] = ("Retry-After",)
    #: The statuses that mean "over the limit": 429, or the marketplace's own (420 on some).
    rate_limit_statuses: Collection[int] = (429,)
    transport: httpx.AsyncBaseTransport | None = None
    #: What the limiter enforces per rate-limit group, for calls made with `send`.
    limits: Mapping[str, RateLimit] = field(default_factory=dict)
    _client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                headers=dict(self.headers),
                timeout=self.timeout,
                transport=self.transport,
                limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def url(self, path: str, host: str = "default") -> str:
        try:
            base = self.hosts[host]
        except KeyError as exc:
            raise ChannelError(f"{self.channel}: no base URL for host {host!r}") from exc
        return base.rstrip("/") + path

    async def request(
        self,
        method: str,
        path: str,
        *,
        group: str,
        limit: RateLimit,
        host: str = "default",
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        cost: int = 1,
        idempotent: bool = True,
        accept: Collection[int] = (),
    ) -> httpx.Response:
        """Send one call, waiting for the limiter and retrying what is worth retrying.

        Returns the response for 2xx and 3xx and for the statuses in `accept` (for callers
        that read an error body themselves, e.g. per-item errors of a batch); raises a
        ChannelError otherwise. A call that is not idempotent is retried only when it surely
        did not reach the server (connect errors) or was refused as over the limit (429).
        """
        url = self.url(path, host)
        key = f"{self.key_prefix}:{group}"
        last: ChannelError | None = None
        for attempt in range(1, self.retry.attempts + 1):
            waited = await self.limiter.acquire(key, limit, cost)
            if waited:
                RATE_LIMIT_WAIT.labels(self.channel, group).inc(waited)
            started = time.monotonic()
            try:
                response = await self._http().request(method, url, json=json, params=params)
            except httpx.ConnectError as exc:
                last = TransientError(f"{self.channel} {path}: cannot connect: {exc}")
                OUTGOING_REQUESTS.labels(self.channel, group, "connect_error").inc()
            except httpx.TransportError as exc:
                OUTGOING_REQUESTS.labels(self.channel, group, "transport_error").inc()
                last = TransientError(f"{self.channel} {path}: {type(exc).__name__}: {exc}")
                if not idempotent:
                    raise last from exc
            else:
                OUTGOING_LATENCY.labels(self.channel, group).observe(time.monotonic() - started)
                OUTGOING_REQUESTS.labels(self.channel, group, str(response.status_code)).inc()
                if response.status_code < 400 or response.status_code in accept:
                    return response
                error = self._error_for(response, path)
                if isinstance(error, RateLimited):
                    pause = min(error.retry_after or self.retry.backoff(attempt), self.retry.max_retry_after)
                    await self.limiter.penalize(key, pause)
                    log.warning("rate_limited", channel=self.channel, group=group, pause=round(pause, 3))
                    last = error
                    continue
                if not error.retryable or not idempotent:
                    raise error
                last = error
            if attempt < self.retry.attempts:
                await asyncio.sleep(self.retry.backoff(attempt))
        assert last is not None
        raise last

    async def until_free(self, endpoint: Endpoint) -> None:
        """Return once a call to `endpoint` could go out without waiting for the limiter.

        Nothing is reserved: a caller that waits here before it gathers what to send lets
        everything that arrived during the wait ride along in that call.
        """
        delay = await self.limiter.ready_in(f"{self.key_prefix}:{endpoint.group}", self._limit(endpoint))
        if delay > 0:
            await asyncio.sleep(delay)

    def _limit(self, endpoint: Endpoint) -> RateLimit:
        try:
            return self.limits[endpoint.group]
        except KeyError as exc:
            raise ChannelError(f"{self.channel}: no limit for group {endpoint.group!r}") from exc

    async def send(
        self,
        endpoint: Endpoint,
        *,
        path_params: Mapping[str, object] | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        cost: int = 1,
        accept: Collection[int] = (),
    ) -> httpx.Response:
        """`request` for a declared endpoint: its host, group, limit and retry safety."""
        return await self.request(
            endpoint.method,
            endpoint.format(**(path_params or {})),
            group=endpoint.group,
            limit=self._limit(endpoint),
            host=endpoint.host,
            json=json,
            params=params,
            cost=cost,
            idempotent=endpoint.retry_safe,
            accept=accept,
        )

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """`request` and then the decoded JSON body (None for an empty body)."""
        response = await self.request(method, path, **kwargs)
        return decode_json(response, self.channel)

    def _error_for(self, response: httpx.Response, path: str) -> ChannelError:
        try:
            body: Any = response.json()
        except ValueError:
            body = None  # not JSON: nothing of it is repeated
        code, message = self.error_parser(body)
        code, message = summarize(code, MAX_ERROR_CODE), summarize(message, MAX_ERROR_MESSAGE)
        status = response.status_code
        text = (
            f"{self.channel} {path}: HTTP {status}"
            + (f" {code}" if code else "")
            + (f": {message}" if message else "")
        )
        if status in self.rate_limit_statuses:
            retry_after = None
            for name in self.retry_after_headers:
                retry_after = parse_retry_after(response.headers.get(name))
                if retry_after is not None:
                    break
            return RateLimited(text, retry_after=retry_after, status=status)
        if status in (401, 403):
            return AuthError(text, status=status, code=code)
        if status == 404:
            return NotFoundError(text, status=status, code=code)
        if status >= 500:
            return TransientError(text, status=status, code=code)
        return RequestRejected(text, status=status, code=code)


def decode_json(response: httpx.Response, channel: str) -> Any:
    """The JSON body of a response, or BadResponse when it is not JSON."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise BadResponse(
            f"{channel}: {response.request.url.path} answered a body that is not JSON",
            status=response.status_code,
        ) from exc
