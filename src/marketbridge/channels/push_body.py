"""Reading a marketplace notification's body: a JSON object, or the reason it is not one."""

from __future__ import annotations

import json
from typing import Any


def json_object(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(the body as a JSON object, None), or (None, why it is not one) for the error reply."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, "the body is not JSON"
    if not isinstance(body, dict):
        return None, "the body is not a JSON object"
    return body, None
