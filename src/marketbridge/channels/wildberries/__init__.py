"""The Wildberries channel: FBS assembly tasks, supplies, stocks, prices, cards and claims."""

from __future__ import annotations

from marketbridge.channels.registry import register
from marketbridge.channels.spec import ChannelSpec
from marketbridge.channels.wildberries import endpoints as ep
from marketbridge.channels.wildberries.base import WbSettings
from marketbridge.channels.wildberries.channel import WildberriesChannel
from marketbridge.channels.wildberries.endpoints import DEFAULT_HOSTS

HOST_ALIASES = tuple(DEFAULT_HOSTS)

SPEC = register(
    ChannelSpec(
        kind="wildberries",
        title="Wildberries",
        credential_fields=("token",),
        default_hosts=DEFAULT_HOSTS,
        channel_class=WildberriesChannel,
        settings_model=WbSettings,
        api=ep.API,
        # one poll: the new tasks, the tasks of the window, the statuses of what was found
        order_poll_calls=(ep.ORDERS_NEW, ep.ORDERS, ep.ORDERS_STATUS),
        # the new-order feed: the new tasks alone
        new_order_calls=(ep.ORDERS_NEW,),
    )
)

__all__ = ["HOST_ALIASES", "SPEC", "WildberriesChannel"]
