"""Credentials: a good key passes the check; a wrong key is a clear AuthError and writes nothing."""

from __future__ import annotations

import pytest

from marketbridge.channels.errors import AuthError, ChannelError
from marketbridge.channels.roles import StockPush, StockSink, require
from tests.support.contract import smoke_check
from tests.support.marketplaces import Market, kinds_with, registered_kinds, shop

ALL = registered_kinds()


@pytest.mark.parametrize("market", ALL, indirect=True)
async def test_good_credentials_pass_the_check(market: Market) -> None:
    await smoke_check(market)


@pytest.mark.parametrize("market", ALL, indirect=True)
async def test_wrong_key_is_an_auth_error(market: Market) -> None:
    channel = market.channel(market.wrong_credentials())
    try:
        with pytest.raises(AuthError) as raised:
            await channel.check()
    finally:
        await channel.aclose()
    assert str(raised.value), "the error says what went wrong"


@pytest.mark.parametrize("market", kinds_with(StockSink), indirect=True)
async def test_wrong_key_writes_nothing(market: Market) -> None:
    s = await shop(market)
    before = market.items("stocks")
    code = s.plain[0]
    push = StockPush(s.external_ids[code], code, s.warehouses[0], 3, barcode=s.barcodes[code])
    channel = market.channel(market.wrong_credentials())
    try:
        try:
            results = await require(channel, StockSink).push_stocks([push])
        except ChannelError as exc:
            assert isinstance(exc, AuthError), exc
        else:
            assert [r.ok for r in results] == [False]
    finally:
        await channel.aclose()
    assert market.items("stocks") == before
