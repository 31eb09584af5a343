"""Settings from MB_ environment variables (and a .env file), with safe defaults for a laptop.

The default database is a SQLite file under ./var; the secret key that encrypts stored
credentials is generated into ./var/secret.key on first use when MB_SECRET_KEY is not set
(`generated_key_file` then names it, so that a start refused because the database holds data
of another key can remove it again).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import structlog
from cryptography.fernet import Fernet
from pydantic import Field, PrivateAttr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = structlog.get_logger(__name__)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MB_", env_file=".env", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="where the default database and key file live")
    database_url: str | None = Field(default=None, description="SQLAlchemy async URL; default SQLite in var/")
    redis_url: str | None = Field(default=None, description="Redis URL: shared queue and rate limits")
    secret_key: str | None = Field(default=None, description="Fernet key(s) for credentials, comma-separated")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    lease_ttl: float = Field(
        default=30.0, gt=0, description="seconds before a dead worker's job is taken over"
    )
    worker_jobs: int = Field(
        default=16,
        ge=1,
        le=1000,
        description="jobs one worker process runs at once; the others wait their turn (below the database pool)",
    )
    log_level: str = "info"
    log_json: bool = True
    allow_loopback_targets: bool = Field(
        default=False,
        description="development only: webhook targets and marketplace base URLs may be loopback"
        " (127.0.0.0/8, ::1, localhost); the demo and the tests run everything there",
    )
    max_body_bytes: int = Field(default=1 << 20, ge=1024, description="largest request body (bytes)")
    max_bulk_body_bytes: int = Field(
        default=32 << 20, ge=1024, description="largest body of the bulk routes (bytes)"
    )
    body_timeout: float = Field(default=30.0, gt=0, description="seconds a client may take to send a body")
    production: bool = Field(
        default=False,
        description="served over HTTPS (behind a TLS proxy): dashboard cookies get Secure and the __Host- prefix",
    )
    _generated_key: Path | None = PrivateAttr(default=None)

    @property
    def generated_key_file(self) -> Path | None:
        """The key file this process generated (None when the key was given or read)."""
        return self._generated_key

    operator_token: str | None = Field(
        default=None,
        min_length=32,
        description="bearer token of the operator API (/operator/v1); unset, that API answers 404",
    )

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.split(":///", 1)[1]
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{self.var_dir / 'marketbridge.db'}"

    def fernet_keys(self) -> list[bytes]:
        """The encryption keys, newest first; generated into var/secret.key when none is given."""
        if self.secret_key:
            return [k.strip().encode() for k in self.secret_key.split(",") if k.strip()]
        path = self.var_dir / "secret.key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            key = Fernet.generate_key()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(key)
            self._generated_key = path
            log.warning("secret_key_generated", path=str(path), hint="set MB_SECRET_KEY in production")
        return [path.read_bytes().strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
