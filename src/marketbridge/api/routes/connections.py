"""Marketplace connections: create, list, read, update, delete, check, and trigger sync runs.

Credentials are write-only: they are sealed on the way in and never returned; the detail
shows only which credential fields are set. `base_url` fills every host alias of the
marketplace at once (a sandbox serves all of them on one port). Base URLs must be the
marketplace's own hosts (loopback too when `allow_loopback_targets` is on), and changing
them needs the credentials in the same request, so saved credentials never follow a new URL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketbridge.api.deps import HubDep, Reader, Writer
from marketbridge.api.fields import IdPath, valid_url
from marketbridge.api.idempotency import not_replayable
from marketbridge.api.pagination import Cursor, Limit, Page, decode_cursor, next_cursor
from marketbridge.api.problems import FieldError, Problem, channel_problem
from marketbridge.api.scoped import owned
from marketbridge.channels import registry
from marketbridge.channels.errors import ChannelError
from marketbridge.channels.spec import ChannelSpec
from marketbridge.store.accounts import Principal
from marketbridge.store.connections import (
    clean_credentials,
    create_connection,
    new_push_secret,
    set_credentials,
)
from marketbridge.store.tables import Connection
from marketbridge.sync.connection_check import check_connection
from marketbridge.sync.connection_settings import SettingsError, check_settings
from marketbridge.sync.dispatch import JobKind

router = APIRouter(prefix="/connections", tags=["connections"])
kinds_router = APIRouter(prefix="/channels", tags=["connections"])

Name = Field(min_length=1, max_length=200)


class ConnectionCreate(BaseModel):
    kind: str = Field(min_length=1, max_length=40, description="marketplace kind, see GET /channels")
    name: str = Name
    credentials: dict[str, str] = Field(description="write-only; the fields the marketplace needs")
    base_url: str | None = Field(default=None, max_length=2048, description="one URL for every host alias")
    base_urls: dict[str, str] = Field(default_factory=dict, description="URL per host alias")
    settings: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    check: bool = Field(
        default=False,
        description="check the credentials with one cheap marketplace call right away (the answer's "
        "credentials_checked and last_check_error say how it went); false: not checked yet",
    )

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else valid_url(value)

    @field_validator("base_urls")
    @classmethod
    def _urls(cls, value: dict[str, str]) -> dict[str, str]:
        return {k: valid_url(v) for k, v in value.items()}

    @field_validator("credentials")
    @classmethod
    def _credentials(cls, value: dict[str, str]) -> dict[str, str]:
        return clean_credentials(value)


class ConnectionUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    credentials: dict[str, str] | None = None
    base_url: str | None = Field(default=None, max_length=2048)
    base_urls: dict[str, str] | None = None
    settings: dict[str, Any] | None = None
    enabled: bool | None = None

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else valid_url(value)

    @field_validator("base_urls")
    @classmethod
    def _urls(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return None if value is None else {k: valid_url(v) for k, v in value.items()}

    @field_validator("credentials")
    @classmethod
    def _credentials(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return None if value is None else clean_credentials(value)


class ConnectionOut(BaseModel):
    id: int
    kind: str
    name: str
    enabled: bool
    base_urls: dict[str, str]
    settings: dict[str, Any]
    credential_fields_set: list[str] = Field(description="names only; values are never returned")
    push_url: str | None = Field(
        description="path to paste into the marketplace's push settings (after your host); it holds "
        "the push secret, so it is shown to write keys only (null for read-only keys and in an "
        "idempotent replay)"
    )
    created_at: datetime
    last_check_at: datetime | None
    last_check_error: str | None
    credentials_checked: bool = Field(
        description="false: the credentials were never checked with the marketplace"
    )


class CheckResult(BaseModel):
    ok: bool
    error: str | None
    checked_at: datetime
    retried: list[str] = Field(
        default_factory=list,
        description="job kinds whose last run failed, asked for again after a passing check",
    )


class SyncRequest(BaseModel):
    kind: JobKind


class Accepted(BaseModel):
    accepted: bool = True
    detail: str


class ChannelInfo(BaseModel):
    kind: str
    title: str
    credential_fields: list[str]
    host_aliases: list[str]


def _spec(kind: str) -> ChannelSpec:
    specs = registry.load_all()
    if kind not in specs:
        known = ", ".join(sorted(specs)) or "none registered"
        raise Problem(
            422,
            "unknown_channel_kind",
            f"unknown marketplace kind {kind!r}; known: {known}",
            errors=[FieldError(field="body.kind", message="unknown marketplace kind")],
        )
    return specs[kind]


def _check_fields(spec: ChannelSpec, credentials: dict[str, str], base_urls: dict[str, str]) -> None:
    errors = [
        FieldError(field=f"body.credentials.{f}", message="required")
        for f in spec.credential_fields
        if not credentials.get(f)
    ]
    errors += [
        FieldError(field=f"body.base_urls.{a}", message="required (or give base_url)")
        for a in spec.host_aliases
        if a not in base_urls
    ]
    if errors:
        raise Problem(422, "validation_failed", "the connection is incomplete", errors=errors)


def _check_hosts(hub: HubDep, spec: ChannelSpec, base_urls: dict[str, str]) -> None:
    allow = hub.settings.allow_loopback_targets
    errors = [
        FieldError(field=f"body.base_urls.{alias}", message=reason)
        for alias, url in sorted(base_urls.items())
        if (reason := spec.base_url_refusal(url, allow_loopback=allow))
    ]
    if errors:
        raise Problem(422, "base_url_not_allowed", f"base URLs must be hosts of {spec.title}", errors=errors)


def _settings(spec: ChannelSpec, settings: dict[str, Any]) -> dict[str, Any]:
    try:
        return check_settings(spec, settings)
    except SettingsError as exc:
        errors = [
            FieldError(field=f"body.settings.{where}".rstrip("."), message=m) for where, m in exc.errors
        ]
        raise Problem(
            422, "invalid_settings", "the connection's settings are not valid", errors=errors
        ) from exc


def _refusal_code(exc: ChannelError) -> str:
    """How a failed check names the marketplace's refusal: the API's problem code."""
    return channel_problem(exc).code


def _urls(spec: ChannelSpec, base_url: str | None, base_urls: dict[str, str]) -> dict[str, str]:
    filled = {alias: base_url for alias in spec.host_aliases} if base_url else {}
    filled.update(base_urls)
    return filled


def connection_out(row: Connection, credential_names: list[str], who: Principal) -> ConnectionOut:
    return ConnectionOut(
        id=row.id,
        kind=row.kind,
        name=row.name,
        enabled=row.enabled,
        base_urls=dict(row.base_urls),
        settings=dict(row.settings),
        credential_fields_set=credential_names,
        push_url=f"/push/{row.kind}/{row.id}/{row.push_secret}" if who.can_write else None,
        created_at=row.created_at,
        last_check_at=row.last_check_at,
        last_check_error=row.last_check_error,
        credentials_checked=row.last_check_at is not None,
    )


def _names(hub: HubDep, row: Connection) -> list[str]:
    try:
        return sorted(hub.box.decrypt_json(row.credentials))
    except ValueError:
        return []


@kinds_router.get("", summary="Marketplace kinds that can be connected")
async def list_channels(_: Reader) -> list[ChannelInfo]:
    return [
        ChannelInfo(
            kind=s.kind,
            title=s.title,
            credential_fields=list(s.credential_fields),
            host_aliases=list(s.host_aliases),
        )
        for s in sorted(registry.load_all().values(), key=lambda s: s.kind)
    ]


@router.post("", status_code=201, summary="Connect a marketplace account")
async def create(body: ConnectionCreate, request: Request, hub: HubDep, who: Writer) -> ConnectionOut:
    not_replayable(request, "push_url")
    spec = _spec(body.kind)
    urls = _urls(spec, body.base_url, body.base_urls)
    _check_fields(spec, body.credentials, urls)
    _check_hosts(hub, spec, urls)
    settings = _settings(spec, body.settings)
    try:
        async with hub.db.session() as s:
            row = await create_connection(
                s,
                hub.box,
                account_id=who.account_id,
                kind=body.kind,
                name=body.name,
                credentials=body.credentials,
                base_urls=urls,
                settings=settings,
            )
            row.enabled = body.enabled
            await s.flush()
    except IntegrityError as exc:
        raise Problem(409, "name_taken", f"a connection named {body.name!r} exists already") from exc
    if body.check:
        row.last_check_error, row.last_check_at, _ = await check_connection(hub, row, _refusal_code)
    return connection_out(row, sorted(body.credentials), who)


@router.get("", summary="List connections")
async def list_(hub: HubDep, who: Reader, limit: Limit = 100, cursor: Cursor = None) -> Page[ConnectionOut]:
    after = decode_cursor(cursor)
    async with hub.db.session() as s:
        rows = list(
            (
                await s.execute(
                    select(Connection)
                    .where(Connection.account_id == who.account_id, Connection.id > after)
                    .order_by(Connection.id)
                    .limit(limit)
                )
            ).scalars()
        )
    return Page(
        items=[connection_out(r, _names(hub, r), who) for r in rows],
        next_cursor=next_cursor([r.id for r in rows], limit),
    )


@router.get("/{connection_id}", summary="Read a connection (credentials are never returned)")
async def read(connection_id: IdPath, hub: HubDep, who: Reader) -> ConnectionOut:
    async with hub.db.session() as s:
        row = await owned(s, Connection, connection_id, who.account_id, "connection")
    return connection_out(row, _names(hub, row), who)


@router.patch("/{connection_id}", summary="Update a connection; credentials are replaced when given")
async def update(connection_id: IdPath, body: ConnectionUpdate, hub: HubDep, who: Writer) -> ConnectionOut:
    try:
        async with hub.db.session() as s:
            row = await owned(s, Connection, connection_id, who.account_id, "connection")
            spec = _spec(row.kind)
            credentials = (
                body.credentials if body.credentials is not None else hub.box.decrypt_json(row.credentials)
            )
            urls = _urls(spec, body.base_url, body.base_urls or {})
            if body.base_url is None:
                urls = {**row.base_urls, **urls}
            _check_fields(spec, credentials, urls)
            _check_hosts(hub, spec, urls)
            if urls != row.base_urls and body.credentials is None:
                raise Problem(
                    422,
                    "credentials_required",
                    "changing base URLs needs the credentials again in the same request",
                    errors=[FieldError(field="body.credentials", message="required with new base URLs")],
                )
            if body.credentials is not None:
                set_credentials(row, hub.box, body.credentials)
            row.base_urls = urls
            if body.name is not None:
                row.name = body.name
            if body.settings is not None:
                row.settings = _settings(spec, body.settings)
            if body.enabled is not None:
                row.enabled = body.enabled
            await s.flush()
    except IntegrityError as exc:
        raise Problem(409, "name_taken", f"a connection named {body.name!r} exists already") from exc
    return connection_out(row, sorted(credentials), who)


@router.delete("/{connection_id}", status_code=204, summary="Delete a connection and everything linked to it")
async def delete(connection_id: IdPath, hub: HubDep, who: Writer) -> Response:
    async with hub.db.session() as s:
        row = await owned(s, Connection, connection_id, who.account_id, "connection")
        await s.delete(row)
    return Response(status_code=204)


@router.post(
    "/{connection_id}/push-secret",
    summary="Replace the push secret: the old push URL stops working at once; paste the new one",
)
async def rotate_push_secret(
    connection_id: IdPath, request: Request, hub: HubDep, who: Writer
) -> ConnectionOut:
    not_replayable(request, "push_url")
    async with hub.db.session() as s:
        row = await owned(s, Connection, connection_id, who.account_id, "connection")
        row.push_secret = new_push_secret()
    return connection_out(row, _names(hub, row), who)


@router.post("/{connection_id}/check", summary="Check the credentials with a cheap marketplace call")
async def check(connection_id: IdPath, hub: HubDep, who: Writer) -> CheckResult:
    async with hub.db.session() as s:
        row = await owned(s, Connection, connection_id, who.account_id, "connection")
    error, now, retried = await check_connection(hub, row, _refusal_code)
    return CheckResult(ok=error is None, error=error, checked_at=now, retried=retried)


@router.post("/{connection_id}/sync", status_code=202, summary="Ask for a sync run of one kind now")
async def trigger_sync(connection_id: IdPath, body: SyncRequest, hub: HubDep, who: Writer) -> Accepted:
    async with hub.db.session() as s:
        row = await owned(s, Connection, connection_id, who.account_id, "connection")
        if not row.enabled:
            raise Problem(409, "connection_disabled", "enable the connection first")
    await hub.dispatcher.kick(connection_id, body.kind)
    return Accepted(detail=f"a {body.kind.value} run was requested; follow it in GET /sync-runs")
