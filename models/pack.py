"""The policy pack schema: one procedure of one safeguarding partnership, as data.

A workflow is an interpreter of a pack. Nothing procedure-specific lives in
code: a new partnership writes a pack file, and this schema tells it exactly
what is wrong with it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from models.calendar import CalendarSpec
from models.common import Identifier, NonEmptyText, RoleRef
from models.pack_checks import reference_problems

PACK_REFERENCE_ERROR = "pack_reference"
"""Error type of the cross-reference checks; the loader reports them from the raw data."""


class RoleSpec(BaseModel):
    """A role somebody holds in a disagreement, e.g. ``receiving.line_manager``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RoleRef
    title: NonEmptyText


class StageSpec(BaseModel):
    """One rung of a ladder: who must act, within how long, who is told."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    title: NonEmptyText
    holders: list[RoleRef] = Field(min_length=1, description="Who must act at this stage.")
    copied: list[RoleRef] = Field(default_factory=list, description="Who is copied in.")
    timescale_working_days: StrictInt | None = Field(
        default=None,
        ge=0,
        le=60,
        description="Working days to resolve; absent means the pack's default timescale.",
    )
    timescale_note: str | None = Field(default=None, description="Where the figure comes from.")
    first_contact_working_days: StrictInt | None = Field(default=None, ge=0, le=60)
    confirmation_working_days: StrictInt | None = Field(default=None, ge=0, le=60)
    confirmer: RoleRef | None = Field(
        default=None, description="Who confirms a resolution in writing (default: a holder)."
    )
    requires_confirmation: bool = Field(
        default=True,
        description="Whether a resolution here opens the written-confirmation step.",
    )
    on_deadline: Literal["escalate", "notify_and_wait"] = "escalate"
    overdue_notify: list[RoleRef] = Field(default_factory=list)
    guidance: str | None = Field(default=None, description="What the seed asks of this stage.")
    kind: Literal["discussion", "conference_adjournment"] = Field(
        default="discussion",
        description=(
            "discussion: the holders talk and answer resolved/unresolved. "
            "conference_adjournment: an equally divided child protection conference is adjourned "
            "(at most 15 working days) and the stage waits for 'conference_reconvened'."
        ),
    )
    interim_position: str | None = Field(
        default=None,
        description="For an adjournment: the child's position meanwhile (e.g. on a CP plan).",
    )
    on_majority_dissent: Identifier | None = Field(
        default=None,
        description=(
            "For an adjournment: the ladder the minority climbs when the reconvened conference "
            "reaches a majority view and the minority dissents."
        ),
    )
    learning_notify: list[RoleRef] = Field(
        default_factory=list,
        description=(
            "A resolution at this stage records a learning item and tells these roles "
            "(e.g. the pathway lead officer group)."
        ),
    )


class LadderSpec(BaseModel):
    """An ordered list of stages a disagreement climbs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    title: NonEmptyText
    stages: list[StageSpec] = Field(min_length=1)
    immediate_risk_stage: Identifier | None = Field(
        default=None, description="Stage an immediate risk of significant harm jumps to."
    )
    immediate_risk_working_days: StrictInt | None = Field(
        default=None,
        ge=0,
        le=60,
        description=(
            "Timescale at the immediate-risk stage when the case jumps there because of an "
            "immediate risk (Rutland: 0, the same working day); absent: the stage's own."
        ),
    )

    @model_validator(mode="after")
    def _stages_are_consistent(self) -> LadderSpec:
        ids = [s.id for s in self.stages]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise PydanticCustomError(
                PACK_REFERENCE_ERROR,
                "stage ids must be unique in a ladder; repeated: {dupes}",
                {"dupes": ", ".join(dupes)},
            )
        if self.immediate_risk_stage is not None and self.immediate_risk_stage not in ids:
            raise PydanticCustomError(
                PACK_REFERENCE_ERROR,
                "immediate_risk_stage '{stage}' is not a stage of this ladder",
                {"stage": self.immediate_risk_stage},
            )
        return self

    def index_of(self, stage_id: str) -> int:
        """Position of a stage in the ladder (0-based)."""
        for i, stage in enumerate(self.stages):
            if stage.id == stage_id:
                return i
        raise KeyError(stage_id)


class ConferenceReports(BaseModel):
    """When agencies' reports are due before a child protection conference."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    initial_working_days_before: StrictInt = Field(ge=0, le=30)
    review_working_days_before: StrictInt = Field(ge=0, le=30)


class ReasonCode(BaseModel):
    """One of a practice alert procedure's closed list of reasons."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Identifier
    title: NonEmptyText


class AlertStageSpec(BaseModel):
    """One level a practice alert goes to when the level below does not respond in time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    title: NonEmptyText
    holders: list[RoleRef] = Field(min_length=1)
    copied: list[RoleRef] = Field(default_factory=list)
    timescale_working_days: StrictInt = Field(ge=0, le=60)


class PracticeAlertSpec(BaseModel):
    """A practice alert procedure (Rutland): raised by a chair, answered level by level."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: NonEmptyText
    raised_by: list[RoleRef] = Field(
        min_length=1, description="Roles that may raise an alert; only the raiser finalises it."
    )
    reason_codes: list[ReasonCode] = Field(min_length=1)
    stages: list[AlertStageSpec] = Field(min_length=1)
    serious_start_stages: list[Identifier] = Field(
        default_factory=list,
        description="Stages the raiser may start at in serious or urgent cases.",
    )


class PackDecision(BaseModel):
    """A place where the seed is ambiguous and what the pack decided, with why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: NonEmptyText
    seed_says: NonEmptyText
    pack_uses: NonEmptyText
    reason: NonEmptyText


class PolicyPack(BaseModel):
    """A partnership's escalation procedure."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    title: NonEmptyText
    partnership: NonEmptyText
    source: NonEmptyText = Field(description="The procedure document this pack encodes.")
    version: StrictInt = Field(default=1, ge=1)
    calendar: CalendarSpec = Field(default_factory=CalendarSpec)
    default_timescale_working_days: StrictInt | None = Field(
        default=None,
        ge=0,
        le=60,
        description=(
            "Partnership default for stages whose seed gives no timescale; required when any "
            "stage has no figure of its own."
        ),
    )
    confirmation_working_days: StrictInt = Field(default=2, ge=0, le=60)
    raise_within_working_days: StrictInt | None = Field(default=None, ge=0, le=60)
    roles: list[RoleSpec] = Field(min_length=1)
    ladders: list[LadderSpec] = Field(min_length=1)
    default_ladder: Identifier
    conference_reports: ConferenceReports | None = None
    practice_alerts: PracticeAlertSpec | None = None
    decisions: list[PackDecision] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> PolicyPack:
        """Roles, stages, ladders, timescales and alert stages all refer to something real.

        The same checks run on the raw file in :func:`packs.load_pack_file`, where they
        are reported together with field errors; here they guard packs built in code.
        """
        problems = reference_problems(self.model_dump())
        if problems:
            raise PydanticCustomError(
                PACK_REFERENCE_ERROR,
                "{problems}",
                {"problems": "; ".join(str(p) for p in problems)},
            )
        return self

    def ladder(self, ladder_id: str | None = None) -> LadderSpec:
        """The named ladder, or the default one."""
        wanted = ladder_id or self.default_ladder
        for ladder in self.ladders:
            if ladder.id == wanted:
                return ladder
        raise KeyError(wanted)

    def role_title(self, role: str) -> str:
        """Human title of a role reference."""
        for r in self.roles:
            if r.id == role:
                return r.title
        return role

    def timescale(self, stage: StageSpec) -> int:
        """The stage's working days, falling back to the partnership default."""
        if stage.timescale_working_days is not None:
            return stage.timescale_working_days
        # A validated pack has a default whenever a stage lacks its own figure.
        assert self.default_timescale_working_days is not None, f"{stage.id}: no timescale"
        return self.default_timescale_working_days

    def uses_default(self, stage: StageSpec) -> bool:
        """Whether the stage's timescale is the partnership default, not a figure of its own."""
        return stage.timescale_working_days is None

    def confirmation_days(self, stage: StageSpec) -> int:
        """Working days allowed to confirm a resolution in writing at this stage."""
        if stage.confirmation_working_days is None:
            return self.confirmation_working_days
        return stage.confirmation_working_days
