"""``python -m bench.memory``: the product worker's memory against its workflow cache size.

For each ``--cache`` size, a fresh ``worker.py`` process (``ESCALATION_MAX_CACHED_WORKFLOWS``
set to it, a task queue of its own) opens ``--cases`` disagreements on the dev server;
once every case is open and the worker is quiet, its resident memory is read, then
``--latency`` decisions are timed from signal to recorded row. The decisions go to
the cases opened first, which a small cache has evicted, so the latency includes
the replay an evicted case costs when it wakes. With ``--tracemalloc`` the worker
runs under ``bench.traced_worker`` and the sweep writes where its memory was
allocated beside the JSON (timings are then not figures). It prints a table and
writes JSON; it is a measurement for choosing the default, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.measure import Side, percentile, signal_to_row, start_all, wait_opened
from bench.procs import ROOT, WorkerProc, compile_bytecode
from bench.run import count_opened, fresh_stack, payload
from models.decisions import Unresolved
from starter.connect import ConnectionOptions, connect
from starter.sdk import EscalationClient

log = logging.getLogger("bench.memory")


async def one_size(
    args: argparse.Namespace,
    cache: int,
    env: dict[str, str],
    engine: AsyncEngine,
    state: Path,
) -> dict[str, Any]:
    """Open the cases on a fresh worker with this cache size; its figures."""
    queue = f"bench-mem-{cache}"
    run = uuid.uuid4().hex[:6]
    trace_out = state / f"tracemalloc-{cache}.txt"
    worker_env = {
        **env,
        "ESCALATION_TASK_QUEUE": queue,
        "ESCALATION_MAX_CACHED_WORKFLOWS": str(cache),
        "BENCH_TRACEMALLOC_OUT": str(trace_out),
    }
    argv = ["-m", "bench.traced_worker"] if args.tracemalloc else ["worker.py"]
    if args.worker_module:
        argv = ["-m", args.worker_module]
    proc = WorkerProc(f"worker-cache-{cache}", argv, worker_env, state)
    client = await connect(options=ConnectionOptions(address=env["TEMPORAL_ADDRESS"]))
    sdk = EscalationClient(client, queue)

    async def open_case(i: int) -> str:
        return await sdk.open(payload(run, i))

    async def decide(wid: str) -> None:
        await sdk.handle(wid).signal("unresolved", Unresolved(by="Bench", reason="bench"))

    async def opened() -> int:
        return await count_opened(engine, run)

    side = Side(
        f"cache {cache}",
        proc,
        open_case,
        decide,
        "SELECT 1 FROM steps WHERE workflow_id = :w AND kind = 'decision'",
        opened,
    )
    await proc.start(timeout=600.0 if args.tracemalloc else 60.0)  # tracing slows imports
    try:
        await proc.wait_idle(window=args.idle_window)
        rss_idle = proc.rss_mib()
        if args.tracemalloc:
            proc.ps.send_signal(signal.SIGUSR1)
            while not trace_out.with_suffix(".baseline").exists():  # noqa: ASYNC110 - another process
                await asyncio.sleep(0.2)
        t0 = time.perf_counter()
        wids, start_seconds = await start_all(side, args.cases, args.concurrency)
        await wait_opened(side, args.cases)
        await proc.wait_idle(window=args.idle_window)
        open_seconds = time.perf_counter() - t0
        rss_open = proc.rss_mib()
        rss_collected = None
        if args.collect:
            proc.ps.send_signal(signal.SIGUSR2)
            await asyncio.sleep(3.0)
            rss_collected = round(proc.rss_mib(), 1)
        if args.tracemalloc:
            proc.ps.send_signal(signal.SIGUSR1)
            while not trace_out.exists():  # noqa: ASYNC110 - written by another process
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # let it finish writing
        samples = [await signal_to_row(side, engine, wid) for wid in wids[: args.latency]]
    finally:
        proc.stop()
    result: dict[str, Any] = {
        "max_cached_workflows": cache,
        "cases": args.cases,
        "starts_per_second": round(args.cases / start_seconds, 1),
        "opened_per_second": round(args.cases / open_seconds, 1),
        "rss_idle_mib": round(rss_idle, 1),
        "rss_open_mib": round(rss_open, 1),
        "per_case_kib": round((rss_open - rss_idle) * 1024 / args.cases, 1),
        "rss_after_full_collection_mib": rss_collected,
        "latency_p50_ms": round(1000 * statistics.median(samples), 1) if samples else 0.0,
        "latency_p95_ms": round(1000 * percentile(samples, 95), 1),
    }
    if args.tracemalloc:
        result["tracemalloc"] = trace_out.read_text(encoding="utf-8")
    log.info("%s", result)
    return result


async def sweep(args: argparse.Namespace) -> list[dict[str, Any]]:
    """One stack (dev server, sink, database); one fresh worker per cache size."""
    state = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    bytecode_env = compile_bytecode(state / "pycache") if args.bytecode else {}
    async with fresh_stack(args, state / "stack", bytecode_env) as stack:
        return [
            await one_size(args, cache, stack.env, stack.engine, stack.state)
            for cache in args.cache
        ]


def table(results: list[dict[str, Any]]) -> str:
    """The sweep as a fixed-width table."""
    keys = [
        "max_cached_workflows",
        "rss_idle_mib",
        "rss_open_mib",
        "per_case_kib",
        "starts_per_second",
        "opened_per_second",
        "latency_p50_ms",
        "latency_p95_ms",
    ]
    rows = [keys, *[[str(r[k]) for k in keys] for r in results]]
    width = [max(len(row[i]) for row in rows) for i in range(len(keys))]
    return "\n".join("  ".join(c.ljust(width[i]) for i, c in enumerate(row)) for row in rows)


def main(argv: list[str] | None = None) -> int:
    """Run the sweep, print the table, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--cache", type=int, nargs="+", default=[1000, 500, 250, 100])
    parser.add_argument("--latency", type=int, default=50, help="decisions timed per size")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--idle-window", type=float, default=0.5)
    parser.add_argument("--tracemalloc", action="store_true", help="trace allocations (slow)")
    parser.add_argument("--no-bytecode", dest="bytecode", action="store_false")
    parser.add_argument(
        "--worker-module", help="run this module as the worker instead of worker.py (experiments)"
    )
    parser.add_argument(
        "--collect",
        action="store_true",
        help="then SIGUSR2 (a --worker-module that runs gc.collect() on it) and read RSS again",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "memory.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    log.setLevel(logging.INFO)
    results = asyncio.run(sweep(args))
    print(table(results))  # the sweep's output is its table
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
