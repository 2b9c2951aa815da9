"""The benchmark still runs end to end (5 cases a side); its figures are not judged here.

Timing is never a test: this only proves that ``python -m bench`` works against
the dev server and writes a complete result, so docs/benchmark.md's figures can be
reproduced with the command it quotes.
"""

from __future__ import annotations

from pathlib import Path

from bench.measure import Figures, combine
from bench.run import order
from tests.bench_run import run_bench


def test_bench_runs_with_five_cases(tmp_path: Path) -> None:
    result, printed = run_bench(
        "bench",
        ["--cases", "5", "--latency", "3", "--rounds", "1", "--idle-window", "0.2"],
        tmp_path / "results.json",
    )
    for side in ("escalation", "bare"):
        figures = result[side]
        assert figures["cases"] == 5
        assert figures["starts_per_second"] > 0
        assert 0 < figures["latency_p50_ms"] <= figures["latency_p95_ms"]
        assert figures["rss_open_mib"] > 0
    [only] = result["rounds"]
    assert only["first"] == "bare"
    assert only["throughput_ratio"] == round(
        only["escalation"]["starts_per_second"] / only["bare"]["starts_per_second"], 2
    )
    assert result["escalation"]["latency_samples"] == 3
    assert result["longest_time_skipping_scenario_seconds"]["escalation"] > 0
    assert set(result["goals"]) >= {"throughput_met", "latency_met", "rss_met"}
    assert "starts per second" in printed
    assert "python -m bench --cases 5 --latency 3 --rounds 1" in result["command"]


def test_rounds_alternate_which_side_goes_first() -> None:
    assert [order(r)[0] for r in range(4)] == ["bare", "escalation", "bare", "escalation"]
    assert all(sorted(order(r)) == ["bare", "escalation"] for r in range(4))


def _figures(starts: float, latency: list[float]) -> Figures:
    return Figures(
        cases=10,
        start_seconds=10 / starts,
        starts_per_second=starts,
        open_seconds=1.0,
        opened_per_second=10.0,
        rss_idle_mib=100.0,
        rss_open_mib=200.0,
        latency_samples=len(latency),
        latency_p50_ms=0.0,
        latency_p95_ms=0.0,
        latency_max_ms=max(latency),
        latency_ms=latency,
    )


def test_rounds_combine_as_medians_and_pooled_samples() -> None:
    rounds = [
        _figures(70.0, [100.0, 110.0]),
        _figures(90.0, [120.0, 900.0]),
        _figures(80.0, [105.0, 115.0]),
    ]
    combined = combine(rounds)
    assert combined.starts_per_second == 80.0  # the median round, not the mean
    assert combined.latency_samples == 6
    assert combined.latency_p50_ms == 112.5
    assert combined.latency_p95_ms == 900.0  # one slow sample of six is the 95th percentile
    assert combined.latency_max_ms == 900.0
