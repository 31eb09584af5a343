"""The journal of marketplace requests a sandbox keeps: each request with its body, then its answer.

A sandbox's gate writes an entry when a request arrives (`request_entry`) and completes it
with the status and the (small) JSON body of the answer (`record_answer`), so that tests
read back what the seller sent and check every answer against the marketplace's description.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

#: Answers up to this size are kept whole in the journal.
JOURNAL_BODY_LIMIT = 64 * 1024


def request_entry(request: Request, raw: bytes) -> dict[str, Any]:
    """A journal entry of a request: when, method, path, query and its body (JSON when it is)."""
    body: Any = None
    if raw:
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw[:2000].decode("utf-8", "replace")
    return {
        "at": time.time(),
        "method": request.method,
        "path": request.url.path,
        "query": dict(request.query_params),
        "body": body,
    }


async def record_answer(entry: dict[str, Any], response: Response) -> Response:
    """Keep the status and (small) JSON body of the answer in the journal entry."""
    entry["status"] = response.status_code
    iterator = getattr(response, "body_iterator", None)
    if iterator is None:
        body = bytes(response.body)
    else:
        body = b"".join([chunk if isinstance(chunk, bytes) else chunk.encode() async for chunk in iterator])
        response = Response(content=body, status_code=response.status_code, headers=dict(response.headers))
    if body and len(body) <= JOURNAL_BODY_LIMIT:
        with contextlib.suppress(ValueError):
            entry["response"] = json.loads(body)
    return response
