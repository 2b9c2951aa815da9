"""``python -m bench.burst``: every case's deadline at the same instant, as at 17:00.

Every deadline in the product falls at close of business, so every case due that
day fires at once. For each side, on a stack of its own (dev server, relay, SQLite
file, ``--workers`` worker processes; see ``bench.run.fresh_stack``), this opens
``--cases`` cases at stage 1, brings every stage-1 deadline forward to one shared
instant a little ahead (the ``shorten_timescale`` update's ``due_at``), waits for
the workers to go quiet, then times from that instant until 50%, 95% and 100% of
the cases have escalated: the ``deadline_passed`` and stage-2 ``stage_entered``
rows in the database, and the stage-2 email accepted by the relay. The bare side
is a workflow of the same shape (start, a timer to the same instant, one activity
writing one row; ``bench.bare_workflow.BareTimer``). It reports both, their ratio,
the workers' and server's CPU and the workers' memory, and, from a sample of
histories, what one escalation cost in workflow tasks and activities and where its
time went. A measurement, not a test: nothing here passes or fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import text

from bench.bare import create_table
from bench.bare_models import BareDue, BareTimerStart
from bench.burst_watch import (
    ProcSampler,
    StampingSink,
    after_timer,
    escalated,
    seconds_after,
    watch,
)
from bench.procs import ROOT, WorkerProc, compile_bytecode
from bench.run import Stack, count_opened, fresh_stack, order, payload, run_main
from models.decisions import ShortenTimescale
from starter.connect import ConnectionOptions, connect
from starter.sdk import EscalationClient
from starter.sdk_base import pack_for

log = logging.getLogger("bench.burst")

GOAL_SECONDS = 30.0
GOAL_RATIO = 2.0
EXAMPLE_PROCEDURE = "redbridge-2017"


def stage_two() -> tuple[str, str]:
    """The id and title of the example's second stage, where every case escalates to."""
    from packs import PACK_DIR

    ladder = pack_for(EXAMPLE_PROCEDURE, PACK_DIR).ladders[0]
    return ladder.stages[1].id, ladder.stages[1].title


async def gather_limited(n: int, limit: int, one: Callable[[int], Awaitable[str]]) -> list[str]:
    """``one(i)`` for i < n, ``limit`` at a time, in order."""
    gate = asyncio.Semaphore(limit)

    async def run(i: int) -> str:
        async with gate:
            return await one(i)

    return list(await asyncio.gather(*(run(i) for i in range(n))))


async def wait_until(count: Callable[[], Awaitable[int]], n: int, what: str) -> None:
    """Poll ``count`` until it reaches ``n`` (half an hour at most)."""
    give_up = time.monotonic() + 1800
    while (done := await count()) < n:
        if time.monotonic() > give_up:
            raise TimeoutError(f"{what}: {done} of {n}")
        await asyncio.sleep(0.5)


def start_workers(args: argparse.Namespace, name: str, stack: Stack) -> list[WorkerProc]:
    """``--workers`` processes of one side on one task queue (``--env`` for ours only)."""
    argv = ["worker.py"] if name == "escalation" else ["-m", "bench.bare"]
    env = {**stack.env, "ESCALATION_TASK_QUEUE": f"burst-{name}"}
    if name == "escalation":
        env.update(dict(kv.split("=", 1) for kv in args.env))
    return [WorkerProc(f"{name}-{k + 1}", argv, env, stack.state) for k in range(args.workers)]


async def arm(
    args: argparse.Namespace, name: str, stack: Stack, workers: list[WorkerProc]
) -> tuple[float, list[str], dict[str, Any], Callable[[], Awaitable[set[str]]]]:
    """Open the cases, then set their one deadline: the deadline, the ids, setup figures, rows.

    The deadline is chosen once every case is open and the workers are quiet, far enough
    ahead for the workers to take in the new deadline too (as long again as opening took,
    unless ``--lead``): on a loaded machine opening 1,000 cases has taken from 30 s to
    over two minutes, so no fixed lead fits.
    """
    run = uuid.uuid4().hex[:6]
    client = await connect(options=ConnectionOptions(address=stack.server.address))
    sdk = EscalationClient(client, "burst-escalation")
    t0 = time.perf_counter()
    if name == "bare":
        await create_table(stack.engine)

        async def start(i: int) -> str:
            key = f"burst-{run}-{i:05d}"
            await client.start_workflow(
                "BareTimer", BareTimerStart(key=key), id=key, task_queue="burst-bare"
            )
            return key

        wids = await gather_limited(args.cases, args.concurrency, start)
        sql = text("SELECT key FROM bench_rows WHERE key LIKE :p")
        like = {"p": f"burst-{run}-%"}
    else:
        wids = await gather_limited(
            args.cases, args.concurrency, lambda i: sdk.open(payload(run, i))
        )
        await wait_until(lambda: count_opened(stack.engine, run), args.cases, "cases opened")
        stage_id, _ = stage_two()
        sql = text(
            "SELECT case_reference FROM steps WHERE case_reference LIKE :p"
            " AND (kind = 'deadline_passed' OR (kind = 'stage_entered' AND stage_id = :s))"
            " GROUP BY case_reference HAVING count(DISTINCT kind) = 2"
        )
        like = {"p": f"CR-B{run}-%", "s": stage_id}
    await asyncio.gather(*(w.wait_idle() for w in workers))  # side by side: 60 s at most
    opened = time.perf_counter() - t0
    deadline = time.time() + (args.lead or 10 + opened)
    due = datetime.fromtimestamp(deadline, UTC)
    shorten = ShortenTimescale(by="Bench", reason="the burst benchmark", due_at=due)

    async def set_deadline(i: int) -> str:
        if name == "bare":
            await client.get_workflow_handle(wids[i]).signal("due", BareDue(at=due))
        else:
            await sdk.shorten(wids[i], shorten)
        return wids[i]

    t1 = time.perf_counter()
    await gather_limited(args.cases, args.concurrency, set_deadline)
    setup = {"open_s": round(opened, 1), "set_deadline_s": round(time.perf_counter() - t1, 1)}
    await asyncio.gather(*(w.wait_idle() for w in workers))  # side by side: 60 s at most
    setup["spare_s"] = round(deadline - time.time(), 1)
    if setup["spare_s"] < 0.5:
        raise RuntimeError(
            f"{name}: the deadline came before the cases were ready ({setup}); give --lead"
        )

    async def rows() -> set[str]:
        async with stack.engine.connect() as conn:
            return {str(r[0]) for r in await conn.execute(sql, like)}

    return deadline, wids, setup, rows


def profile(
    args: argparse.Namespace, name: str, workers: list[WorkerProc]
) -> list[subprocess.Popen[bytes]]:
    """With ``--profile DIR``: py-spy sampling each worker through the burst (collapsed stacks).

    Started at the deadline, so only the burst is sampled, not the opening.
    """
    if args.profile is None:
        return []
    args.profile.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return [
        subprocess.Popen(
            [
                *(spy, "record", "--pid", str(w.ps.pid), "--rate", "100", "--format", "raw"),
                *("--output", str(args.profile / f"{w.name}.txt"), "--nonblocking"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for w in workers
    ]


async def trial(args: argparse.Namespace, name: str, stack: Stack) -> dict[str, Any]:
    """One side's burst on its own stack."""
    assert isinstance(stack.sink, StampingSink)
    workers = start_workers(args, name, stack)
    for w in workers:
        await w.start()
    try:
        deadline, wids, setup, rows = await arm(args, name, stack, workers)
        server = psutil.Process(stack.server.process.pid)
        sampler = ProcSampler([w.ps for w in workers], server)
        await asyncio.sleep(max(0.0, deadline - time.time()))
        sampler.start()
        spies = profile(args, name, workers)
        _, title = stage_two()
        sink = stack.sink
        emails = (lambda: sink.accepted("stage_entered", title)) if name == "escalation" else None
        log.info("%s: %d deadlines at %s", name, args.cases, datetime.fromtimestamp(deadline, UTC))
        stamped = await watch(args.cases, rows, emails, sampler, args.timeout)
        processes = sampler.report()
        for spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its samples and exits
            spy.wait(60)
        client = await connect(options=ConnectionOptions(address=stack.server.address))
        step = max(1, len(wids) // args.histories)
        histories = await after_timer(client, wids[::step][: args.histories])
    finally:
        for w in workers:
            w.stop()
    with_email = name == "escalation"
    return {
        "setup": setup,
        "recorded": seconds_after(deadline, stamped.recorded, args.cases),
        "emailed": seconds_after(deadline, stamped.emailed, args.cases) if with_email else None,
        "escalated": seconds_after(deadline, escalated(stamped, with_email), args.cases),
        "processes": processes,
        "per_escalation": histories,
    }


def _median(values: list[Any]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return round(statistics.median(present), 2) if present else None


def summary(rounds: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """One side's medians over the rounds (each round's figures stay in ``rounds``)."""
    sides = [r[name] for r in rounds]
    out: dict[str, Any] = {}
    for part in ("recorded", "emailed", "escalated"):
        if sides[0][part] is None:
            out[part] = None
            continue
        out[part] = {p: _median([s[part][p] for s in sides]) for p in ("p50_s", "p95_s", "p100_s")}
    out["worker_cpu_s"] = _median([sum(s["processes"]["worker_cpu_s"]) for s in sides])
    out["worker_rss_peak_mib"] = _median(
        [max(s["processes"]["worker_rss_peak_mib"]) for s in sides]
    )
    out["server_cpu_s"] = _median([s["processes"]["server_cpu_s"] for s in sides])
    return out


def ratios(ours: dict[str, Any], bare: dict[str, Any]) -> dict[str, float | None]:
    """Ours fully escalated (row and email) against the bare side's row, at each point."""
    out: dict[str, float | None] = {}
    for p in ("p50_s", "p95_s", "p100_s"):
        a, b = ours["escalated"][p], bare["escalated"][p]
        out[p.removesuffix("_s")] = round(a / b, 2) if a is not None and b else None
    return out


async def run_burst(args: argparse.Namespace) -> dict[str, Any]:
    """``--rounds`` rounds of both sides, alternating which goes first, each on a fresh stack."""
    state = Path(tempfile.mkdtemp(prefix="bench-burst-"))
    bytecode_env = compile_bytecode(state / "pycache") if args.bytecode else {}
    rounds: list[dict[str, Any]] = []
    for r in range(args.rounds):
        figures: dict[str, Any] = {"first": order(r)[0]}
        for name in order(r):
            where = state / f"round-{r + 1}-{name}"
            async with fresh_stack(args, where, bytecode_env, StampingSink()) as stack:
                figures[name] = await trial(args, name, stack)
            log.info("%s: %s", name, figures[name]["escalated"])
        figures["ratios"] = ratios(figures["escalation"], figures["bare"])
        rounds.append(figures)
        partial = args.output.with_suffix(".partial.json")  # a long run interrupted keeps these
        partial.write_text(json.dumps(rounds, indent=2) + "\n", encoding="utf-8")
    ours, bare = summary(rounds, "escalation"), summary(rounds, "bare")
    full = ours["escalated"]["p100_s"]
    ratio = ratios(ours, bare)
    return {
        "command": " ".join(["python -m bench.burst", *args.argv]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": psutil.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m": round(psutil.getloadavg()[0], 2),
        },
        "database": (args.database_url or "sqlite+aiosqlite://").split("://", 1)[0],
        "cases": args.cases,
        "workers": args.workers,
        "worker_env": args.env,
        "server_state": "memory" if args.server_memory else "sqlite file",
        "escalation": ours,
        "bare": bare,
        "ratios": ratio,
        "goals": {
            "escalated_within_s": GOAL_SECONDS,
            "seconds_met": full is not None and full <= GOAL_SECONDS,
            "ratio_at_most": GOAL_RATIO,
            "ratio_met": ratio["p100"] is not None and ratio["p100"] <= GOAL_RATIO,
        },
        "rounds": rounds,
    }


def table(result: dict[str, Any]) -> str:
    """The medians as a fixed-width table."""
    ours, bare, ratio = result["escalation"], result["bare"], result["ratios"]
    rows = [("seconds after the deadline", "Disagreement", "bare", "ratio")]
    for p in ("p50", "p95", "p100"):
        rows.append(
            (
                f"{p[1:]}% escalated (row and email)",
                ours["escalated"][f"{p}_s"],
                bare["escalated"][f"{p}_s"],
                ratio[p],
            )
        )
    for p in ("p50", "p95", "p100"):
        rows.append((f"{p[1:]}% rows recorded", ours["recorded"][f"{p}_s"], "", ""))
        rows.append((f"{p[1:]}% emails accepted", ours["emailed"][f"{p}_s"], "", ""))
    rows.append(("worker CPU, s (all workers)", ours["worker_cpu_s"], bare["worker_cpu_s"], ""))
    rows.append(
        ("worker RSS peak, MiB", ours["worker_rss_peak_mib"], bare["worker_rss_peak_mib"], "")
    )
    rows.append(("server CPU, s", ours["server_cpu_s"], bare["server_cpu_s"], ""))
    width = [max(len(str(r[i])) for r in rows) for i in range(4)]
    lines = ["  ".join(str(c).ljust(width[i]) for i, c in enumerate(r)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in width))
    goals = result["goals"]
    lines.append(
        f"\n{result['cases']} cases, {result['workers']} worker(s), "
        f"medians of {len(result['rounds'])} round(s); goals: all within "
        f"{goals['escalated_within_s']:.0f} s: {'met' if goals['seconds_met'] else 'MISSED'}; "
        f"within {goals['ratio_at_most']:.0f}x bare: {'met' if goals['ratio_met'] else 'MISSED'}"
    )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The burst's options."""
    parser = argparse.ArgumentParser(prog="python -m bench.burst", description=__doc__)
    parser.add_argument("--cases", type=int, default=1000, help="cases (deadlines) per side")
    parser.add_argument("--workers", type=int, default=1, help="worker processes per side")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of both sides")
    parser.add_argument("--database-url", default=None, help="default: a SQLite file per side")
    parser.add_argument("--concurrency", type=int, default=32, help="starts in flight at once")
    parser.add_argument(
        "--lead",
        type=float,
        default=None,
        help="seconds from setting the deadline to it (default: from how long opening took)",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="give up on a burst after")
    parser.add_argument("--histories", type=int, default=20, help="histories sampled per side")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting for our workers (ESCALATION_MAX_CACHED_WORKFLOWS=1000, say)",
    )
    parser.add_argument(
        "--server-memory",
        action="store_true",
        help="the dev servers keep their state in memory, not in a SQLite file",
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy each worker through the burst into DIR"
    )
    parser.add_argument("--no-bytecode", dest="bytecode", action="store_false")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "burst.json")
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else []
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the burst, print the table, write the JSON."""
    return run_main(parse_args(argv), run_burst, table)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
