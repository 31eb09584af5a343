"""Builds the hub's parts from settings: database, secret box, rate limiter.

The API process, the worker and the CLI all start from `Hub.from_settings`, so every process
is wired the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from marketbridge.runtime.ratelimit import Limiter, MemoryLimiter
from marketbridge.runtime.settings import Settings
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database


@dataclass
class Hub:
    settings: Settings
    db: Database
    box: SecretBox
    limiter: Limiter = field(default_factory=MemoryLimiter)

    @classmethod
    def from_settings(cls, settings: Settings) -> Hub:
        return cls(
            settings=settings,
            db=Database(settings.resolved_database_url()),
            box=SecretBox(settings.fernet_keys()),
        )

    async def aclose(self) -> None:
        await self.db.dispose()
