"""A faithful local emulator of the Ozon Seller API (FBS), registered as the `ozon` sandbox."""

from __future__ import annotations

import secrets
import uuid

from marketbridge.sandbox.ozon.app import create_app
from marketbridge.sandbox.ozon.backend import FAULT_MENU
from marketbridge.sandbox.registry import SandboxSpec, register


def make_credentials() -> dict[str, str]:
    """A made-up Client-Id (a positive integer, as Ozon's are) and Api-Key (a UUID)."""
    return {"client_id": str(100_000 + secrets.randbelow(900_000)), "api_key": str(uuid.uuid4())}


def describe(credentials: dict[str, str]) -> str:
    return f"headers: Client-Id: {credentials['client_id']}  Api-Key: {credentials['api_key']}"


SPEC = register(
    SandboxSpec(
        kind="ozon",
        create_app=create_app,
        credential_options=("client_id", "api_key"),
        make_credentials=make_credentials,
        host_aliases=("default",),
        describe=describe,
        faults=FAULT_MENU,
    )
)

__all__ = ["SPEC", "create_app", "describe", "make_credentials"]
