"""Run a benchmark module as its users do (``python -m bench...``) and read its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]


def run_bench(module: str, args: list[str], out: Path, timeout: float = 180) -> tuple[Any, str]:
    """``python -m module *args --output out`` from the project: its JSON and what it printed,
    once it exits 0."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args, "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout
