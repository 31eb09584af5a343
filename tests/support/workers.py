"""Worker processes for tests: `marketbridge worker` started with the test's database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def worker_env(
    database_url: str, secret_key: str, redis_url: str | None, lease_ttl: float = 3.0
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MB_")}
    env.update(
        {
            "MB_DATABASE_URL": database_url,
            "MB_SECRET_KEY": secret_key,
            "MB_LEASE_TTL": str(lease_ttl),
            "MB_LOG_LEVEL": "warning",
            "MB_ALLOW_LOOPBACK_TARGETS": "true",  # the sandboxes and subscribers are on loopback
        }
    )
    if redis_url:
        env["MB_REDIS_URL"] = redis_url
    return env


class WorkerProcess:
    def __init__(self, env: dict[str, str], log: Path, args: tuple[str, ...] = ()) -> None:
        self.env = env
        self.log = log
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "marketbridge.cli", "worker", *self.args],
            env=self.env,
            stdout=out,
            stderr=out,
        )
        return self

    def kill(self) -> None:
        """SIGKILL: no clean-up, no lease release, exactly like a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
