"""Fixtures of the Wildberries suite: a real sandbox on loopback and a channel bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import structlog

from marketbridge.channels.wildberries import WildberriesChannel
from marketbridge.runtime.logging import configure as configure_logging
from tests.wildberries.harness import Sandbox, make_channel, start_sandbox
from tests.wildberries.spec import check_journal


@pytest.fixture(autouse=True)
def _project_logging() -> Iterator[None]:
    """Log as the project does (to the current stderr, never to a stream another test closed)."""
    saved = structlog.get_config()
    configure_logging("warning", json=True)
    yield
    structlog.configure(**saved)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """An empty sandbox without rate limits; afterwards every answer it gave is checked against the spec."""
    for running in start_sandbox(demo=False, limits=False):
        yield running
        check_journal(running.journal())


@pytest.fixture
def demo_sandbox() -> Iterator[Sandbox]:
    """The demo shop, with the real rate limits on."""
    yield from start_sandbox(demo=True, limits=True)


@pytest.fixture
async def channel(sandbox: Sandbox) -> AsyncIterator[WildberriesChannel]:
    chan = make_channel(sandbox)
    yield chan
    await chan.aclose()
