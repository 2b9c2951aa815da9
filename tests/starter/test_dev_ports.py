"""A busy port stops ``escalation dev`` before anything starts: one line per port, exit 2.

With the SMTP sink's port taken the stack used to die in a 40-line traceback after the
dev server had started; with Temporal's taken it started a worker against the *other*
stack's server. Each port is held here by a listening socket, as another stack would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from starter import cli

ROOT = Path(__file__).parents[2]
FLAGS = {
    "--port": "Temporal frontend",
    "--ui-port": "Temporal Web UI",
    "--smtp-port": "SMTP sink",
    "--web-port": "decision page",
    "--console-port": "partnership console",
    "--oidc-port": "local sign-in provider",
}


@pytest.fixture
def held() -> Iterator[socket.socket]:
    """A port something listens on, as another `escalation dev` would."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dev(cwd: Path, home: Path, ports: dict[str, int]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCALATION_")}
    env["ESCALATION_HOME"] = str(home)
    argv = [sys.executable, "-m", "starter.cli", "dev"]
    for flag, port in ports.items():
        argv += [flag, str(port)]
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=60
    )


@pytest.mark.parametrize("flag", list(FLAGS))
def test_a_busy_port_is_named_with_its_flag_and_nothing_starts(
    flag: str,
    held: socket.socket,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In-process (``escalation dev`` checks its ports before it starts anything)."""
    busy = int(held.getsockname()[1])
    ports = {f: _free_port() for f in FLAGS} | {flag: busy}
    home = tmp_path / "home"
    monkeypatch.setenv("ESCALATION_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    argv = ["dev", *(str(x) for pair in ports.items() for x in pair)]
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no banner: nothing was started
    first, last = err.splitlines()
    assert first.startswith(f"escalation dev: port {busy} ({FLAGS[flag]}) is in use")
    assert f"move it with {flag} PORT" in first and f'make dev ARGS="{flag} PORT"' in first
    assert last == "escalation dev: nothing started"
    assert not home.exists()


def test_one_port_given_to_two_parts_is_refused(tmp_path: Path) -> None:
    port = _free_port()
    ports = {"--port": _free_port(), "--ui-port": _free_port(), "--smtp-port": port}
    done = _dev(tmp_path, tmp_path / "home", ports | {"--web-port": port})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert (
        f"port {port} is given to both the SMTP sink (--smtp-port) and the decision page"
        " (--web-port)" in done.stderr
    )


def test_make_dev_passes_its_args_to_escalation_dev() -> None:
    # -o: take the virtualenv as built (no install); -n: print the command, run nothing.
    # Under `make test` this runs inside make: without its MAKEFLAGS/MAKELEVEL, the inner make
    # would print "Entering directory" lines around the command.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-n",
            "-o",
            ".venv/bin/.installed",
            "dev",
            "ARGS=--port 17233 --web-port 18088",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == ".venv/bin/escalation dev --port 17233 --web-port 18088"
