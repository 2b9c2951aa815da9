"""The benchmark's processes: a worker per side, measured with psutil.

Each side's worker is a process of its own (``python worker.py`` for the
product, ``python -m bench.bare`` for the bare workflow) so that its resident
memory is its own and nothing the benchmark itself holds is counted.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


# What the workers import (bench: the bare side's workflow, so both sides are alike).
COMPILED = ["models", "workflows", "activities", "starter", "packs", "workdays", "records", "codec"]
COMPILED += ["bench", "worker.py", "settings.py"]


def compile_bytecode(prefix: Path) -> dict[str, str]:
    """Compile the product's modules under ``prefix``, as the image's ``compileall`` step does.

    The workers then read that bytecode (the environment this returns points
    ``PYTHONPYCACHEPREFIX`` at it) instead of compiling every workflow module from
    source for each sandboxed instance, without writing ``__pycache__`` into the
    checkout.
    """
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(prefix)}
    targets = [str(ROOT / p) for p in COMPILED]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *targets], env=env, check=True)
    return {"PYTHONPYCACHEPREFIX": str(prefix)}


class WorkerProc:
    """One worker process, started with its settings in the environment."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109 - a bounded wait
        """Start it and wait for its 'polling' log line."""
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("ESCALATION_", "TEMPORAL_"))
        }
        env.update(self.env)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: ASYNC220 - returns at once
                [sys.executable, *self.argv], cwd=ROOT, env=env, stdout=out, stderr=out
            )
        deadline = time.monotonic() + timeout
        while b"worker polling task queue" not in self.log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log.read_text(errors="replace").splitlines()[-10:]
                raise RuntimeError(f"{self.name} worker did not start: " + " | ".join(tail))
            await asyncio.sleep(0.05)

    @property
    def ps(self) -> psutil.Process:
        """The process as psutil sees it."""
        assert self.process is not None
        return psutil.Process(self.process.pid)

    def rss_mib(self) -> float:
        """Resident memory, MiB."""
        return float(self.ps.memory_info().rss) / MIB

    async def wait_idle(
        self,
        below: float = 5.0,
        timeout: float = 60.0,  # noqa: ASYNC109 - a bounded wait
        window: float = 0.5,
    ) -> None:
        """Wait until it uses under ``below`` % CPU for two ``window``s running (backlog done)."""
        ps = self.ps
        ps.cpu_percent(None)
        quiet = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and quiet < 2:
            await asyncio.sleep(window)
            quiet = quiet + 1 if ps.cpu_percent(None) < below else 0

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
