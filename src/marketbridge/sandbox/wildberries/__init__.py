"""The Wildberries sandbox: content, prices, marketplace (FBS), common and returns APIs on one port."""

from __future__ import annotations

from marketbridge.channels.wildberries.endpoints import DEFAULT_HOSTS
from marketbridge.sandbox.registry import SandboxSpec, register
from marketbridge.sandbox.wildberries.app import create_app, default_issuer
from marketbridge.sandbox.wildberries.shop import FAULT_MENU

HOST_ALIASES = tuple(DEFAULT_HOSTS)


def make_credentials() -> dict[str, str]:
    """A fresh token with every category, signed by this process's sandbox."""
    return {"token": default_issuer().mint()}


def describe(credentials: dict[str, str]) -> str:
    return (
        f"Authorization: {credentials.get('token', '')}  (all categories; POST /_sandbox/tokens mints others)"
    )


SPEC = register(
    SandboxSpec(
        kind="wildberries",
        create_app=create_app,
        credential_options=("token",),
        make_credentials=make_credentials,
        host_aliases=HOST_ALIASES,
        describe=describe,
        faults=FAULT_MENU,
    )
)

__all__ = ["HOST_ALIASES", "SPEC", "create_app"]
