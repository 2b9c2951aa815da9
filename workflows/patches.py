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
"""The first gate: a case started on code with this id takes every path above, with one marker.

Each ``workflow.patched`` id a case passes costs a marker event and a
``TemporalChangeVersion`` search attribute upsert (a visibility write on the
server); a new case would pay that for every id above. Both workflows call
``open_gate()`` first thing in ``run``, while a case started on older code is
still replaying (so it answers False for those and is remembered), and test
every id above through ``patched``.
"""

PATCH_CASE_V3 = "case-v3"
"""The second gate: everything ``case-v2`` implies, and a case opens in one record write.

A case past this gate starts its recorder once the first stage is entered, so
the disagreement row, ``opened`` and ``stage_entered`` go in one ``record_steps``
activity instead of two (one activity and one workflow task fewer per case). A
practice alert past it does the same and batches its rows as a disagreement
does (``record_alert_steps``, where it wrote one row per activity before).
A new change of path is a new gate (``case-v4`` below, tested first in ``GATES``) rather
than a ``workflow.patched`` id of its own, so a new case still records one marker.
"""

PATCH_CASE_V4 = "case-v4"
"""The third gate: everything ``case-v3`` implies, and an email given up on is recorded.

When Temporal gives up on an email (its three days ran out while every attempt was
cut off or never ran, say with every worker down), no attempt of the activity had
the chance to mark its outbox row: a case past this gate then runs
``record_undelivered``, which marks a still-pending row failed and tells the
Business Manager. Both workflows, through ``steps.send_beside``.
"""

GATES = (PATCH_CASE_V4, PATCH_CASE_V3, PATCH_CASE_V2)
"""Newest first: a new case records only the newest; an older case replays the one it has."""


def open_gate() -> bool:
    """Decide the gate for this run; call it first in ``run``, before any other step.

    ``any`` stops at the first gate the case has, so a new case records one marker.
    """
    return any(workflow.patched(gate) for gate in GATES)


def past(gate: str) -> bool:
    """Whether this case passed ``gate`` or a newer one (only after ``open_gate()``)."""
    newer = GATES[: GATES.index(gate) + 1]
    return any(workflow.patched(g) for g in newer)


def patched(patch_id: str) -> bool:
    """Whether this case takes the path of ``patch_id`` (always, past any gate)."""
    return open_gate() or workflow.patched(patch_id)
