"""Practice alerts (Rutland): the start request, the decisions, the status and the record.

An Independent Reviewing Officer or conference chair raises an alert against a
case with one of the pack's reason codes; each level of management must respond
within its timescale or the alert goes up by itself. Responses are entries on the
alert's single case note; only the raising chair finalises it.

The raising chair is identified by email: ``Finalise.by`` and ``NotSatisfied.by``
must equal ``raised_by.email`` (compared case-insensitively), because an email
address is the one identity the case system and the workflow both hold.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.json_schema import SkipJsonSchema

from models.calendar import DeadlinePlan, Reminder
from models.carry import RefusalCarry
from models.common import Actor, CaseReference, ExtraValue, Identifier, Name, Person, Text
from models.limits import check_extra_fields
from models.notifications import Notification
from models.pack import PolicyPack
from models.status import DeadlineChange, RejectedInput

AlertSuffix = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]

AlertState = Literal["open", "awaiting_finalisation", "finalised"]
"""open: a stage must respond; awaiting_finalisation: a response is on the case note
and the raising chair decides (finalise, or not satisfied: up a stage); finalised: closed."""


class StartPracticeAlert(BaseModel):
    """Raise one practice alert against a case.

    Unknown fields are refused so that a typo cannot silently drop a fact such as
    ``serious_or_urgent``. ``people`` names who holds each stage's roles from the
    starting stage upwards: the alert climbs by itself, so everyone above must be
    reachable.
    """

    model_config = ConfigDict(extra="forbid")

    procedure: Identifier = Field(examples=["rutland"])
    case_reference: CaseReference
    alert_id: AlertSuffix | None = Field(
        default=None,
        description=(
            "Suffix of the workflow id 'alert-{case_reference}-{alert_id}'; the client generates"
            " one when absent. Raising twice with the same suffix is refused."
        ),
    )
    raised_at: datetime = Field(description="When the alert was raised; naive means local time.")
    raised_by: Person = Field(
        description="The raising chair (a role the pack allows to raise alerts); finalises it."
    )
    reason_code: Name = Field(description="One of the pack's reason codes.")
    description: Text = Field(description="What went wrong, as written on the case note.")
    agreed_action: Text = Field(description="The action the chair asks to be taken.")
    serious_or_urgent: bool = False
    start_stage: Identifier | None = Field(
        default=None,
        description="Only when serious_or_urgent: one of the pack's serious start stages.",
    )
    people: list[Person] = Field(
        min_length=1, max_length=50, description="Who holds each stage's roles."
    )
    continued: SkipJsonSchema[AlertCarry | None] = Field(
        default=None,
        description=(
            "Set only by the workflow itself when it continues as new (its whole state);"
            " a caller that sends it is refused."
        ),
    )

    @model_validator(mode="after")
    def _one_person_per_role(self) -> StartPracticeAlert:
        roles = [p.role for p in self.people]
        dupes = sorted({r for r in roles if roles.count(r) > 1})
        if dupes:
            raise ValueError(f"people: each role once; repeated: {', '.join(dupes)}")
        return self

    def person(self, role: str) -> Person | None:
        """The person holding a stage role, if the chair named one."""
        for p in self.people:
            if p.role == role:
                return p
        return None


class AlertDecision(BaseModel):
    """Fields every alert decision carries; extra fields are kept for richer clients."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, ExtraValue] = Field(init=False)

    by: Actor = Field(description="Who is deciding (for the chair's decisions: email).")

    @model_validator(mode="after")
    def _bounded_extra_fields(self) -> AlertDecision:
        check_extra_fields(self.model_extra)
        return self


class AlertResponse(AlertDecision):
    """A manager's response, added to the alert's case note."""

    text: Text
    stage: Identifier | None = Field(
        default=None, description="The stage responding; if given it must be the current stage."
    )


class Finalise(AlertDecision):
    """The raising chair is satisfied and closes the alert (``by`` is the chair's email)."""

    text: Text = Field(description="The chair's closing note.")


class NotSatisfied(AlertDecision):
    """The raising chair sends the alert up: not satisfied with the response, or no response
    by the deadline. ``to_stage``: in a serious or urgent alert, straight to one of the
    pack's serious stages (Rutland: Head of Service or Director for People) at any point."""

    reason: Text
    to_stage: Identifier | None = Field(
        default=None, description="Serious or urgent alerts only: a stage above, to jump to."
    )


class AlertReceipt(BaseModel):
    """The workflow's acknowledgement of an accepted update."""

    accepted: bool = True
    state: AlertState
    stage: str | None
    message: str
    due_at: AwareDatetime | None = None


StageOutcome = Literal["timeout", "not_satisfied", "finalised"]
"""How an alert left a stage: nobody responded in time, the chair was not satisfied with
the response, or the chair finalised the alert there."""


class AlertStageStatus(BaseModel):
    """One stage the alert entered, in order."""

    stage_id: str
    title: str
    index: int = Field(description="Position among the pack's alert stages (0-based).")
    holders: list[str] = Field(description="Role titles and names of who must respond.")
    entered_at: AwareDatetime
    due_at: AwareDatetime
    timescale_working_days: int
    responded_at: AwareDatetime | None = None
    response_in_time: bool | None = None
    left_at: AwareDatetime | None = None
    outcome: StageOutcome | None = None
    overdue_notified_at: AwareDatetime | None = None


class CaseNoteEntry(BaseModel):
    """One entry on the alert's single case note."""

    kind: Literal["alert", "response", "not_satisfied", "finalised"]
    stage: str | None
    by: str
    text: str
    at: AwareDatetime
    in_time: bool | None = Field(default=None, description="For responses: within the deadline.")


class PracticeAlertStatus(BaseModel):
    """The answer to the ``status`` query."""

    workflow_id: str
    alert_id: str
    case_reference: str
    procedure: str
    title: str
    reason_code: str
    reason_title: str
    state: AlertState
    current_stage: str | None
    current_stage_title: str | None
    due_at: AwareDatetime | None = Field(default=None, description="The current stage's deadline.")
    serious_or_urgent: bool
    start_stage: str | None
    raised_by: str
    raised_at: AwareDatetime | None
    stages: list[AlertStageStatus]
    case_note: list[CaseNoteEntry]
    finalised_at: AwareDatetime | None = None
    finalised_by: str | None = None
    rejected_inputs: list[RejectedInput] = Field(
        default_factory=list, description="The latest refused inputs (at most 50), whole."
    )
    rejected_inputs_total: int = Field(
        default=0, description="Every input refused since the alert was raised, kept or not."
    )
    notification_failures: list[str] = Field(default_factory=list)
    deadline_changes: list[DeadlineChange] = Field(
        default_factory=list,
        description="Every stage deadline a calendar change moved: old, new, by whom and why.",
    )


AlertStepKind = Literal[
    "raised",
    "stage_entered",
    "reminder",
    "response",
    "deadline_missed",
    "overdue",
    "not_satisfied",
    "finalised",
    "rejected_input",
    "calendar_changed",
    "deadline_changed",
]


class AlertRecord(BaseModel):
    """The alert's row: one per workflow id."""

    workflow_id: str
    case_reference: str
    procedure: str
    reason_code: str
    reason_title: str
    description: str
    agreed_action: str
    raised_by: str
    raised_by_email: str
    raised_at: AwareDatetime
    start_stage: str
    serious_or_urgent: bool
    current_stage: str


class AlertStepRecord(BaseModel):
    """One step of the alert (idempotent by ``key``: workflow id + step number)."""

    key: str
    workflow_id: str
    case_reference: str
    kind: AlertStepKind
    at: AwareDatetime
    stage_id: str | None = None
    actor: str | None = None
    text: str | None = None
    due_at: AwareDatetime | None = None
    in_time: bool | None = None
    data: dict[str, str] = Field(default_factory=dict)
    state: AlertState | None = Field(default=None, description="New alert state, if it changed.")
    current_stage: str | None = None


class AlertRecordBatch(BaseModel):
    """Rows the alert queued while the previous write ran, written in one transaction.

    As ``RecordBatch`` for a disagreement: one activity per batch instead of one
    per row (an alert past the ``case-v3`` gate). The alert row, when present, is
    written first.
    """

    alert: AlertRecord | None = None
    steps: list[AlertStepRecord] = Field(default_factory=list)


class AlertCarry(BaseModel):
    """A practice alert's whole state, handed from one run to the next.

    The alert's counterpart of ``models.carry.CaseCarry`` (read it for why): the
    procedure as loaded, the stage and its deadline, the case note, the refused
    inputs' summary, and whatever was not yet written or sent. Set only by the
    workflow itself.
    """

    runs: int = Field(description="Runs of this alert before the one this starts.")
    pack: PolicyPack
    state: AlertState
    raised_at: AwareDatetime
    current: str | None
    plan: DeadlinePlan | None
    reminders: list[Reminder]
    overdue_sent: bool
    stages: list[AlertStageStatus]
    note: list[CaseNoteEntry]
    finalised_at: datetime | None
    finalised_by: str | None
    closures: list[date]
    changes: list[DeadlineChange]
    refusals: RefusalCarry
    failures: list[str]
    opened: AlertRecord | None = Field(description="The alert's row, if not yet written.")
    steps: list[AlertStepRecord] = Field(description="Record rows not yet written, in order.")
    mail: list[Notification] = Field(description="Emails not yet sent (or not known sent).")
    seq: int = Field(description="The last step number: keys go on from it.")


StartPracticeAlert.model_rebuild()  # its ``continued`` names AlertCarry, defined above
