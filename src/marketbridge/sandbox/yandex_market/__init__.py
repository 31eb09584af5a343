"""The Yandex Market sandbox: the Partner API (catalog, stocks, prices) of one business on one port."""

from __future__ import annotations

import secrets

from marketbridge.sandbox.registry import SandboxSpec, register
from marketbridge.sandbox.yandex_market.app import create_app


def make_credentials() -> dict[str, str]:
    """A fresh Api-Key and OAuth token, and the id of the business they open."""
    return {
        "api_key": f"ACMA:{secrets.token_urlsafe(24)}",
        "business_id": str(secrets.randbelow(9_000_000) + 1_000_000),
        "oauth_token": f"y0_{secrets.token_urlsafe(32)}",
    }


def describe(credentials: dict[str, str]) -> str:
    return (
        f"header: Api-Key: {credentials['api_key']}  (or Authorization: Bearer {credentials['oauth_token']}); "
        f"business id {credentials['business_id']}; GET /v2/campaigns lists the campaigns"
    )


SPEC = register(
    SandboxSpec(
        kind="yandex-market",
        create_app=create_app,
        credential_options=("api_key", "business_id", "oauth_token"),
        make_credentials=make_credentials,
        host_aliases=("default",),
        describe=describe,
    )
)

__all__ = ["SPEC", "create_app"]
