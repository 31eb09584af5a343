"""Reading request bodies the way the Seller API does: JSON objects, clear 400s otherwise.

Ozon's gateway accepts int64 ids as numbers or strings; these helpers do the same and turn
anything malformed into an `OzonError` with code 3 (invalid argument).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from marketbridge.sandbox.ozon.errors import bad_request


async def read_body(request: Request, required: bool = True) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise bad_request("request body is required")
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise bad_request(f"Invalid request body: {exc}") from exc
    if not isinstance(data, dict):
        raise bad_request("Invalid request body: a JSON object is expected")
    return data


def get_obj(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{name}: an object is expected")
    return value


def get_list(data: dict[str, Any], name: str) -> list[Any]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request(f"{name}: an array is expected")
    return value


def get_int(data: dict[str, Any], name: str, default: int | None = None) -> int:
    value = data.get(name)
    if value is None or value == "":
        if default is None:
            raise bad_request(f"{name}: value is required")
        return default
    if isinstance(value, bool):
        raise bad_request(f"{name}: an integer is expected")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise bad_request(f"{name}: an integer is expected, got {value!r}")


def get_ints(data: dict[str, Any], name: str) -> list[int]:
    return [get_int({name: v}, name) for v in get_list(data, name)]


def get_limit(data: dict[str, Any], maximum: int, default: int | None = None) -> int:
    limit = get_int(data, "limit", default)
    if not 1 <= limit <= maximum:
        raise bad_request(f"limit: must be between 1 and {maximum}, got {limit}")
    return limit


def get_time(data: dict[str, Any], name: str, required: bool = False) -> datetime | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise bad_request(f"{name}: value is required")
        return None
    if not isinstance(value, str):
        raise bad_request(f"{name}: a date-time string is expected")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise bad_request(f"{name}: not a date-time: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def encode_cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def decode_cursor(cursor: Any) -> Any:
    if not cursor:
        return None
    if not isinstance(cursor, str):
        raise bad_request("cursor: a string is expected")
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error) as exc:
        raise bad_request("cursor: invalid value") from exc


def page_after(keys: Sequence[int], after: int | None, limit: int) -> tuple[list[int], bool]:
    """The next `limit` keys of a sorted sequence after `after`, and whether more follow."""
    start = 0 if after is None else bisect.bisect_right(keys, after)
    chunk = list(keys[start : start + limit])
    return chunk, start + limit < len(keys)


def as_int(value: Any, default: int = 0) -> int:
    """A lenient int: a number or a string of digits, else `default`."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return default
