"""What a case carries into its next run when it continues as new.

A case's history is bounded (``workflows/continuation.py``): past a documented size,
or when Temporal suggests it, the workflow continues as new under the same workflow
id, and its next run starts from this state instead of opening the case again. It is
everything the workflow holds: the procedure as loaded when the case opened (a pack
edited since must not change a running case), the stage and every deadline, the
decisions and milestones, the refused inputs' summary, and whatever was not yet
written or sent (record rows and emails, idempotent by their keys, so one written
or sent just before the hand-over is not written or sent twice).

Set only by the workflow itself: a caller that sends it is refused at start.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, Field

from models.calendar import DeadlinePlan, Reminder
from models.decisions import ConferenceReconvened, Resolved
from models.notifications import Notification
from models.pack import Figure, PolicyPack
from models.records import DisagreementRecord, StepRecord
from models.status import CaseState, DeadlineChange, LearningItem, RejectedInput, StageStatus


class RefusalCarry(BaseModel):
    """Refused inputs: the latest kept whole, the rest counted."""

    kept: list[RejectedInput] = Field(default_factory=list)
    total: int = 0
    unrecorded: dict[str, int] = Field(
        default_factory=dict,
        description="Refusals not yet written to the record one by one, counted by name.",
    )


class CaseCarry(BaseModel):
    """A disagreement's whole state, handed from one run to the next."""

    runs: int = Field(description="Runs of this case before the one this starts.")
    pack: PolicyPack
    ladder: str
    state: CaseState
    stages: list[StageStatus]
    current: str | None
    plan: DeadlinePlan | None
    reminders: list[Reminder]
    overdue_sent: bool
    child_cap: int | None
    immediate_risk: bool
    raised_at: AwareDatetime
    raise_due_at: datetime | None
    raised_late: bool
    outcome: Resolved | None
    resolved_at: datetime | None
    confirmation: DeadlinePlan | None
    confirmation_late: bool
    confirmed_at: datetime | None
    closures: list[date]
    not_after: datetime | None
    refusals: RefusalCarry
    changes: list[DeadlineChange]
    failures: list[str]
    opened: DisagreementRecord | None = Field(description="The case's row, if not yet written.")
    steps: list[StepRecord] = Field(description="Record rows not yet written, in order.")
    mail: list[Notification] = Field(description="Emails not yet sent (or not known sent).")
    seq: int = Field(description="The last step number: keys go on from it.")
    adjourned: bool
    interim: str | None
    reconvene_due: datetime | None
    breached: bool
    conference_outcome: ConferenceReconvened | None
    reports: DeadlinePlan | None
    reports_reminder: datetime | None
    learning: list[LearningItem]
    agreed: Figure | None = Field(
        default=None, description="The stage's figure agreed on the case."
    )
    milestone_reminders: list[tuple[str, datetime]] = Field(
        default_factory=list, description="The current stage's milestone reminders still due."
    )
