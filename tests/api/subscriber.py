"""A webhook subscriber on loopback for tests: fails the first N deliveries, records every request."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class Received:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Subscriber:
    fail_first: int = 0
    received: list[Received] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> JSONResponse:
            status = 503 if len(self.received) < self.fail_first else 200
            self.received.append(Received(status, dict(request.headers), await request.body()))
            return JSONResponse({"ok": status == 200}, status_code=status)

        return app

    @property
    def successes(self) -> list[Received]:
        return [r for r in self.received if r.status == 200]
