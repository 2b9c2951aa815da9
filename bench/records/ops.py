"""One timed read of the records, in a process of its own: ``python -m bench.records.ops OP ...``.

Each operation runs the code its command runs (``starter.cli_records.export_record``
for ``escalation record``, ``quarterly_report`` for ``report --quarter``,
``write_tracker(tracker_rows(...))`` for ``alert tracker``, and the two reads of
``StoppedCases`` that the reconcile activity makes before it asks Temporal anything),
so the figures are the commands' own. A fresh process per run makes the peak
resident memory (``ru_maxrss``) that one operation's, not the sum of everything run
before it; the imports and interpreter are measured apart (``rss_before_mib``) so
what the operation itself holds shows as the difference.

It prints one JSON object: the operation, its seconds, the resident memory before
and at its peak (MiB), and a few counts proving it did the work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from records.db import make_sessionmaker
from records.report import Quarter
from records.stopped import StoppedCases
from records.tracker import Window, tracker_rows
from records.tracker_files import Format, write_tracker
from starter.cli_records import export_record, quarterly_report

OPS = ("record", "report", "tracker-csv", "tracker-xlsx", "reconcile")


def peak_mib() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _record(url: str, case: str) -> dict[str, Any]:
    code, page = await export_record(url, case, "html")
    if code:
        raise SystemExit(f"record {case}: exit {code}")
    return {"case_reference": case, "characters": len(page)}


async def _report(url: str, quarter: str) -> dict[str, Any]:
    code, text = await quarterly_report(url, Quarter.parse(quarter), None, "text")
    if code:
        raise SystemExit(f"report {quarter}: exit {code}")
    return {"quarter": quarter, "characters": len(text)}


async def _tracker(url: str, fmt: Format, out: Path) -> dict[str, Any]:
    sessionmaker = make_sessionmaker(url, create=False)
    try:
        count = await write_tracker(tracker_rows(sessionmaker, Window()), out, fmt)
    finally:
        await sessionmaker.kw["bind"].dispose()
    size = (await asyncio.to_thread(out.stat)).st_size
    return {"alerts": count, "bytes": size}


async def _reconcile(url: str) -> dict[str, Any]:
    sessionmaker = make_sessionmaker(url, create=False)
    try:
        store = StoppedCases(sessionmaker)
        open_cases = await store.open_cases()
        untold = await store.stopped(untold_only=True)
    finally:
        await sessionmaker.kw["bind"].dispose()
    return {"open_cases": len(open_cases), "stopped_untold": len(untold)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Time ``args.op`` once; its figures."""
    before = peak_mib()
    started = time.perf_counter()
    if args.op == "record":
        detail = await _record(args.database_url, args.case)
    elif args.op == "report":
        detail = await _report(args.database_url, args.quarter)
    elif args.op == "reconcile":
        detail = await _reconcile(args.database_url)
    else:
        fmt: Format = "csv" if args.op == "tracker-csv" else "xlsx"
        detail = await _tracker(args.database_url, fmt, args.out / f"tracker.{fmt}")
    seconds = time.perf_counter() - started
    return {
        "op": args.op,
        "seconds": round(seconds, 3),
        "rss_before_mib": round(before, 1),
        "peak_rss_mib": round(peak_mib(), 1),
        **detail,
    }


def main(argv: list[str]) -> int:
    """Parse, run, print the JSON line."""
    p = argparse.ArgumentParser(prog="python -m bench.records.ops")
    p.add_argument("op", choices=OPS)
    p.add_argument("--database-url", required=True)
    p.add_argument("--case", default="", help="record: the case reference")
    p.add_argument("--quarter", default="", help="report: e.g. 2026Q2")
    p.add_argument("--out", type=Path, default=Path("."), help="tracker: the folder to write in")
    args = p.parse_args(argv)
    print(json.dumps(asyncio.run(run(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
