"""Payloads for the record-keeping activities (the written record of truth).

Temporal's history is deleted after the namespace's retention period; these
rows are what stays on the child's file. Every write carries an idempotency
key derived from the workflow id and the step, never the run id, so a retried
or replayed activity never writes twice.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

StepKind = Literal[
    "opened",
    "stage_entered",
    "stage_left",
    "decision",
    "confirmation_due",
    "confirmed",
    "confirmation_late",
    "reminder",
    "deadline_passed",
    "deadline_changed",
    "immediate_risk",
    "rejected_input",
    "closed",
    "interim_position",
    "adjournment_breached",
    "conference_reconvened",
    "learning_item",
    "conference_reports_due",
    "calendar_changed",
    "milestone_met",
    "milestone_missed",
]


class DisagreementRecord(BaseModel):
    """The disagreement itself: one row per workflow id."""

    workflow_id: str
    case_reference: str
    procedure: str
    ladder: str
    partnership: str
    raising_agency: str
    receiving_agency: str
    nature: str
    risk_to_child: str
    aim: str
    raised_at: AwareDatetime
    raised_late: bool = False
    immediate_risk: bool = False


class StepRecord(BaseModel):
    """One step of the timeline: who, what, when."""

    key: str = Field(description="Idempotency key: workflow id + step number.")
    workflow_id: str
    case_reference: str
    kind: StepKind
    at: AwareDatetime
    stage_id: str | None = None
    actor: str | None = None
    text: str | None = None
    due_at: AwareDatetime | None = None
    state: str | None = Field(default=None, description="New case state, if it changed.")
    current_stage: str | None = None
    data: dict[str, str] = Field(default_factory=dict)


class RecordBatch(BaseModel):
    """Rows the workflow queued while the previous write ran, written in one transaction.

    One activity per batch instead of one per row: opening a case queues the
    disagreement and its first steps together, and a database that was away
    catches up in one write. The disagreement, when present, is written first.
    """

    disagreement: DisagreementRecord | None = None
    steps: list[StepRecord] = Field(default_factory=list)
