"""README's five-minute tour, run as a user runs it, from a directory outside the project.

``escalation dev`` runs on free ports with ``ESCALATION_HOME`` in a temporary directory;
every ``escalation`` command of the tour then runs, in README's order, as the installed
console script with the current directory elsewhere (holding only a copy of the example
files the commands name) and nothing but ``ESCALATION_HOME`` and ``TEMPORAL_ADDRESS`` to
find the stack. The Maildir snippet runs there too. Nothing may depend on the current
directory: no ``.escalation`` appears there, and the record lands where ``--out`` says.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.test_devstack import _banner
from tests.test_readme_commands import README, ROOT, escalation_commands, sh_blocks

ESCALATION = Path(sys.executable).parent / "escalation"
"""The console script ``pip install -e .`` put beside the interpreter, as the tour runs it."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(argv: list[str], cwd: Path, env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(
        argv, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{shlex.join(argv)}: exit {done.returncode}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def _eventually(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    """A command whose answer the worker writes a moment after an update returns."""
    deadline = time.monotonic() + 60
    while True:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
        if done.returncode == 0 or time.monotonic() > deadline:
            assert done.returncode == 0, done.stderr
            return done.stdout
        time.sleep(0.5)


def test_the_tour_runs_from_outside_the_project(tmp_path: Path) -> None:
    home, cwd = tmp_path / "home", tmp_path / "elsewhere"
    shutil.copytree(ROOT / "examples", cwd / "examples")
    port = _free_port()
    flags = {"--port": port, "--ui-port": _free_port()}
    flags |= {"--smtp-port": _free_port(), "--web-port": _free_port()}
    flags |= {"--console-port": _free_port(), "--oidc-port": _free_port()}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ESCALATION_", "TEMPORAL_"))}
    env = base | {"ESCALATION_HOME": str(home), "TEMPORAL_ADDRESS": f"127.0.0.1:{port}"}
    dev = subprocess.Popen(
        [str(ESCALATION), "dev", *(str(x) for pair in flags.items() for x in pair)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    outputs: dict[str, str] = {}
    try:
        _banner(dev)
        for command in escalation_commands(README.read_text(encoding="utf-8")):
            argv = [str(ESCALATION), *shlex.split(command, comments=True)[1:]]
            run = _eventually if argv[1] == "record" else _run
            outputs[command] = run(argv, cwd, env)
        [snippet] = [b for b in sh_blocks(README.read_text()) if "mailbox.Maildir" in b]
        program = snippet.split("<<'EOF'\n", 1)[1].rsplit("EOF", 1)[0]
        links = _run([sys.executable, "-"], cwd, env, stdin=program)
    finally:
        dev.send_signal(signal.SIGINT)
        out, _ = dev.communicate(timeout=30)
    assert dev.returncode == 0 and out.splitlines()[-1].startswith("Stopped")
    ran = {shlex.split(c, comments=True)[1] for c in outputs}
    assert {"start", "status", "deadline", "resolve", "confirm", "unresolve"} <= ran
    assert {"list", "overdue", "record", "report"} <= ran
    started = [out.strip() for c, out in outputs.items() if " start " in f"{c} "]
    assert started[0] == "disagreement-CR-2026-00417-threshold-01"
    [deadline] = [out for c, out in outputs.items() if c.startswith("escalation deadline")]
    assert deadline.startswith("2026-12-30T17:00:00")
    assert "B. Social Worker | http://127.0.0.1:" in links
    assert (cwd / "CR-2026-00417.html").read_text().startswith("<!doctype html>")
    assert (home / "escalation.db").is_file() and (home / "mail").is_dir()
    assert sorted(p.name for p in cwd.iterdir()) == ["CR-2026-00417.html", "examples"]
