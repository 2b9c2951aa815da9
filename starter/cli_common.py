"""What every client command of ``escalation`` shares: options, errors, the answer.

A command connects, asks the workflow one thing and prints the answer on stdout
(JSON for models) so that a case system's script can read it; everything else,
errors and log lines included, goes to stderr. Exit codes: 0 success, 1 refused
by the workflow, not found or Temporal unreachable, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from temporalio.service import RPCError, RPCStatusCode

from settings import get_settings
from starter.connect import ConnectionConfigError
from starter.sdk_base import DecisionRefused, EscalationError, InvalidRequest, field_errors

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2

C = TypeVar("C")
M = TypeVar("M")


def client_args(p: argparse.ArgumentParser) -> None:
    """The options that say which Temporal namespace and task queue to talk to."""
    s = get_settings()
    p.add_argument("--address", default=s.temporal_address, help="Temporal frontend host:port")
    p.add_argument(
        "--namespace", default=s.temporal_namespace, help="Temporal namespace (TEMPORAL_NAMESPACE)"
    )
    p.add_argument(
        "--task-queue",
        default=s.task_queue,
        help="The worker's task queue (ESCALATION_TASK_QUEUE)",
    )


def json_arg(p: argparse.ArgumentParser) -> None:
    """``--json``: the whole status query answer for a script, instead of lines for a person."""
    p.add_argument(
        "--json",
        action="store_true",
        help="Print the whole status as JSON (every field, for a script) instead of the summary",
    )


def explain(parser: argparse.ArgumentParser, examples: dict[str, tuple[str, ...]]) -> None:
    """Give every command under ``parser`` a description and its examples, kept as written.

    A command's description is its one-line help unless it has its own; its epilog
    lists ``examples[words]`` (words: the command after 'escalation') unless it has
    one already. Raw formatting keeps the example lines as they are.
    """
    words = parser.prog.split(" ", 1)[1] if " " in parser.prog else ""
    if parser.epilog is None and words in examples:
        lines = "\n".join(f"  {line}" for line in examples[words])
        parser.epilog = f"example{'s' if len(examples[words]) > 1 else ''}:\n{lines}"
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {a.dest: a.help for a in action._choices_actions}
        for name, sub in action.choices.items():
            if sub.description is None and helps.get(name):
                sub.description = helps[name]
            explain(sub, examples)


def unknown_procedure(procedure: str | None) -> str | None:
    """The message for a ``--procedure`` that names no pack, or None when it is known (or unset).

    Every command taking ``--procedure`` refuses an unknown id with exit 2, as
    ``deadline`` does, rather than answer for a procedure that does not exist.
    """
    if procedure is None:
        return None
    from packs import pack_ids

    known = pack_ids()
    if procedure in known:
        return None
    return f"--procedure: unknown procedure '{procedure}' (known: {', '.join(known) or 'none'})"


_QUOTED_REASON = re.compile(r'(?:message|error): "([^"]+)"')


def cannot_connect(address: str, exc: BaseException) -> str:
    """One line saying Temporal is unreachable, why in a few words, and what to check.

    The SDK's error is a Rust transport dump ("Failed client connect: Server
    connection error: tonic::transport::Error(...)"): only its innermost reason
    ("Connection refused") or else its first clause is kept.
    """
    raw = str(exc)
    quoted = _QUOTED_REASON.findall(raw)
    reason = quoted[-1] if quoted else raw.split(":", 1)[0].strip() or "no answer"
    return (
        f"cannot connect to Temporal at {address}: {reason}. Is `escalation dev` running, "
        f"or is TEMPORAL_ADDRESS (or --address) right (now {address})?"
    )


def not_found(workflow_id: str) -> str:
    """The one wording every client command uses for a workflow id that names nothing."""
    return (
        f"no case or alert with workflow id '{workflow_id}' (escalation list shows the open ones)"
    )


def _is_not_found(exc: BaseException) -> bool:
    """Whether Temporal said the workflow is not there (not: finished, or refused)."""
    if isinstance(exc, RPCError):
        return exc.status == RPCStatusCode.NOT_FOUND
    if isinstance(exc, EscalationError) and not isinstance(exc, DecisionRefused):
        cause = exc.__cause__
        if isinstance(cause, RPCError) and cause.status == RPCStatusCode.NOT_FOUND:
            return True
        return type(exc) is EscalationError and "' not found" in str(exc)
    return False


# The start payloads' moments, as paths of keys: what ``--from-now`` moves.
MOMENTS: tuple[tuple[str, ...], ...] = (
    ("raised_at",),
    ("disagreement_arose_at",),
    ("conference", "at"),
)


def from_now_arg(p: argparse.ArgumentParser) -> None:
    """``--from-now``: start a payload written earlier (an example, a drill) as if raised now."""
    p.add_argument(
        "--from-now",
        action="store_true",
        help=(
            "Move raised_at to the present and the payload's other moments (disagreement_arose_at,"
            " conference.at) by the same amount, so a file written earlier starts as it reads"
        ),
    )


def shifted_to_now(payload: Any, now: datetime) -> Any:
    """``payload`` with ``raised_at`` at ``now`` and its other moments moved as far.

    Without this, an example dated last month opens a case whose first deadlines
    have already passed: the workflow rightly climbs straight past them. A payload
    that is not an object, or has no readable ``raised_at``, is given back as it is
    for validation to refuse it, naming the field. A naive moment (procedure local
    time) is moved by the same amount and stays naive.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("raised_at"), str):
        return payload
    try:
        raised = datetime.fromisoformat(payload["raised_at"])
    except ValueError:
        return payload
    delta = now - (raised if raised.tzinfo else raised.replace(tzinfo=UTC))
    out = dict(payload)
    for path in MOMENTS:
        out = _moved(out, path, delta)
    return out


def _moved(obj: dict[str, Any], path: tuple[str, ...], delta: timedelta) -> dict[str, Any]:
    head, rest = path[0], path[1:]
    value = obj.get(head)
    if rest:
        return {**obj, head: _moved(value, rest, delta)} if isinstance(value, dict) else obj
    if not isinstance(value, str):
        return obj
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return obj
    return {**obj, head: (moment + delta).isoformat()}


START_FILE_MAX = 1_000_000
"""Characters in a start payload file: a start request with every text at its limit is
well under 100,000, so anything near this is not a start request."""


def _read_payload_text(file: str) -> str:
    """The file's text ('-': stdin), refused past ``START_FILE_MAX`` characters."""
    if file == "-":
        text = sys.stdin.read(START_FILE_MAX + 1)
    else:
        with Path(file).open(encoding="utf-8") as f:
            text = f.read(START_FILE_MAX + 1)
    if len(text) > START_FILE_MAX:
        raise ValueError(f"a start payload is at most {START_FILE_MAX:,} characters")
    return text


def read_start(args: argparse.Namespace, parse: Callable[[Any], M]) -> M | int:
    """The start payload of ``args.file`` ('-': stdin), moved by ``--from-now``, parsed.

    The payload's shape is checked here, before any connection: a malformed one is
    refused naming its fields even while Temporal is away. A file that is too large,
    not JSON, or nested too deeply for the JSON reader is refused with a one-line
    reason, never a traceback. Returns the request, or the exit code after saying
    what was wrong.
    """
    try:
        payload = json.loads(_read_payload_text(args.file))
    except RecursionError:
        return fail(
            f"{args.file}: not a start payload: its JSON is nested too deeply to read",
            EXIT_BAD_INPUT,
        )
    except (OSError, ValueError) as exc:  # JSONDecodeError, UnicodeDecodeError are ValueErrors
        return fail(f"{args.file}: {exc}", EXIT_BAD_INPUT)
    if args.from_now:
        payload = shifted_to_now(payload, datetime.now(UTC))
    try:
        return parse(payload)
    except InvalidRequest as exc:
        return refuse(exc)


def fail(message: str, code: int) -> int:
    """Say what went wrong on stderr and give the exit code back."""
    print(f"escalation: {message}", file=sys.stderr)
    return code


def refuse(exc: InvalidRequest) -> int:
    """Every field error of a refused request on its own stderr line; the bad-input code."""
    for err in exc.errors:
        print(f"escalation: {err}", file=sys.stderr)
    return EXIT_BAD_INPUT


def print_answer(result: Any) -> None:
    """A model as indented JSON, anything else as its text; None prints nothing."""
    if result is None:
        return
    print(result.model_dump_json(indent=2) if hasattr(result, "model_dump_json") else result)


async def with_client(
    args: argparse.Namespace,
    make_client: Callable[[], Awaitable[C]],
    action: Callable[[C], Awaitable[Any]],
) -> int:
    """Connect, run ``action``, print its answer; every failure becomes a message and a code.

    An unreachable server is an answer too ("cannot connect to Temporal at ..."),
    not a traceback: the SDK raises a bare ``RuntimeError`` for it.
    """
    try:
        client = await make_client()
    except ConnectionConfigError as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    except RuntimeError as exc:
        return fail(cannot_connect(args.address, exc), EXIT_REFUSED)
    try:
        result = await action(client)
    except InvalidRequest as exc:
        return refuse(exc)
    except EscalationError as exc:
        if _is_not_found(exc) and getattr(args, "workflow_id", None):
            return fail(not_found(args.workflow_id), EXIT_REFUSED)
        return fail(str(exc), EXIT_REFUSED)
    except ValidationError as exc:  # a model built on the way: its fields, never pydantic's URL
        return fail("; ".join(field_errors(exc)), EXIT_BAD_INPUT)
    except RPCError as exc:
        if _is_not_found(exc) and getattr(args, "workflow_id", None):
            return fail(not_found(args.workflow_id), EXIT_REFUSED)
        return fail(f"Temporal: {exc}", EXIT_REFUSED)
    print_answer(result)
    return 0
