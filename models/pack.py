"""The policy pack schema: one procedure of one safeguarding partnership, as data.

A workflow is an interpreter of a pack. Nothing procedure-specific lives in
code: a new partnership writes a pack file, and this schema tells it exactly
what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from models.calendar import CalendarSpec
from models.common import Identifier, NonEmptyText, RoleRef
from models.pack_checks import reference_problems


class UnsetTimescale(KeyError):
    """A stage has no timescale (no document figure, no local setting)."""


PACK_REFERENCE_ERROR = "pack_reference"
"""Error type of the cross-reference checks; the loader reports them from the raw data."""


class RoleSpec(BaseModel):
    """A role somebody holds in a disagreement, e.g. ``receiving.line_manager``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RoleRef
    title: NonEmptyText


Unit = Literal["working_days", "calendar_days", "weeks"]
"""How a timescale counts: working days, or a calendar period (DOMAIN.md, Time rules)."""

Source = Literal["document", "local", "case", "unset"]
"""Where a figure comes from: the procedure document (quoted), the partnership's own local
setting (who set it, when), agreed on the case, or nowhere yet (the stage cannot be entered)."""

UNIT_WORDS: dict[str, tuple[str, str]] = {
    "working_days": ("working day", "working days"),
    "calendar_days": ("calendar day", "calendar days"),
    "weeks": ("week", "weeks"),
}


@dataclass(frozen=True)
class Figure:
    """A stage's timescale as the workflow uses it: count, unit, and where it comes from."""

    value: int
    unit: Unit
    source: Source
    quote: str | None = None
    set_by: str | None = None
    set_on: date | None = None

    def amount(self) -> str:
        """E.g. '5 working days', '2 weeks'."""
        one, many = UNIT_WORDS[self.unit]
        return f"{self.value} {one if self.value == 1 else many}"

    def words(self, procedure: str) -> str:
        """The figure with its source in words.

        E.g. '5 working days (Redbridge ..., 4.5: "a resolution should be achieved within a
        further 5 working days ...")' or '3 working days (local setting, LSCB Business
        Manager, 2026-11-30: agreed by the executive)'.
        """
        if self.source == "document":
            return f"{self.amount()} ({procedure}, {self.quote})"
        if self.source == "local":
            when = f", {self.set_on.isoformat()}" if self.set_on else ""
            note = f": {self.quote}" if self.quote else ""
            return f"{self.amount()} (local setting, {self.set_by}{when}{note})"
        return f"{self.amount()} (agreed on the case)"


class MilestoneSpec(BaseModel):
    """A deadline inside a stage that does not end it.

    Redbridge 4.4: the receiver "must speak to the concerned professional within 3
    working days" (``first_contact``); SAfE: the Principal Officer sets "a time and date
    for the meeting (aiming for 2 weeks from the referral point)" (``review_meeting``).
    Planned from when the stage is entered, reminded, and when missed recorded and told
    to the stage's holders and the raiser; missing one never escalates the stage.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    title: NonEmptyText
    working_days: StrictInt | None = Field(default=None, ge=0, le=60)
    calendar_days: StrictInt | None = Field(default=None, ge=1, le=366)
    weeks: StrictInt | None = Field(default=None, ge=1, le=52)
    note: NonEmptyText = Field(description="The document's sentence the milestone comes from.")

    @model_validator(mode="after")
    def _one_unit(self) -> MilestoneSpec:
        given = [
            u for u in ("working_days", "calendar_days", "weeks") if getattr(self, u) is not None
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of working_days, calendar_days or weeks")
        return self

    def figure(self) -> Figure:
        """The milestone's figure (always the document's)."""
        for unit in ("working_days", "calendar_days", "weeks"):
            value = getattr(self, unit)
            if value is not None:
                return Figure(value=value, unit=unit, source="document", quote=self.note)
        raise AssertionError("validated: one unit")


class StageSpec(BaseModel):
    """One rung of a ladder: who must act, within how long, who is told.

    A stage's timescale is the document's (``timescale_note`` quotes the sentence it comes
    from), or the partnership's local setting (``ESCALATION_LOCAL_SETTINGS``, merged in when
    the pack is loaded, ``timescale_source = "local"``), or it has none: a case that would
    enter such a stage is refused at start, naming it. No figure is ever invented.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    title: NonEmptyText
    holders: list[RoleRef] = Field(min_length=1, description="Who must act at this stage.")
    copied: list[RoleRef] = Field(default_factory=list, description="Who is copied in.")
    timescale_working_days: StrictInt | None = Field(
        default=None, ge=0, le=60, description="Working days to resolve."
    )
    timescale_calendar_days: StrictInt | None = Field(
        default=None, ge=1, le=366, description="Or a calendar period in days ('14 days')."
    )
    timescale_weeks: StrictInt | None = Field(
        default=None, ge=1, le=52, description="Or a calendar period in weeks ('2 weeks')."
    )
    timescale_note: str | None = Field(
        default=None,
        description=(
            "A document figure: the sentence it comes from, quoted (required). "
            "A local one: the partnership's note."
        ),
    )
    timescale_source: Literal["document", "local"] = Field(
        default="document", description="Set to 'local' by the loader for a local setting."
    )
    timescale_set_by: str | None = Field(default=None, description="Local: who set it.")
    timescale_set_on: date | None = Field(default=None, description="Local: when.")
    per_case: bool = Field(
        default=False,
        description=(
            "The timescale is agreed on the case (Sutton: 'the timescale given the specific "
            "circumstances of each case'), with 'agree_timescale'; until then the stage's "
            "local figure, if any, applies, and without one the stage has no deadline."
        ),
    )
    milestones: list[MilestoneSpec] = Field(
        default_factory=list, description="Deadlines inside the stage that do not end it."
    )
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


class RouteSpec(BaseModel):
    """A direct route the document gives, from any stage below ``target`` straight to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    title: NonEmptyText
    target: Identifier = Field(description="The stage the route goes to.")
    taken_by: list[RoleRef] = Field(min_length=1, description="Who may take it.")
    quote: NonEmptyText = Field(description="The document's sentence that gives the route.")


class LadderSpec(BaseModel):
    """An ordered list of stages a disagreement climbs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    title: NonEmptyText
    stages: list[StageSpec] = Field(min_length=1)
    immediate_risk_stage: Identifier | None = Field(
        default=None, description="Stage an immediate risk of significant harm jumps to."
    )
    routes: list[RouteSpec] = Field(
        default_factory=list, description="Direct routes the document gives (refer_directly)."
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
        for route in self.routes:
            if route.target not in ids:
                raise PydanticCustomError(
                    PACK_REFERENCE_ERROR,
                    "route '{route}': target '{target}' is not a stage of this ladder",
                    {"route": route.id, "target": route.target},
                )
        if self.immediate_risk_stage is not None and self.immediate_risk_stage not in ids:
            raise PydanticCustomError(
                PACK_REFERENCE_ERROR,
                "immediate_risk_stage '{stage}' is not a stage of this ladder",
                {"stage": self.immediate_risk_stage},
            )
        return self

    def stage(self, stage_id: str) -> StageSpec:
        """The stage of this ladder with ``stage_id``."""
        return self.stages[self.index_of(stage_id)]

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
    timescale_note: str | None = Field(
        default=None, description="The document's sentence the figure comes from."
    )
    on_deadline: Literal["notify_and_wait", "escalate"] = Field(
        default="notify_and_wait",
        description=(
            "notify_and_wait: a missed response is recorded, the raising chair is told what they "
            "can do, and the alert stays; escalate: it goes up by itself (a partnership's choice "
            "in its local settings)."
        ),
    )
    chair_only: bool = Field(
        default=False,
        description="Entered only by the raising chair's decision, never by a deadline.",
    )


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
    confirmation_working_days: StrictInt | None = Field(
        default=None,
        ge=0,
        le=60,
        description=(
            "Working days to confirm a resolution in writing: the document's (quote it in a "
            "comment) or the partnership's local setting; absent, the confirmation has no "
            "deadline (none is invented)."
        ),
    )
    confirmation_source: Literal["document", "local"] = "document"
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

    def figure(self, stage: StageSpec) -> Figure | None:
        """The stage's timescale with its source, or None where nobody has set one."""
        for unit, value in (
            ("working_days", stage.timescale_working_days),
            ("calendar_days", stage.timescale_calendar_days),
            ("weeks", stage.timescale_weeks),
        ):
            if value is not None:
                return Figure(
                    value=value,
                    unit=unit,  # type: ignore[arg-type]
                    source=stage.timescale_source,
                    quote=stage.timescale_note,
                    set_by=stage.timescale_set_by,
                    set_on=stage.timescale_set_on,
                )
        return None

    def timescale(self, stage: StageSpec) -> int:
        """The stage's figure in working days (only for a working-day figure, checked)."""
        figure = self.figure(stage)
        if figure is None or figure.unit != "working_days":
            raise UnsetTimescale(stage.id)
        return figure.value

    def unset_stages(self, ladder: LadderSpec) -> list[StageSpec]:
        """The stages of ``ladder`` (and of the ladders it may switch to) with no figure."""
        seen: list[str] = []
        todo, unset = [ladder], []
        while todo:
            current = todo.pop()
            if current.id in seen:
                continue
            seen.append(current.id)
            for stage in current.stages:
                if self.figure(stage) is None and not stage.per_case:
                    unset.append(stage)
                if stage.on_majority_dissent is not None:
                    todo.append(self.ladder(stage.on_majority_dissent))
        return unset

    def confirmation_days(self, stage: StageSpec) -> int | None:
        """Working days allowed to confirm a resolution in writing at this stage (None: no
        figure from the document or the partnership, so no deadline)."""
        if stage.confirmation_working_days is None:
            return self.confirmation_working_days
        return stage.confirmation_working_days
