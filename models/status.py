"""What the ``status`` query answers: the case as the workflow sees it now."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from models.calendar import PendingDeadline
from models.conference import ConferenceInfo

CaseState = Literal["open", "resolved", "closed"]
"""open: a stage is working on it; resolved: outcome agreed, written confirmation
pending; closed: confirmed and finished."""

StageOutcome = Literal[
    "resolved",
    "unresolved",
    "timeout",
    "immediate_risk",
    "still_divided",
    "minority_dissent",
    "adjournment_breached",
    "referred_directly",
]
"""How a stage was left. The last three are an adjourned conference's: reconvened still
divided (up the ladder), reconvened with a majority the minority disputes (the minority's
ladder), and not reconvened by its deadline (a breach, up the ladder)."""


class MilestoneStatus(BaseModel):
    """A milestone of a stage: when it is due, whether it was met, whether its miss was told."""

    id: str
    title: str
    due_at: AwareDatetime
    basis: str = Field(description="The figure and the document's sentence, in words.")
    met_at: AwareDatetime | None = None
    met_by: str | None = None
    overdue_notified_at: AwareDatetime | None = None


class StageStatus(BaseModel):
    """One stage the disagreement entered, in order."""

    stage_id: str
    title: str
    index: int = Field(description="Position in its ladder (0-based).")
    ladder_id: str | None = Field(
        default=None, description="The ladder the stage belongs to (a case may switch ladders)."
    )
    kind: str = Field(default="discussion", description="discussion or conference_adjournment.")
    holders: list[str] = Field(description="Who holds the stage: role titles and names.")
    entered_at: AwareDatetime
    due_at: AwareDatetime | None = Field(
        description="None only at a stage whose timescale is agreed per case, not yet agreed."
    )
    timescale_working_days: int = Field(
        description="The stage's timescale as counted (see timescale_unit), after any cap."
    )
    timescale_unit: Literal["working_days", "calendar_days", "weeks"] = "working_days"
    timescale_source: Literal["document", "local", "case", "unset"] = Field(
        default="document",
        description="Where the figure comes from: the procedure, the partnership, or the case.",
    )
    timescale_basis: str | None = Field(
        default=None, description="The figure and its source in words (quote or who set it)."
    )
    capped: bool = Field(default=False, description="Shortened to protect the child.")
    first_contact_due_at: AwareDatetime | None = Field(
        default=None, description="The 'first_contact' milestone's deadline, if the stage has one."
    )
    milestones: list[MilestoneStatus] = Field(default_factory=list)
    per_case: bool = Field(
        default=False, description="The stage's timescale is agreed on the case (agree_timescale)."
    )
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
    """A deadline moved (brought forward, or re-projected onto a changed calendar),
    with the old and new values, who and why."""

    at: AwareDatetime
    stage_id: str
    deadline: PendingDeadline = "stage"
    old_due_at: AwareDatetime
    new_due_at: AwareDatetime
    by: str
    reason: str


class LearningItem(BaseModel):
    """A resolution the pack wants learnt from (e.g. one reaching Principal Officer level)."""

    at: AwareDatetime
    stage_id: str
    stage_title: str
    ladder_id: str
    outcome: str
    by: str
    notified: list[str] = Field(description="Roles told of it, by title.")


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
    conference: ConferenceInfo | None = Field(
        default=None, description="The child protection conference the case concerns."
    )
    conference_reports_due_at: AwareDatetime | None = Field(
        default=None,
        description="When agencies' reports are due before that conference (pack's rule).",
    )
    interim_position: str | None = Field(
        default=None, description="The child's position while the conference is adjourned."
    )
    reconvene_due_at: AwareDatetime | None = Field(
        default=None, description="When the adjourned conference must have reconvened."
    )
    adjournment_breached: bool = Field(
        default=False, description="The adjourned conference did not reconvene in time."
    )
    conference_outcome: Literal["unanimous", "majority", "still_divided"] | None = None
    learning_items: list[LearningItem] = Field(default_factory=list)
    rejected_inputs: list[RejectedInput] = Field(
        default_factory=list, description="The latest refused inputs (at most 50), whole."
    )
    rejected_inputs_total: int = Field(
        default=0, description="Every input refused since the case opened, kept or not."
    )
    notification_failures: list[str] = Field(default_factory=list)
    decisions: list[Literal["resolved", "unresolved"]] = Field(
        default_factory=list,
        description="What the case would accept now of 'resolved' and 'unresolved' (none when "
        "closed, adjourned or resolved awaiting confirmation); the decision page offers these.",
    )
