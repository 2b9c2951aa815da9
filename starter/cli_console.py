"""``escalation console``: the signed-in partnership console (port 8090 by default)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from typing import Any

from settings import Settings, get_settings
from starter.cli_common import EXIT_BAD_INPUT, EXIT_REFUSED, cannot_connect
from starter.cli_common import fail as _fail

COMMANDS = ("console",)
DEFAULT_PORT = 8090


def add_commands(sub: Any) -> None:
    """Declare ``escalation console``."""
    s = get_settings()
    p = sub.add_parser(
        "console",
        help="Run the partnership console (sign-in through the partnership's OpenID Connect "
        "provider; ESCALATION_CONSOLE_* settings)",
    )
    p.add_argument("--address", default=s.temporal_address, help="Temporal frontend host:port")
    p.add_argument(
        "--namespace", default=s.temporal_namespace, help="Temporal namespace (TEMPORAL_NAMESPACE)"
    )
    p.add_argument("--task-queue", default=s.task_queue, help="The workers' task queue")
    p.add_argument("--database-url", help="Records database (default: ESCALATION_DATABASE_URL)")
    p.add_argument("--host", default="127.0.0.1", help="Interface to listen on")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="Port to listen on (8090)")


def missing_settings(s: Settings) -> list[str]:
    """The console's required settings that are unset, by variable name."""
    missing = []
    if not s.console_oidc_issuer:
        missing.append("ESCALATION_CONSOLE_OIDC_ISSUER: the sign-in provider's issuer URL")
    if not s.console_oidc_client_id:
        missing.append("ESCALATION_CONSOLE_OIDC_CLIENT_ID: the console's client id at the provider")
    if s.console_oidc_client_secret is None or not s.console_oidc_client_secret.get_secret_value():
        missing.append("ESCALATION_CONSOLE_OIDC_CLIENT_SECRET: the console's client secret")
    if s.console_session_secret is None or not s.console_session_secret.get_secret_value():
        missing.append(
            "ESCALATION_CONSOLE_SESSION_SECRET: encrypts the session cookie "
            "(generate one with `openssl rand -hex 32`)"
        )
    if s.console_access_file is None:
        missing.append("ESCALATION_CONSOLE_ACCESS_FILE: who holds which role (TOML)")
    return missing


def run(args: argparse.Namespace) -> int | None:
    """Run ``escalation console``; None for other commands."""
    if args.command not in COMMANDS:
        return None
    s = get_settings()
    if problems := missing_settings(s):
        for line in problems[:-1]:
            _fail(line, EXIT_BAD_INPUT)
        return _fail(problems[-1], EXIT_BAD_INPUT)
    from console.access import AccessError, AccessMap

    try:
        access = AccessMap.load(s.console_access_file)
    except AccessError as exc:
        return _fail(f"ESCALATION_CONSOLE_ACCESS_FILE: {exc}", EXIT_BAD_INPUT)
    logging.getLogger().setLevel(logging.INFO)
    return asyncio.run(_serve(args, s, access))


async def _serve(args: argparse.Namespace, s: Settings, access: Any) -> int:
    from console.app import Provider, run_console
    from records.db import DatabaseMissing, make_sessionmaker
    from starter.connect import connect

    assert s.console_oidc_client_secret is not None and s.console_session_secret is not None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    url = args.database_url or s.database_url
    try:
        sessions = make_sessionmaker(url, create=False)
    except DatabaseMissing as exc:
        return _fail(str(exc), EXIT_REFUSED)
    try:
        client = await connect(args.address, args.namespace)
    except RuntimeError as exc:
        return _fail(cannot_connect(args.address, exc), EXIT_REFUSED)
    provider = Provider(
        s.console_oidc_issuer,
        s.console_oidc_client_id,
        s.console_oidc_client_secret.get_secret_value(),
    )
    try:
        await run_console(
            client,
            args.task_queue,
            sessions,
            url,
            provider,
            access=access,
            access_path=s.console_access_file,
            base_url=s.console_base_url,
            session_secret=s.console_session_secret.get_secret_value(),
            host=args.host,
            port=args.port,
            stop=stop,
        )
    finally:
        await sessions.kw["bind"].dispose()
    return 0
