"""The benchmark still runs end to end (5 cases a side, two rounds); its figures are not judged here.

Timing is never a test: this only proves that ``python -m bench`` works against
the dev server and writes a complete result, so the README's figures can be
reproduced with the command it quotes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_bench_runs_with_five_cases(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bench", "--cases", "5", "--latency", "3"),
            *("--idle-window", "0.2", "--output", str(out)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    for side in ("escalation", "bare"):
        figures = result[side]
        assert figures["cases"] == 5
        assert figures["starts_per_second"] > 0
        assert 0 < figures["latency_p50_ms"] <= figures["latency_p95_ms"]
        assert figures["rss_open_mib"] > 0
    # Two rounds by default, each side on a fresh stack, the first side alternating.
    assert [r["first"] for r in result["rounds"]] == ["bare", "escalation"]
    for r in result["rounds"]:
        assert r["escalation"]["starts_per_second"] > 0
        assert r["bare"]["starts_per_second"] > 0
    assert result["escalation"]["latency_samples"] == 6  # every round's samples pooled
    assert result["longest_time_skipping_scenario_seconds"]["escalation"] > 0
    assert set(result["goals"]) >= {"throughput_met", "latency_met", "rss_met"}
    assert "starts per second" in done.stdout
    assert "python -m bench --cases 5 --latency 3" in result["command"]
