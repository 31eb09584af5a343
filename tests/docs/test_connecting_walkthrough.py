"""docs/connecting.md is a walkthrough: its `sh` blocks, run as written, in order, in one shell,
take a fresh directory from nothing to a shipped order on a marketplace sandbox. Every port the
doc's first block reads from the environment (`export NAME_PORT=${NAME_PORT:-…}`) gets a free one."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from marketbridge.runtime.serving import free_port

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "connecting.md"


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```$", text, flags=re.M | re.S)


def test_the_walkthrough_runs_as_written(tmp_path: Path) -> None:
    blocks = shell_blocks(DOC.read_text())
    assert len(blocks) >= 10
    script = "set -euo pipefail\n" + "\n".join(
        f"echo '>>> block {n}'\n{block}" for n, block in enumerate(blocks, start=1)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MB_")}
    ports = re.findall(r"(\w+_PORT)=\$\{\1:-\d+\}", blocks[0])
    assert "MB_PORT" in ports and len(ports) >= 2, blocks[0]
    env.update({name: str(free_port()) for name in ports})
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    output = tmp_path / "walkthrough.out"
    with output.open("w") as sink:
        proc = subprocess.Popen(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the background hub and sandbox too
        )
        try:
            proc.wait(timeout=240)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    out = output.read_text()
    logs = "".join(f"\n--- {p.name}\n{p.read_text()[-3000:]}" for p in tmp_path.glob("*.log"))
    assert proc.returncode == 0, out[-5000:] + logs
    status = out.split(f">>> block {len(blocks) - 1}\n")[1].split(">>> block")[0]
    assert status.strip() == "shipped", out[-2000:]
    assert "marketbridge listening on http://127.0.0.1:" in out
    assert (tmp_path / "labels.pdf").read_bytes().startswith(b"%PDF")
