"""The built wheel is the whole application: every file of the package (migrations, templates,
static files) is in it, and installed into a fresh virtualenv its `marketbridge` command runs
from the installed copy — the help, and a migration of a new database."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "marketbridge"


def _build_wheel(into: Path) -> Path:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(into), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = into.glob("marketbridge-*.whl")
    return wheel


def test_the_wheel_installs_into_a_clean_virtualenv(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path / "dist")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "marketbridge/" + p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    assert expected - names == set()  # every module and data file of the package
    assert any(n.startswith("marketbridge/store/migrations/versions/") for n in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "marketbridge = marketbridge.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    target = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The dependencies come from this interpreter's site-packages, appended after the fresh
    # environment's own (a plain path: its editable-install hooks are not run), so no index is needed.
    Path(target, "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]

    workdir = tmp_path / "run"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MB_") and k != "PYTHONPATH"}
    command = env_dir / "bin" / "marketbridge"
    helped = subprocess.run(
        [str(command), "--help"], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
    )
    assert helped.returncode == 0, helped.stderr
    assert "serve" in helped.stdout and "worker" in helped.stdout
    where = subprocess.run(
        [str(python), "-c", "import marketbridge; print(marketbridge.__file__)"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(env_dir)), where  # the installed copy, not the source tree
    upgraded = subprocess.run(
        [str(command), "db", "upgrade"], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
    )
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded: at revision" in upgraded.stdout and (workdir / "var" / "marketbridge.db").exists()
