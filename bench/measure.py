"""What the benchmark measures, the same way for each side.

A side is a workflow with its worker: how to start one case, how to send it its
decision, and how to see the row that decision leads to. The measurements only
use those three doors, so the product and the bare workflow are measured alike.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.procs import WorkerProc


@dataclass
class Side:
    """One workflow under measurement."""

    name: str
    worker: WorkerProc
    start: Callable[[int], Awaitable[str]]
    """Start case number i; returns its workflow id once the server accepted it."""
    decide: Callable[[str], Awaitable[None]]
    """Send the case its one decision (a signal)."""
    row_sql: str
    """SELECT that returns a row once the decision is recorded (``:w`` is the workflow id)."""
    opened: Callable[[], Awaitable[int]] | None = None
    """How many cases have finished opening (rows and first email), if the side can tell."""


@dataclass
class Figures:
    """One side's results."""

    cases: int
    start_seconds: float
    starts_per_second: float
    open_seconds: float
    """From the first start until the worker has caught up (every case opened)."""
    opened_per_second: float
    rss_idle_mib: float
    rss_open_mib: float
    latency_samples: int
    latency_p50_ms: float
    latency_p95_ms: float
    latency_max_ms: float
    latency_ms: list[float]
    """Every sample, in the order taken."""


async def start_all(side: Side, n: int, concurrency: int) -> tuple[list[str], float]:
    """Start ``n`` cases, ``concurrency`` at a time; the ids and the seconds it took."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> str:
        async with gate:
            return await side.start(i)

    t0 = time.perf_counter()
    wids = await asyncio.gather(*(one(i) for i in range(n)))
    return list(wids), time.perf_counter() - t0


async def signal_to_row(side: Side, engine: AsyncEngine, wid: str, timeout: float = 30.0) -> float:  # noqa: ASYNC109
    """Seconds from sending the decision to its row being visible in the database."""
    async with engine.connect() as conn:
        t0 = time.perf_counter()
        await side.decide(wid)
        while True:
            found = (await conn.execute(text(side.row_sql), {"w": wid})).first()
            await conn.rollback()  # a fresh snapshot for the next look
            elapsed = time.perf_counter() - t0
            if found is not None:
                return elapsed
            if elapsed > timeout:
                raise TimeoutError(f"{side.name}: no row for {wid} after {timeout:.0f} s")
            await asyncio.sleep(0.002)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank), 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


async def measure(
    side: Side,
    engine: AsyncEngine,
    cases: int,
    latency: int,
    concurrency: int,
    idle_window: float = 0.5,
) -> Figures:
    """Start the cases, wait for the worker, read its memory, then time ``latency`` decisions."""
    await side.worker.wait_idle(window=idle_window)
    rss_idle = side.worker.rss_mib()
    t0 = time.perf_counter()
    wids, start_seconds = await start_all(side, cases, concurrency)
    await wait_opened(side, cases)
    await side.worker.wait_idle(window=idle_window)
    open_seconds = time.perf_counter() - t0
    rss_open = side.worker.rss_mib()
    samples = [await signal_to_row(side, engine, wid) for wid in wids[:latency]]
    return Figures(
        cases=cases,
        start_seconds=round(start_seconds, 3),
        starts_per_second=round(cases / start_seconds, 1),
        open_seconds=round(open_seconds, 3),
        opened_per_second=round(cases / open_seconds, 1),
        rss_idle_mib=round(rss_idle, 1),
        rss_open_mib=round(rss_open, 1),
        latency_samples=len(samples),
        latency_p50_ms=round(1000 * statistics.median(samples), 1) if samples else 0.0,
        latency_p95_ms=round(1000 * percentile(samples, 95), 1),
        latency_max_ms=round(1000 * max(samples, default=0.0), 1),
        latency_ms=[round(1000 * x, 1) for x in samples],
    )


async def wait_opened(side: Side, cases: int, timeout: float = 1800.0) -> None:  # noqa: ASYNC109
    """Wait until every case has opened (when the side can tell; else the worker going idle)."""
    if side.opened is None:
        return
    deadline = time.monotonic() + timeout
    while (done := await side.opened()) < cases:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{side.name}: {done} of {cases} cases opened in {timeout:.0f} s")
        await asyncio.sleep(0.5)


def combine(runs: list[Figures]) -> Figures:
    """One side's figures over several rounds: the median of each rate and memory reading,
    and the latency percentiles over every sample taken (so a round's outlier counts once)."""
    samples = [ms for f in runs for ms in f.latency_ms]

    def med(attr: str) -> float:
        return round(float(statistics.median(float(getattr(f, attr)) for f in runs)), 1)

    return Figures(
        cases=runs[0].cases,
        start_seconds=round(statistics.median(f.start_seconds for f in runs), 3),
        starts_per_second=med("starts_per_second"),
        open_seconds=round(statistics.median(f.open_seconds for f in runs), 3),
        opened_per_second=med("opened_per_second"),
        rss_idle_mib=med("rss_idle_mib"),
        rss_open_mib=med("rss_open_mib"),
        latency_samples=len(samples),
        latency_p50_ms=round(statistics.median(samples), 1) if samples else 0.0,
        latency_p95_ms=round(percentile(samples, 95), 1),
        latency_max_ms=round(max(samples, default=0.0), 1),
        latency_ms=samples,
    )
