"""A connection's `settings`, checked before they are stored: bounded in size and depth, typed.

The hub's own settings (`schedule`, `match_by`, `create_missing`) are typed here; each
marketplace types its own (`ChannelSpec.settings_model`). A key neither knows, a value of the
wrong type or out of range, an object nested deeper than MAX_DEPTH or larger than MAX_BYTES
as JSON is refused with the path of the offending setting, and nothing is stored.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from marketbridge.channels.spec import ChannelSpec
from marketbridge.sync.dispatch import JobKind

MAX_DEPTH = 4
MAX_BYTES = 16_384
WEEK = 7 * 86_400.0
Seconds = Annotated[float, Field(ge=0, le=WEEK)]
MatchRule = Literal["offer_code", "barcode", "external_id"]


class SettingsError(ValueError):
    """Settings that cannot be stored: (setting path, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{where}: {message}" for where, message in errors))
        self.errors = errors


class HubSettings(BaseModel):
    """The settings every connection may have, whatever its marketplace."""

    model_config = ConfigDict(extra="ignore")
    schedule: dict[JobKind, Seconds] = Field(
        default_factory=dict, description="seconds between runs; 0 = off"
    )
    match_by: list[MatchRule] | MatchRule | None = Field(
        default=None, description="default offer_code, barcode"
    )
    create_missing: bool = True


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether objects and lists nest more than `limit` levels (walked without recursion)."""
    level: list[Any] = [value]
    for _ in range(limit + 1):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not any(isinstance(item, dict | list) for item in level):
            return False
    return True


def _errors(exc: ValidationError) -> list[tuple[str, str]]:
    return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]


def check_settings(spec: ChannelSpec, settings: dict[str, Any]) -> dict[str, Any]:
    """The settings as given when every one is known and valid; SettingsError otherwise."""
    if _deeper_than(settings, MAX_DEPTH):
        raise SettingsError([("", f"nested at most {MAX_DEPTH} levels deep")])
    if len(json.dumps(settings)) > MAX_BYTES:
        raise SettingsError([("", f"at most {MAX_BYTES} bytes of JSON")])
    models: list[type[BaseModel]] = [HubSettings]
    if spec.settings_model is not None:
        models.append(spec.settings_model)
    errors: list[tuple[str, str]] = []
    for model in models:
        try:
            model.model_validate(settings)
        except ValidationError as exc:
            errors += _errors(exc)
    known = {name for model in models for name in model.model_fields}
    errors += [(key, f"unknown setting for {spec.kind}") for key in settings if key not in known]
    if errors:
        raise SettingsError(errors)
    return settings
