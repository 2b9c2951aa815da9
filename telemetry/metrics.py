"""The product's own Prometheus metrics, and the one list of every metric name we publish.

The activities that already see each fact count it, so the workflows stay as they
are (a workflow change would break the saved replay histories) and a replay never
counts again: replaying a workflow runs no activity. An activity may run more than
once (a retry), so each counter is bumped only by the attempt whose write actually
changed the database: a record row newly inserted (not an idempotent re-write), an
outbox row newly marked sent or failed, a case newly marked stopped, and only once
the transaction committed.

Labels are bounded identifiers only: the workflow type, the procedure (pack id), the
stage id, the decision or email kind. Never a case reference, a name or free text:
a label value is a series of its own, kept by Prometheus for weeks, outside the
record's retention rules.
"""

from __future__ import annotations

import prometheus_client
from prometheus_client import Counter, Gauge

# Counters get the conventional `_total` series only; the `_created` twin doubles the
# series and no panel or rule of ours reads it.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped upstream

CASES_OPENED = Counter(
    "escalation_cases_opened",
    "Cases opened (their record row written for the first time).",
    ["workflow_type", "procedure"],
)
STAGES_ENTERED = Counter(
    "escalation_stages_entered",
    "Stages entered, the first one included: escalations are the entries above the first.",
    ["workflow_type", "procedure", "stage"],
)
DEADLINES_MISSED = Counter(
    "escalation_deadlines_missed",
    "Stage deadlines that passed without the case moving on.",
    ["workflow_type", "procedure", "stage"],
)
DECISIONS = Counter(
    "escalation_decisions",
    "Decisions recorded, by kind (resolved, unresolved, response, finalised, ...).",
    ["workflow_type", "procedure", "kind"],
)
REFUSED_INPUTS = Counter(
    "escalation_refused_inputs",
    "Refused signals and updates recorded (a flood counts its summary row once).",
    ["workflow_type", "procedure"],
)
EMAILS_SENT = Counter(
    "escalation_emails_sent",
    "Emails the relay accepted for at least one recipient.",
    ["kind"],
)
EMAILS_FAILED = Counter(
    "escalation_emails_failed",
    "Emails given up on: refused by the relay for every recipient, or out of time.",
    ["kind"],
)
STOPPED_CASES_FOUND = Counter(
    "escalation_stopped_cases_found",
    "Cases the reconcile sweep found no longer running in Temporal and marked stopped.",
    ["workflow_type", "procedure"],
)
EMAILS_PENDING = Gauge(
    "escalation_emails_pending",
    "Outbox rows not yet sent or given up on, read from the records database at each scrape.",
)
OVERDUE_CASES = Gauge(
    "escalation_overdue_cases",
    "Running cases past a pending deadline (EscalationOverdue = true), asked of Temporal's"
    " visibility at each scrape.",
)

PRODUCT_METRICS = frozenset(
    {
        "escalation_cases_opened_total",
        "escalation_stages_entered_total",
        "escalation_deadlines_missed_total",
        "escalation_decisions_total",
        "escalation_refused_inputs_total",
        "escalation_emails_sent_total",
        "escalation_emails_failed_total",
        "escalation_stopped_cases_found_total",
        "escalation_emails_pending",
        "escalation_overdue_cases",
    }
)
"""Every series name of ours, as a scrape shows it (counters with their `_total`)."""

SDK_METRICS = frozenset(
    {
        "temporal_workflow_task_execution_latency",
        "temporal_workflow_task_schedule_to_start_latency",
        "temporal_workflow_task_replay_latency",
        "temporal_workflow_task_execution_failed_total",
        "temporal_workflow_completed_total",
        "temporal_workflow_failed_total",
        "temporal_activity_execution_latency",
        "temporal_activity_schedule_to_start_latency",
        "temporal_activity_execution_failed_total",
        "temporal_sticky_cache_size",
        "temporal_sticky_cache_hit_total",
        "temporal_sticky_cache_miss_total",
        "temporal_worker_task_slots_available",
        "temporal_num_pollers",
        "temporal_request_failure_total",
    }
)
"""The Temporal SDK's series our dashboard and rules read (histograms by their base name).

A counter the SDK has not bumped yet (a failure) is absent from a scrape until it is:
the test checks the names a real worker shows, and these by name against the SDK's
documented list (docs.temporal.io/references/sdk-metrics)."""

SDK_ALWAYS_PRESENT = frozenset(
    {
        "temporal_workflow_task_execution_latency",
        "temporal_workflow_task_schedule_to_start_latency",
        "temporal_activity_execution_latency",
        "temporal_activity_schedule_to_start_latency",
        "temporal_sticky_cache_size",
        "temporal_worker_task_slots_available",
        "temporal_num_pollers",
    }
)
"""The SDK's series a worker that has run one workflow with an activity always shows."""

PROCESS_METRICS = frozenset({"process_resident_memory_bytes", "process_cpu_seconds_total"})
"""prometheus-client's own series about the worker process that the dashboard reads."""

EXPORTED = PRODUCT_METRICS | SDK_METRICS | PROCESS_METRICS
"""What a dashboard panel or an alert rule may name (besides Prometheus' own ``up``)."""
