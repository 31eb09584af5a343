"""structlog set-up: JSON lines on stderr, with secrets masked wherever they appear.

Fields named like secrets are masked whole; in every other text field (tracebacks included)
each credential value the process knows (`runtime.redaction`) is replaced by `***`."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from marketbridge.runtime.redaction import redact

_SECRET_KEYS = ("api_key", "api-key", "token", "authorization", "password", "secret", "credentials")


def _mask(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if any(s in key.lower() for s in _SECRET_KEYS):
            event[key] = "***"
    return event


def _redact_known(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = redact(value)
    return event


def _to_stderr(line: str) -> None:
    """Write to whatever sys.stderr is at that moment (it may be swapped, e.g. by pytest)."""
    # a stream closed under us (a test's capture ended): drop the line rather than crash
    with contextlib.suppress(ValueError):
        print(line, file=sys.stderr, flush=True)


class _StderrLogger:
    """structlog's output: each rendered line to the current stderr."""

    def __init__(self, *_: Any) -> None:
        pass

    def msg(self, message: str) -> None:
        _to_stderr(message)

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


class _StderrHandler(logging.Handler):
    """The standard library's records, to whatever sys.stderr is at that moment."""

    def emit(self, record: logging.LogRecord) -> None:
        _to_stderr(self.format(record))


def configure(level: str = "info", json: bool = True) -> None:
    root = logging.getLogger()
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        root.addHandler(_StderrHandler())
    root.setLevel(level.upper())
    for noisy in ("alembic", "asyncio", "httpx", "httpcore", "taskiq", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level.upper())))
    # Tracebacks are plain text: no local variables (they may hold credentials), and cheap to
    # render — a busy worker logging many errors must not spend its time colouring them.
    shape: list[Any] = (
        [structlog.processors.format_exc_info, _redact_known, structlog.processors.JSONRenderer()]
        if json
        else [_redact_known, structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)]
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _mask,
            *shape,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_StderrLogger,
        cache_logger_on_first_use=False,
    )
