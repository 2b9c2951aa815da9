"""``python -m bench.records`` still runs end to end on both backends (a few cases); no timing.

The figures in docs/benchmark.md come from 100,000 cases on PostgreSQL; this only proves
the command quoted there works, fills the tables the write paths fill, times every read
and writes a summary of the documented shape. The generated rows are checked against
what the product reads: every case's record exports, and the quarter has casework.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.records.ops import OPS
from bench.records.shapes import TABLES, Generator
from tests.conftest import pg_database

ROOT = Path(__file__).parents[1]


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database nobody migrated yet, on each backend (the bench migrates it)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
        return
    async with pg_database("escalation_bench") as url:
        yield url


def test_bench_records_fills_times_and_summarises(empty_url: str, tmp_path: Path) -> None:
    out = tmp_path / "records.json"
    command = [sys.executable, "-m", "bench.records", "--cases", "40", "--alerts", "8"]
    command += ["--repeat", "1", "--database-url", empty_url, "--output", str(out)]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [run] = json.loads(out.read_text())["runs"]
    assert run["cases"] == 40 and run["alerts"] == 8
    assert run["command"] == "python -m bench.records --cases 40 --alerts 8 --repeat 1"
    assert run["backend"] in empty_url
    assert set(run["rows"]) == set(TABLES)
    assert run["rows"]["disagreements"] == 40 and run["rows"]["practice_alerts"] == 8
    assert run["rows"]["steps"] > 40 * 5 and run["rows"]["notifications"] > 40
    assert set(run["ops"]) == set(OPS)
    for figures in run["ops"].values():
        assert figures["seconds_median"] >= 0 and len(figures["seconds"]) == 1
        assert figures["peak_rss_mib"] >= figures["rss_before_mib"] > 0
    assert run["ops"]["record"]["characters"] > 0
    assert run["ops"]["report"]["characters"] > 0
    assert run["ops"]["tracker-csv"]["alerts"] == 8 == run["ops"]["tracker-xlsx"]["alerts"]
    assert set(run["goals"]) == {"record_under_0.5s", "report_under_5.0s"}
    assert "wrote" in done.stdout


def test_a_reused_database_must_hold_the_same_cases(tmp_path: Path) -> None:
    """The check counts rows through the same queries on both backends: SQLite shows it."""
    empty_url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    out = tmp_path / "records.json"
    base = [sys.executable, "-m", "bench.records", "--alerts", "2", "--repeat", "1"]
    base += ["--database-url", empty_url, "--output", str(out)]
    first = subprocess.run([*base, "--cases", "5"], cwd=ROOT, capture_output=True, check=False)
    assert first.returncode == 0, first.stderr[-3000:]
    again = subprocess.run(
        [*base, "--cases", "6", "--reuse"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert again.returncode != 0 and "holds 5 disagreements" in again.stderr


def test_the_generated_rows_are_the_same_every_time() -> None:
    first = list(Generator(30, 6).batches(10))
    again = list(Generator(30, 6).batches(10))
    assert first == again
    steps = [row for rows in first for row in rows["steps"]]
    assert {row["kind"] for row in steps} >= {"opened", "stage_entered", "decision", "closed"}
    assert all(row["key"].startswith(row["workflow_id"] + "/") for row in steps)
