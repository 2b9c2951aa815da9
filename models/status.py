"""What the ``status`` query answers: the case as the workflow sees it now."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

CaseState = Literal["open", "resolved", "closed"]
"""open: a stage is working on it; resolved: outcome agreed, written confirmation
pending; closed: confirmed and finished."""

StageOutcome = Literal["resolved", "unresolved", "timeout", "immediate_risk"]


class StageStatus(BaseModel):
    """One stage the disagreement entered, in order."""

    stage_id: str
    title: str
    index: int
    holders: list[str] = Field(description="Who holds the stage: role titles and names.")
    entered_at: AwareDatetime
    due_at: AwareDatetime
    timescale_working_days: int
    capped: bool = Field(default=False, description="Shortened to protect the child.")
    first_contact_due_at: AwareDatetime | None = None
    left_at: AwareDatetime | None = None
    outcome: StageOutcome | None = None
    decided_by: str | None = None
    text: str | None = None
    overdue_notified_at: AwareDatetime | None = None


class RejectedInput(BaseModel):
    """A signal or update the workflow refused, kept so nothing is silently lost."""

    at: AwareDatetime
    name: str
    error: str
    payload: str = Field(description="The payload as received, truncated.")


class DeadlineChange(BaseModel):
    """A deadline brought forward, with the old and new values and why."""

    at: AwareDatetime
    stage_id: str
    old_due_at: AwareDatetime
    new_due_at: AwareDatetime
    by: str
    reason: str


class DisagreementStatus(BaseModel):
    """The answer to the ``status`` query."""

    workflow_id: str
    case_reference: str
    procedure: str
    procedure_title: str
    partnership: str
    ladder: str
    state: CaseState
    current_stage: str | None
    current_stage_title: str | None
    stages: list[StageStatus]
    raised_at: AwareDatetime
    raise_due_at: AwareDatetime | None = None
    raised_late: bool = False
    first_contact_due_at: AwareDatetime | None = Field(
        default=None, description="When the receiver must have spoken to the raiser (stage 1)."
    )
    immediate_risk: bool = False
    child_timescale_working_days: int | None = None
    outcome: str | None = None
    resolved_at: AwareDatetime | None = None
    resolved_by: str | None = None
    confirmation_due_at: AwareDatetime | None = None
    confirmed_at: AwareDatetime | None = None
    confirmation_late: bool = False
    deadline_changes: list[DeadlineChange] = Field(default_factory=list)
    rejected_inputs: list[RejectedInput] = Field(default_factory=list)
    notification_failures: list[str] = Field(default_factory=list)
