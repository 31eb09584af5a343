"""The channel pool: one built channel per connection, reused (its HTTP pool stays warm), rebuilt on change."""

from __future__ import annotations

import hashlib

from marketbridge.channels import registry
from marketbridge.channels.roles import Channel, ConnectionConfig
from marketbridge.runtime.ratelimit import Limiter
from marketbridge.runtime.redaction import remember
from marketbridge.store.crypto import SecretBox
from marketbridge.store.tables import Connection


def channel_config(row: Connection, box: SecretBox) -> ConnectionConfig:
    """What a channel needs to talk for this connection, with the credentials decrypted (and
    remembered, so that no error text shows them)."""
    credentials = box.decrypt_json(row.credentials)
    remember([*credentials.values(), row.push_secret])
    return ConnectionConfig(
        connection_id=str(row.id),
        base_urls=dict(row.base_urls),
        credentials=credentials,
        settings=dict(row.settings),
    )


class ChannelPool:
    def __init__(self, box: SecretBox, limiter: Limiter, *, allow_loopback: bool = False) -> None:
        self.box = box
        self.limiter = limiter
        self.allow_loopback = allow_loopback
        self._channels: dict[int, tuple[str, Channel]] = {}

    def get(self, row: Connection) -> Channel:
        """The channel for a connection row; rebuilt when its credentials, URLs or settings change.

        Its base URLs are checked again here (HostNotAllowed), so a row written before a
        setting changed, or by any other path, never sends credentials elsewhere."""
        fingerprint = hashlib.sha256(
            row.credentials
            + repr(sorted(row.base_urls.items())).encode()
            + repr(sorted(row.settings.items())).encode()
        ).hexdigest()
        cached = self._channels.get(row.id)
        if cached and cached[0] == fingerprint:
            return cached[1]
        spec = registry.get(row.kind)
        spec.check_base_urls(dict(row.base_urls), allow_loopback=self.allow_loopback)
        channel = spec.create(channel_config(row, self.box), self.limiter)
        self._channels[row.id] = (fingerprint, channel)
        return channel

    async def aclose(self) -> None:
        for _, channel in self._channels.values():
            await channel.aclose()
        self._channels.clear()
