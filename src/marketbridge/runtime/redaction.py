"""Credential values kept out of error text: a process-wide memory of known secrets and `redact`.

Every credential value the process decrypts or is given (a connection's channel is built, its
credentials are written) is remembered here; `redact` replaces each remembered value, and any
extra ones given, by `***` in a text before it is stored, logged or sent in a webhook. Values
shorter than MIN_LENGTH are not secrets worth the name (and replacing them would garble every
message) and are left alone. The memory is bounded (least recently remembered first out).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

from marketbridge.runtime.lru import LruDict

MIN_LENGTH = 4
MASK = "***"
_KNOWN: LruDict[str, None] = LruDict(100_000)
_pattern: re.Pattern[str] | None = None
_lock = threading.Lock()  # servers of several event loops may share the process (tests do)


def _forms(value: str) -> set[str]:
    """The value as given, stripped, and as Python's repr shows it inside error messages."""
    stripped = value.strip()
    forms = {value, stripped, repr(value)[1:-1], repr(stripped)[1:-1]}
    return {f for f in forms if len(f) >= MIN_LENGTH}


def remember(values: Iterable[str]) -> None:
    """Add secret values (credentials, push secrets) to what `redact` hides."""
    global _pattern
    forms = {form for value in values for form in _forms(value)}
    with _lock:
        for form in forms:
            if form not in _KNOWN:
                _KNOWN[form] = None
                _pattern = None


def _known_pattern() -> re.Pattern[str] | None:
    global _pattern
    with _lock:
        if _pattern is None and len(_KNOWN):
            alternatives = sorted(_KNOWN, key=len, reverse=True)  # the longest form wins
            _pattern = re.compile("|".join(re.escape(v) for v in alternatives))
        return _pattern


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """`text` with every remembered secret, and every value of `extra`, replaced by `***`."""
    own = sorted({f for v in extra for f in _forms(v)}, key=len, reverse=True)
    for value in own:
        text = text.replace(value, MASK)
    pattern = _known_pattern()
    return text if pattern is None else pattern.sub(MASK, text)


def url_for_readers(url: str) -> str:
    """What a read-only viewer sees of a URL the seller gave (it may carry a token in its user
    part, path or query): the scheme, host and port, and `/***` for the rest."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    rest = "/***" if (parts.path not in ("", "/") or parts.query or parts.fragment or parts.username) else ""
    return f"{parts.scheme}://{host}{port}{rest}"
