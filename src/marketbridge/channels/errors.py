"""Errors a channel raises. The sync engine decides from the class whether to retry."""

from __future__ import annotations


class ChannelError(Exception):
    """Base of every error a channel raises."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class HostNotAllowed(ChannelError):
    """A connection's base URL is not one of the marketplace's own hosts (see ChannelSpec)."""


class AuthError(ChannelError):
    """The marketplace refused the credentials (401/403)."""


class NotFoundError(ChannelError):
    """The marketplace does not know the object."""


class RequestRejected(ChannelError):
    """The marketplace refused the request as invalid (4xx other than auth and limits)."""


class TransientError(ChannelError):
    """A 5xx, a timeout or a broken connection: worth another try later."""

    retryable = True


class RateLimited(TransientError):
    """429 after all the waiting we were willing to do."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = 429) -> None:
        super().__init__(message, status=status, code="rate_limited")
        self.retry_after = retry_after


class BadResponse(ChannelError):
    """The marketplace answered something we cannot read (not JSON, wrong shape)."""

    retryable = True


class NotSupported(ChannelError):
    """The marketplace has no such role or operation (see channels/roles)."""
