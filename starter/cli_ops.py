"""Operating commands: schemas, the codec endpoint, search attributes, visibility, decision page.

``escalation schemas [--write]``   check (or regenerate) the published JSON Schemas
``escalation codec-key``           print a new ESCALATION_CODEC_KEYS entry
``escalation codec-server``        the Web UI's remote codec endpoint
``escalation setup``               register the search attributes; create the reconcile schedule
``escalation list [--query Q]``    cases from visibility
``escalation overdue``             running cases past their deadline, and stopped cases
``escalation web``                 the decision page for managers
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from datetime import UTC, datetime
from typing import Any

from temporalio.service import RPCError

from settings import Settings, get_settings
from starter.cli_common import EXIT_BAD_INPUT, EXIT_REFUSED, cannot_connect, unknown_procedure
from starter.cli_common import fail as _fail

COMMANDS = ("schemas", "codec-key", "codec-server", "setup", "list", "overdue", "web")


def _client_args(p: argparse.ArgumentParser, s: Settings) -> None:
    p.add_argument("--address", default=s.temporal_address, help="Temporal frontend host:port")
    p.add_argument(
        "--namespace", default=s.temporal_namespace, help="Temporal namespace (TEMPORAL_NAMESPACE)"
    )


def add_commands(sub: Any) -> None:
    """Declare this module's subcommands on the ``escalation`` parser."""
    s = get_settings()
    p = sub.add_parser("schemas", help="Check the published JSON Schemas against the models")
    p.add_argument("--write", action="store_true", help="Regenerate schemas/*.json")

    p = sub.add_parser("codec-key", help="Print a new 'keyid:base64key' for ESCALATION_CODEC_KEYS")
    p.add_argument(
        "--id",
        dest="key_id",
        default=f"{datetime.now(UTC):%Y-%m}",
        help="The key's id (default: this month, YYYY-MM)",
    )

    p = sub.add_parser("codec-server", help="Run the Web UI's remote codec endpoint")
    p.add_argument("--host", default="127.0.0.1", help="Interface to listen on")
    p.add_argument("--port", type=int, default=8089, help="Port to listen on")

    p = sub.add_parser(
        "setup",
        help="Register the custom search attributes on a namespace and create (or update) "
        "the schedule that runs escalation reconcile every 15 minutes",
    )
    _client_args(p, s)
    p.add_argument("--task-queue", default=s.task_queue, help="Where the scheduled runs go")

    p = sub.add_parser("list", help="List disagreements from visibility")
    _client_args(p, s)
    p.add_argument("--query", help="A visibility query, e.g. \"EscalationStage = 'lscb_chair'\"")
    p.add_argument("--limit", type=int, default=100, help="At most this many cases (default 100)")
    p.add_argument("--json", action="store_true", help="One JSON object per line")

    p = sub.add_parser(
        "overdue", help="Running cases past their deadline, then stopped cases (from the record)"
    )
    _client_args(p, s)
    p.add_argument("--database-url", help="Records database (default: ESCALATION_DATABASE_URL)")
    p.add_argument("--procedure", help="Only this procedure (pack id)")
    p.add_argument("--stage", help="Only cases at this stage id")
    p.add_argument("--at", help="Overdue as of this ISO time (default: now)")
    p.add_argument(
        "--limit", type=int, default=100, help="At most this many running cases (default 100)"
    )
    p.add_argument("--json", action="store_true", help="One JSON object per line")

    p = sub.add_parser("web", help="Run the decision page for managers")
    _client_args(p, s)
    p.add_argument(
        "--task-queue", default=s.task_queue, help="The worker's task queue (ESCALATION_TASK_QUEUE)"
    )
    p.add_argument("--host", default="127.0.0.1", help="Interface to listen on")
    p.add_argument("--port", type=int, default=8088, help="Port to listen on")


def run(args: argparse.Namespace) -> int | None:
    """Run one of this module's commands; None for commands that are not ours."""
    if args.command not in COMMANDS:
        return None
    if args.command == "schemas":
        return _schemas(args.write)
    if args.command == "codec-key":
        from codec.aes import CodecConfigError, new_key_spec

        try:
            print(new_key_spec(args.key_id))
        except CodecConfigError as exc:
            return _fail(f"--id: {exc}", EXIT_BAD_INPUT)
        return 0
    if args.command == "codec-server":
        return _codec_server(args)
    if args.command == "web":
        return _web(args)
    return asyncio.run(_visibility(args))


def _schemas(write: bool) -> int:
    import schemas

    if write:
        changed = schemas.write()
        print("\n".join(f"wrote schemas/{n}" for n in changed) or "schemas/ is up to date")
        return 0
    problems = schemas.differences()
    if problems:
        for line in problems:
            print(f"escalation: schemas/{line}", file=sys.stderr)
        return _fail("run `escalation schemas --write` and commit schemas/", EXIT_REFUSED)
    print("schemas/ matches the models")
    return 0


def _codec_server(args: argparse.Namespace) -> int:
    from codec.aes import CodecConfigError, EncryptionCodec
    from codec.server import serve

    s = get_settings()
    if s.codec_keys is None:
        return _fail("ESCALATION_CODEC_KEYS: required by the codec endpoint", EXIT_BAD_INPUT)
    if s.codec_token is None or not s.codec_token.get_secret_value():
        return _fail("ESCALATION_CODEC_TOKEN: required by the codec endpoint", EXIT_BAD_INPUT)
    try:
        codec = EncryptionCodec.from_spec(s.codec_keys.get_secret_value())
    except CodecConfigError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    origins = [o.strip() for o in s.codec_cors_origins.split(",") if o.strip()]
    logging.getLogger().setLevel(logging.INFO)
    serve(codec, s.codec_token.get_secret_value(), origins, args.host, args.port)
    return 0


def _web(args: argparse.Namespace) -> int:
    s = get_settings()
    if s.link_secret is None or not s.link_secret.get_secret_value():
        return _fail("ESCALATION_LINK_SECRET: required by the decision page", EXIT_BAD_INPUT)
    secret = s.link_secret.get_secret_value()
    logging.getLogger().setLevel(logging.INFO)

    async def main() -> int:
        from starter.sdk import EscalationClient
        from web.app import serve

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        try:
            client = await EscalationClient.connect(args.address, args.namespace, args.task_queue)
        except RuntimeError as exc:
            return _fail(cannot_connect(args.address, exc), EXIT_REFUSED)
        await serve(client, secret, args.host, args.port, stop)
        return 0

    return asyncio.run(main())


async def _visibility(args: argparse.Namespace) -> int:
    from starter import visibility as vis
    from starter.connect import ConnectionConfigError, connect

    query = ""
    if args.command == "list":
        query = vis.list_query(args.query)
    elif args.command == "overdue":
        if (err := unknown_procedure(args.procedure)) is not None:
            return _fail(err, EXIT_BAD_INPUT)
        for field, value in (("--procedure", args.procedure), ("--stage", args.stage)):
            if (err := vis.check_identifier(field, value)) is not None:
                return _fail(err, EXIT_BAD_INPUT)
        try:
            now = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
        except ValueError as exc:
            return _fail(f"--at: {exc}", EXIT_BAD_INPUT)
        if now.tzinfo is None:
            return _fail("--at: give a UTC offset, e.g. 2026-12-23T17:00+00:00", EXIT_BAD_INPUT)
        query = vis.overdue_query(now, args.procedure, args.stage)
    try:
        client = await connect(args.address, args.namespace)
    except ConnectionConfigError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    except RuntimeError as exc:
        return _fail(cannot_connect(args.address, exc), EXIT_REFUSED)
    try:
        if args.command == "setup":
            from starter.schedule import ensure_reconcile_schedule

            for line in await vis.register_search_attributes(client, args.namespace):
                print(line)
            print(await ensure_reconcile_schedule(client, args.task_queue))
            return 0
        rows = await vis.list_cases(client, query, args.limit)
    except vis.SetupError as exc:
        return _fail(str(exc), EXIT_REFUSED)
    except RPCError as exc:
        code = EXIT_BAD_INPUT if "invalid query" in str(exc).lower() else EXIT_REFUSED
        return _fail(f"Temporal: {exc}", code)
    if rows and not args.json:
        print(vis.HEADER)
    for row in rows:
        print(json.dumps(row.as_json()) if args.json else vis.format_row(row))
    if args.command == "overdue":
        return await _stopped_too(args, bool(rows))
    if not rows and not args.json:
        print("no cases match")
    return 0


async def _stopped_too(args: argparse.Namespace, any_running: bool) -> int:
    """After the running overdue cases, the stopped ones: nobody is working on those either."""
    from starter import cli_reconcile as rec

    stopped = await rec.stopped_cases(rec.database_url(args), args.procedure, args.stage)
    if isinstance(stopped, str):
        return _fail(stopped, EXIT_REFUSED)
    if stopped and not any_running and not args.json:
        from starter.visibility import HEADER

        print(HEADER)
    rec.print_stopped(stopped, args.json)
    if not any_running and not stopped and not args.json:
        print("no overdue cases")
    return 0
