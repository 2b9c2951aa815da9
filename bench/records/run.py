"""Fill, time each read in fresh processes, merge the summary (``python -m bench.records``).

See ``bench/records/__main__.py`` for what it measures and why it is run this way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.records.load import count_rows, fill, settle
from bench.records.ops import OPS
from records.db import make_engine, upgrade
from records.schema import Disagreement

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = ROOT / "bench" / "records.json"
QUARTER = "2026Q3"
"""The last whole quarter of the generated casework: the busiest the report can be asked for."""
GOALS = {"record": 0.5, "report": 5.0}
"""Seconds: a case's record and a quarter's report, the figures issue 17 asks for."""


def _args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.records", description=__doc__)
    p.add_argument("--cases", type=int, default=100_000, help="disagreements (default 100000)")
    p.add_argument("--alerts", type=int, help="practice alerts (default: a fifth of --cases)")
    p.add_argument("--database-url", required=True, help="an empty records database, or --reuse")
    p.add_argument("--repeat", type=int, default=2, help="runs of each read (median; default 2)")
    p.add_argument("--quarter", default=QUARTER, help=f"the report's quarter (default {QUARTER})")
    p.add_argument("--reuse", action="store_true", help="time a database filled earlier")
    p.add_argument("--label", default="", help="names the run in --output (e.g. before, after)")
    p.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the JSON summary")
    args = p.parse_args(argv)
    if args.alerts is None:
        args.alerts = args.cases // 5
    if args.cases < 1 or args.alerts < 0 or args.repeat < 1:
        p.error("--cases and --repeat must be at least 1, --alerts at least 0")
    return args


async def prepare(args: argparse.Namespace) -> dict[str, Any]:
    """Migrate, fill (or check a reused fill), and pick the case whose record is timed."""
    await upgrade(args.database_url)
    engine = make_engine(args.database_url)
    try:
        counts = await count_rows(engine)
        seconds = None
        if counts["disagreements"] == 0:
            seconds = round(await fill(engine, args.cases, args.alerts), 1)
            counts = await count_rows(engine)
        elif not args.reuse or counts["disagreements"] != args.cases:
            raise SystemExit(
                f"the database holds {counts['disagreements']} disagreements: give an empty "
                f"one, or --reuse one filled with --cases {args.cases}"
            )
        else:
            await settle(engine)  # a migration may have added indexes since the fill
        async with engine.connect() as conn:
            # The case with the most disagreements: the longest record a person asks for.
            per_case = func.count().label("n")
            case = await conn.scalar(
                select(Disagreement.case_reference)
                .group_by(Disagreement.case_reference)
                .order_by(per_case.desc(), Disagreement.case_reference)
                .limit(1)
            )
    finally:
        await engine.dispose()
    return {"rows": counts, "fill_seconds": seconds, "case": str(case)}


def run_op(op: str, args: argparse.Namespace, case: str, folder: Path) -> dict[str, Any]:
    """One run of ``op`` in a fresh interpreter: its JSON line, or why it failed.

    A read that fails at scale is a finding, not a reason to lose the others' figures.
    """
    command = [sys.executable, "-m", "bench.records.ops", op]
    command += ["--database-url", args.database_url, "--case", case]
    command += ["--quarter", args.quarter, "--out", str(folder)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": " ".join(done.stderr.split())[-500:]}
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median seconds and highest peak memory over the runs of one operation."""
    failed = [r["error"] for r in runs if "error" in r]
    if failed:
        return {"error": failed[-1]}
    seconds = [r["seconds"] for r in runs]
    peak = max(r["peak_rss_mib"] for r in runs)
    before = min(r["rss_before_mib"] for r in runs)
    keep = {k: v for k, v in runs[-1].items() if k not in ("op", "seconds", "peak_rss_mib")}
    return {
        "seconds_median": round(statistics.median(seconds), 3),
        "seconds": seconds,
        "peak_rss_mib": peak,
        "held_mib": round(peak - before, 1),
        **keep,
    }


def merge(output: Path, result: dict[str, Any]) -> None:
    """Replace the run of the same backend, size and label in ``output``; keep the others."""
    same = ("backend", "cases", "label")
    runs: list[dict[str, Any]] = []
    if output.is_file():
        runs = json.loads(output.read_text()).get("runs", [])
    runs = [r for r in runs if any(r.get(k) != result[k] for k in same)] + [result]
    runs.sort(key=lambda r: (r["backend"], r["label"], r["cases"]))
    output.write_text(json.dumps({"runs": runs}, indent=2) + "\n")


def main(argv: list[str]) -> int:
    """Fill, time, print the table, merge the summary."""
    args = _args(argv)
    prepared = asyncio.run(prepare(args))
    ops: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-records-") as tmp:
        for op in OPS:
            ops[op] = summarise(
                [run_op(op, args, prepared["case"], Path(tmp)) for _ in range(args.repeat)]
            )
    shown = [f"--cases {args.cases}", f"--alerts {args.alerts}", f"--repeat {args.repeat}"]
    result = {
        "command": "python -m bench.records " + " ".join(shown),
        "backend": make_url(args.database_url).get_backend_name(),
        "cases": args.cases,
        "alerts": args.alerts,
        "label": args.label,
        "quarter": args.quarter,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": round(os.getloadavg()[0], 1),
        **prepared,
        "ops": ops,
        "goals": {
            f"{op}_under_{t}s": ops[op].get("seconds_median", t) < t for op, t in GOALS.items()
        },
    }
    for op, figures in ops.items():
        if "error" in figures:
            print(f"{op:13} failed: {figures['error']}")
            continue
        print(
            f"{op:13} {figures['seconds_median']:8.3f} s (runs {figures['seconds']})  "
            f"peak {figures['peak_rss_mib']:6.1f} MiB (+{figures['held_mib']} MiB)"
        )
    merge(args.output, result)
    print(f"wrote {args.output}")
    return 0
