"""Running a sandbox app with uvicorn, on loopback unless told otherwise."""

from __future__ import annotations

import uvicorn
from starlette.types import ASGIApp

from marketbridge.runtime.serving import KEEP_ALIVE_SECONDS


def serve(app: ASGIApp, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning") -> None:
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
