"""The dashboard and the alert rules in deploy/monitoring/ load, and name only what is exported.

A panel or rule naming a metric nobody exports shows "No data" or never fires, silently;
so every name they use is checked against ``telemetry.metrics`` (the list the /metrics
test checks against a real worker's scrape), and every name of the SDK's against the
SDK's own core library. Each alert the issue asks for exists, and each product metric
is on the dashboard.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import temporalio.bridge
import yaml

from telemetry.metrics import EXPORTED, PRODUCT_METRICS, SDK_METRICS

MONITORING = Path(__file__).parents[2] / "deploy" / "monitoring"
DASHBOARD = MONITORING / "dashboards" / "escalation.json"
RULES = MONITORING / "alerts.yml"
PROMETHEUS_OWN = {"up"}
NAME = re.compile(r"\b((?:escalation|temporal|process)_[a-z0-9_]+|escalation:[a-z0-9_:]+|up)\b")
HISTOGRAM = re.compile(r"_(bucket|sum|count)$")


def _names(expr: str) -> set[str]:
    """The metric names ``expr`` reads (our prefixes, recording rules and ``up``)."""
    found = set(NAME.findall(expr))
    return {HISTOGRAM.sub("", n) if HISTOGRAM.sub("", n) in SDK_METRICS else n for n in found}


def _dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def _rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _panel_exprs() -> list[str]:
    panels = [p for p in _dashboard()["panels"] if p["type"] != "row"]
    return [t["expr"] for p in panels for t in p.get("targets", [])]


def _exprs() -> list[str]:
    return _panel_exprs() + [str(r["expr"]) for r in _rules()]


def test_every_name_a_panel_or_rule_reads_is_exported() -> None:
    recorded = {r["record"] for r in _rules() if "record" in r}
    for expr in _exprs():
        names = _names(expr)
        assert names, f"no metric found in {expr!r}"
        unknown = names - EXPORTED - recorded - PROMETHEUS_OWN
        assert not unknown, f"{expr!r} reads {sorted(unknown)}, which nothing exports"


def test_every_sdk_name_is_one_the_sdk_core_knows() -> None:
    """The SDK's failure counters appear only once something fails: check them by name."""
    core = b"".join(p.read_bytes() for p in Path(temporalio.bridge.__file__).parent.glob("*.so"))
    for name in SDK_METRICS:
        base = name.removeprefix("temporal_").removesuffix("_total").encode()
        assert base in core, name


def test_the_dashboard_shows_every_product_metric_from_the_provisioned_source() -> None:
    dashboard = _dashboard()
    assert dashboard["uid"] == "safeguarding-escalation"
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    for panel in panels:
        assert panel.get("description"), panel["title"]  # says what it shows and why
        assert panel.get("datasource", {"uid": "prometheus"})["uid"] == "prometheus"
    read = set().union(*(_names(e) for e in _panel_exprs()))
    assert PRODUCT_METRICS <= read, sorted(PRODUCT_METRICS - read)


def test_the_alerts_the_issue_asks_for_exist_with_a_severity_and_a_summary() -> None:
    alerts = {r["alert"]: r for r in _rules() if "alert" in r}
    reads = {name: _names(str(rule["expr"])) for name, rule in alerts.items()}
    wanted = {
        "overdue cases growing": "escalation:overdue_cases:max",
        "a stopped case": "escalation_stopped_cases_found_total",
        "emails failing": "escalation_emails_failed_total",
        "workflow task failures": "temporal_workflow_task_execution_failed_total",
        "schedule-to-start latency": "temporal_workflow_task_schedule_to_start_latency",
    }
    for what, metric in wanted.items():
        assert any(metric in names for names in reads.values()), what
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"], name


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_promtool_accepts_the_rules_and_every_panels_query(tmp_path: Path) -> None:
    """Prometheus' own checker (Debian's `prometheus` package has it), where installed."""
    panels = tmp_path / "panels.yml"
    rules = [{"record": f"panel:query_{i}", "expr": e} for i, e in enumerate(_panel_exprs())]
    panels.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    for path in (RULES, panels):
        result = subprocess.run(
            ["promtool", "check", "rules", str(path)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
