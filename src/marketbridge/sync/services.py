"""What the use-cases need from the process that runs them: the database, the secret box,
the channel pool, the settings, the worker's name and the resolver of tenant-given hosts.

The composition root (wiring.Hub) provides these; the use-cases name only this protocol,
so sync depends on nothing above it.
"""

from __future__ import annotations

from typing import Protocol

from marketbridge.runtime.settings import Settings
from marketbridge.runtime.targets import Resolver
from marketbridge.store.crypto import SecretBox
from marketbridge.store.db import Database
from marketbridge.sync.channel_pool import ChannelPool


class Services(Protocol):
    settings: Settings
    db: Database
    box: SecretBox
    channels: ChannelPool
    worker_id: str

    @property
    def resolver(self) -> Resolver:
        """Resolves the host names tenants give (webhook targets) before they are checked."""
        ...
