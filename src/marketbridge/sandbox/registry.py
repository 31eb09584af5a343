"""The registry of sandboxes: each sandbox package registers how to build its app."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

#: Sandbox packages loaded by `load_all`; a new marketplace adds its package name here.
PACKAGES: tuple[str, ...] = ("wildberries", "ozon", "yandex_market")


@dataclass(frozen=True)
class SandboxSpec:
    """`create_app(credentials, demo_data, limits)` builds the app; `credential_options` are CLI options;
    `faults` the items of the control API's fault menu (`sandbox.common.faults.MENU`) it emulates."""

    kind: str
    create_app: Callable[..., FastAPI]
    credential_options: tuple[str, ...]
    make_credentials: Callable[[], dict[str, str]]
    host_aliases: tuple[str, ...]
    describe: Callable[[dict[str, str]], str]
    extra: dict[str, Any] | None = None
    faults: frozenset[str] = frozenset()


_SPECS: dict[str, SandboxSpec] = {}


def register(spec: SandboxSpec) -> SandboxSpec:
    _SPECS[spec.kind] = spec
    return spec


def load_all() -> dict[str, SandboxSpec]:
    for name in PACKAGES:
        importlib.import_module(f"marketbridge.sandbox.{name}")
    return dict(_SPECS)


def get(kind: str) -> SandboxSpec:
    specs = load_all()
    try:
        return specs[kind]
    except KeyError as exc:
        raise KeyError(f"unknown sandbox {kind!r}; known: {', '.join(sorted(specs))}") from exc
