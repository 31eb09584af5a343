"""Health, liveness and readiness of the hub process, for operators, supervisors and load balancers.

`/livez` is liveness: the process's event loop takes a request and answers it. It touches no
database or Redis, so it stays cheap under any load and a supervisor does not restart a hub
whose database is merely slow or down (that is for `/healthz` to report and `/readyz` to act on).

`/healthz` reports each part: the database (reachable, its dialect and schema revision),
Redis when one is configured (answers a PING within a second), and the age of the newest
worker heartbeat (a worker's scheduler beats every few seconds; None when no worker ever ran
against this database). It answers 503 only when the database is unreachable; a Redis that
is down makes the status "degraded" (stock and orders are still recorded, the workers' ticks
pick the work up). `/readyz` is for load balancers: 503 unless the database answers and its
schema is at the code's migration head.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from marketbridge.store import leases
from marketbridge.store.db import head_revision
from marketbridge.store.types import utcnow
from marketbridge.wiring import Hub

router = APIRouter(tags=["health"])

#: Seconds a Redis PING may take before Redis counts as down.
REDIS_TIMEOUT = 1.0


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


async def _database(hub: Hub) -> dict[str, Any]:
    try:
        revision = await hub.db.current_revision()
    except Exception as exc:  # the database is down: report it, do not crash
        return {"ok": False, "dialect": hub.db.dialect, "error": _error(exc)}
    head = head_revision()
    out: dict[str, Any] = {
        "ok": True,
        "dialect": hub.db.dialect,
        "revision": revision,
        "migrated": revision == head,
    }
    if revision != head:
        out["error"] = f"the schema is at {revision}, the code needs {head}: run `marketbridge db upgrade`"
    return out


async def _redis(url: str) -> dict[str, Any]:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
    try:
        await client.ping()
    except Exception as exc:
        return {"ok": False, "error": _error(exc)}
    finally:
        await client.aclose()
    return {"ok": True}


async def _worker(hub: Hub) -> dict[str, Any]:
    try:
        last = await leases.last_beat(hub.db)
    except Exception as exc:
        return {"heartbeat_age_seconds": None, "error": _error(exc)}
    if last is None:
        return {"heartbeat_age_seconds": None}
    age = (utcnow() - last.astimezone(UTC)).total_seconds()
    return {"heartbeat_age_seconds": round(max(age, 0.0), 1)}


#: The liveness answer (`api/app.py` sends it before the routes for GET).
ALIVE = b'{"status":"ok"}'


@router.get("/livez", summary="Liveness: the process answers (no database or Redis round trip)")
async def livez() -> Response:
    return Response(ALIVE, media_type="application/json")


@router.get("/healthz", summary="Health: the database, Redis and the age of the last worker heartbeat")
async def healthz(request: Request) -> JSONResponse:
    hub: Hub = request.app.state.hub
    database = await _database(hub)
    body: dict[str, Any] = {"status": "ok", "database": database}
    if hub.settings.redis_url:
        body["redis"] = await _redis(hub.settings.redis_url)
        if not body["redis"]["ok"]:
            body["status"] = "degraded"
    if database["ok"]:
        body["worker"] = await _worker(hub)
    else:
        body["status"] = "error"
    return JSONResponse(body, status_code=200 if database["ok"] else 503)


@router.get("/readyz", summary="Readiness for load balancers: the database answers and is migrated")
async def readyz(request: Request) -> JSONResponse:
    hub: Hub = request.app.state.hub
    database = await _database(hub)
    ready = bool(database["ok"] and database["migrated"])
    return JSONResponse({"ready": ready, "database": database}, status_code=200 if ready else 503)
