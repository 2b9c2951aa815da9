"""Every ``workflow.patched`` id the workflows use, in one place.

A case started on older code replays its history without the markers these ids
leave, so ``workflow.patched(ID)`` answers False for it and it keeps the old path;
new cases take the new one. Never rename or reuse an id while cases that started
before it may still be running (see README, "Changing the workflow").
"""

from __future__ import annotations

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
