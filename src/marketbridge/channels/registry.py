"""The registry of marketplaces: each channel package registers its ChannelSpec here."""

from __future__ import annotations

import importlib

from marketbridge.channels.spec import ChannelSpec

_SPECS: dict[str, ChannelSpec] = {}

#: Channel packages loaded by `load_all`; a new marketplace adds its package name here.
PACKAGES: tuple[str, ...] = ("wildberries", "ozon", "yandex_market")


def register(spec: ChannelSpec) -> ChannelSpec:
    if spec.kind in _SPECS and _SPECS[spec.kind] is not spec:
        raise ValueError(f"channel kind {spec.kind!r} is registered twice")
    _SPECS[spec.kind] = spec
    return spec


def load_all() -> dict[str, ChannelSpec]:
    for name in PACKAGES:
        importlib.import_module(f"marketbridge.channels.{name}")
    return dict(_SPECS)


def get(kind: str) -> ChannelSpec:
    specs = load_all()
    try:
        return specs[kind]
    except KeyError as exc:
        raise KeyError(f"unknown channel kind {kind!r}; known: {', '.join(sorted(specs))}") from exc
