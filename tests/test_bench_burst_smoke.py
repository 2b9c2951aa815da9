"""The burst benchmark still runs end to end (3 cases a side); its figures are not judged here.

Timing is never a test: this only proves that ``python -m bench.burst`` brings the
deadlines forward, sees every case escalate (rows and email) and writes a complete
result, so docs/benchmark.md's burst figures can be reproduced with the command it
quotes. The arithmetic of the percentiles is checked directly.
"""

from __future__ import annotations

from pathlib import Path

from bench.burst_watch import Stamped, escalated, seconds_after
from tests.bench_run import run_bench


def test_burst_runs_with_three_cases(tmp_path: Path) -> None:
    result, printed = run_bench(
        "bench.burst",
        ["--cases", "3", "--histories", "1", "--timeout", "60"],
        tmp_path / "burst.json",
    )
    assert result["cases"] == 3 and result["workers"] == 1
    for side in ("escalation", "bare"):
        for p in ("p50_s", "p95_s", "p100_s"):
            assert result[side]["escalated"][p] is not None
        assert result[side]["worker_rss_peak_mib"] > 0
    assert result["bare"]["emailed"] is None
    assert result["escalation"]["emailed"]["p100_s"] is not None
    [only] = result["rounds"]
    assert only["escalation"]["escalated"]["done"] == 3
    assert only["bare"]["recorded"]["done"] == 3
    per = only["escalation"]["per_escalation"]
    assert per["events_after_timer"]["activity:send_notification"] >= 1
    assert per["events_after_timer"]["workflow_task_completed"] >= 1
    assert set(result["ratios"]) == {"p50", "p95", "p100"}
    assert set(result["goals"]) >= {"seconds_met", "ratio_met"}
    assert "escalated (row and email)" in printed


def test_percentiles_count_from_the_deadline_and_need_every_case() -> None:
    stamps = {f"c{i}": 100.0 + i for i in range(1, 11)}  # 1 .. 10 s after the deadline
    figures = seconds_after(100.0, stamps, 10)
    assert figures == {"done": 10, "p50_s": 5.0, "p95_s": 10.0, "p100_s": 10.0}
    short = seconds_after(100.0, dict(list(stamps.items())[:9]), 10)
    assert short["p50_s"] == 5.0
    assert short["p95_s"] is None and short["p100_s"] is None  # one case never escalated


def test_a_case_is_escalated_once_it_has_its_rows_and_its_email() -> None:
    stamped = Stamped(recorded={"a": 3.0, "b": 5.0}, emailed={"a": 4.0, "c": 1.0})
    assert escalated(stamped, with_email=True) == {"a": 4.0}
    assert escalated(stamped, with_email=False) == {"a": 3.0, "b": 5.0}
