"""The example deployment files under deploy/: the systemd units pass `systemd-analyze verify`
(with the command path pointed at this environment's `marketbridge`), and the compose file has
PostgreSQL, Redis, the migrations, one API process and two workers wired to them."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTALLED = "/opt/marketbridge/venv/bin/marketbridge"


def _units() -> dict[str, configparser.ConfigParser]:
    units = {}
    for path in sorted((DEPLOY / "systemd").glob("*.service")):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
        parser.read(path)
        units[path.name] = parser
    return units


def test_the_units_run_serve_and_worker_with_the_settings_file() -> None:
    units = _units()
    assert set(units) == {"marketbridge-api.service", "marketbridge-worker@.service"}
    api, worker = units["marketbridge-api.service"], units["marketbridge-worker@.service"]
    assert api["Service"]["ExecStart"] == f"{INSTALLED} serve --no-worker"
    assert worker["Service"]["ExecStart"].startswith(f"{INSTALLED} worker --metrics-port ")
    for unit in units.values():
        assert unit["Service"]["EnvironmentFile"] == "/etc/marketbridge/marketbridge.env"
        assert unit["Service"]["Restart"] == "on-failure"
        assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the units were checked as INI files only (test above)")
    here = str(Path(sys.executable).parent / "marketbridge")
    for name in ("marketbridge-api.service", "marketbridge-worker@.service"):
        text = (DEPLOY / "systemd" / name).read_text().replace(INSTALLED, here)
        (tmp_path / name).write_text(text)
    (tmp_path / "marketbridge-worker@1.service").symlink_to("marketbridge-worker@.service")
    bad = tmp_path / "broken.service"
    bad.write_text("[Service]\nExecStart=relative/marketbridge serve\n")
    checked = subprocess.run(
        [
            analyze,
            "verify",
            str(tmp_path / "marketbridge-api.service"),
            str(tmp_path / "marketbridge-worker@1.service"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.strip() == ""  # not even a warning
    refused = subprocess.run([analyze, "verify", str(bad)], capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0  # the check can fail


def test_the_compose_file_runs_migrations_then_an_api_and_two_workers() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "api", "worker-1", "worker-2"}
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["api"]["command"][:2] == ["serve", "--no-worker"]
    assert [services[w]["command"][0] for w in ("worker-1", "worker-2")] == ["worker", "worker"]
    for name in ("api", "worker-1", "worker-2"):
        service = services[name]
        env = service["environment"]
        assert (
            env["MB_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["MB_DATABASE_URL"]
        )
        assert env["MB_REDIS_URL"] == "redis://redis:6379/0"
        assert env["MB_SECRET_KEY"].startswith("${MB_SECRET_KEY:?")  # never a key in the file
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert (DEPLOY / "Dockerfile").exists() and services["api"]["build"]["dockerfile"] == "deploy/Dockerfile"
