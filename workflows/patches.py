"""Every ``workflow.patched`` id the workflows use, in one place.

A case started on older code replays its history without the markers these ids
leave, so ``workflow.patched(ID)`` answers False for it and it keeps the old path;
new cases take the new one. Never rename or reuse an id while cases that started
before it may still be running (see README, "Changing the workflow").
"""

from __future__ import annotations

from temporalio import workflow

PATCH_ADJOURNMENT = "conference-adjournment-loop"
PATCH_REPORTS = "conference-report-deadlines"
PATCH_LEARNING = "learning-items"
PATCH_SEARCH_ATTRIBUTES = "search-attributes-v1"
PATCH_RISK_TIMESCALE = "immediate-risk-timescale"
PATCH_DRAIN = "refuse-queued-after-close"
PATCH_ALERT_SEARCH_ATTRIBUTES = "alert-search-attributes-v1"
PATCH_ALERT_CALENDAR = "alert-change-calendar-v1"
PATCH_BATCH_RECORDS = "batch-records-v1"
"""Rows queued while a record write runs go in one ``record_steps`` activity (Disagreement)."""
PATCH_LOCAL_PLANS = "local-deadline-plans"
"""Deadline plans run as local activities, recorded as markers (both workflows)."""

PATCH_CASE_V2 = "case-v2"
"""The gate: a case started on code with this id takes every path above, with one marker.

Each ``workflow.patched`` id a case passes costs a marker event and a
``TemporalChangeVersion`` search attribute upsert (a visibility write on the
server); a new case would pay that for every id above. Both workflows call
``open_gate()`` first thing in ``run``, while a case started on older code is
still replaying (so it answers False for those and is remembered), and test
every id through ``patched``. A patch added later is added below this gate
and tested with ``workflow.patched`` directly.
"""


def open_gate() -> bool:
    """Decide the gate for this run; call it first in ``run``, before any other step."""
    return workflow.patched(PATCH_CASE_V2)


def patched(patch_id: str) -> bool:
    """Whether this case takes the path of ``patch_id`` (always, past the gate)."""
    return workflow.patched(PATCH_CASE_V2) or workflow.patched(patch_id)
