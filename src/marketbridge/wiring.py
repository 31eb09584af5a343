"""Builds the hub's parts from settings: database, secret box, rate limiter, channels, dispatcher.

The API process, the worker and the CLI all start from `Hub.from_settings`, so every process
is wired the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from marketbridge.runtime.ratelimit import Limiter, MemoryLimiter
from marketbridge.runtime.settings import Settings
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.sync.channels import ChannelPool
from marketbridge.sync.dispatch import DeferredDispatcher, Dispatcher


@dataclass
class Hub:
    settings: Settings
    db: Database
    box: SecretBox
    limiter: Limiter = field(default_factory=MemoryLimiter)
    dispatcher: Dispatcher = field(default_factory=DeferredDispatcher)
    channels: ChannelPool = field(init=False)

    def __post_init__(self) -> None:
        self.channels = ChannelPool(self.box, self.limiter)

    @classmethod
    def from_settings(cls, settings: Settings) -> Hub:
        return cls(
            settings=settings,
            db=Database(settings.resolved_database_url()),
            box=SecretBox(settings.fernet_keys()),
        )

    async def aclose(self) -> None:
        await self.channels.aclose()
        await self.db.dispose()
