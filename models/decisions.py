"""Decision payloads: what people tell a running disagreement.

The same models serve the fire-and-forget signals and the acknowledged
updates. Extra fields are kept (a case system may attach its own ids) so that a
richer client never breaks an older worker, within bounds: at most 20, named by
short identifiers, each a text, number, true/false or null (``models.limits``).
Every text is bounded and free of control characters (``models.common``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    model_validator,
)

from models.common import Actor, ExtraValue, Identifier, OptionalText, Text
from models.limits import check_extra_fields


class Decision(BaseModel):
    """Fields every decision carries."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, ExtraValue] = Field(init=False)

    by: Actor = Field(description="Who is deciding (name and role, or a user id).")
    stage: Identifier | None = Field(
        default=None,
        description="The stage the decision is about; if given it must be the current stage.",
    )

    @model_validator(mode="after")
    def _bounded_extra_fields(self) -> Decision:
        check_extra_fields(self.model_extra)
        return self


class Resolved(Decision):
    """The disagreement is resolved with an agreed outcome."""

    outcome: Text
    outstanding: OptionalText = Field(
        default=None, description="How any outstanding issues will be pursued."
    )


class MilestoneMet(Decision):
    """A milestone of the current stage was met (e.g. the first contact was made)."""

    milestone: Identifier
    text: OptionalText = Field(default=None, description="What happened, briefly.")


class ReferDirectly(Decision):
    """Take a direct route the procedure gives, past the stages between.

    Redbridge 4.8: a discussion that "raises significant policy issues" goes to the LSCB
    Chair. Only a route the pack declares for the case's ladder, taken by a person who
    holds one of the route's roles, and only upwards.
    """

    route: Identifier
    reason: Text


class AgreeTimescale(Decision):
    """The stage's timescale agreed on the case, where the procedure makes it so.

    Sutton's formal process agrees "the outcome to be achieved and the timescale given the
    specific circumstances of each case": at a ``per_case`` stage the holders set it,
    longer or shorter than any local figure, recorded with who and why. Give
    ``working_days`` (counted from when the stage was entered) or ``due_at``.
    """

    reason: Text
    working_days: StrictInt | None = Field(default=None, ge=0, le=60)
    due_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> AgreeTimescale:
        if (self.working_days is None) == (self.due_at is None):
            raise ValueError("give exactly one of working_days or due_at")
        return self


class Unresolved(Decision):
    """The current stage failed to agree; the case goes up a level now."""

    reason: Text


class Confirmed(Decision):
    """The outcome was confirmed in writing to the raising side."""

    text: OptionalText = Field(default=None, description="The written confirmation or its summary.")


class ImmediateRisk(Decision):
    """A child is at immediate risk of significant harm."""

    reason: Text


class ShortenTimescale(Decision):
    """Bring the current deadline forward to protect the child.

    Give either ``working_days`` (a per-stage timescale counted from when the
    stage was entered, applying to later stages too) or ``due_at`` (an absolute
    deadline for the current stage). Lengthening is always refused.
    """

    reason: Text
    working_days: StrictInt | None = Field(default=None, ge=0, le=60)
    due_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ShortenTimescale:
        if (self.working_days is None) == (self.due_at is None):
            raise ValueError("give exactly one of working_days or due_at")
        return self


class ConferenceReconvened(Decision):
    """The adjourned child protection conference has met again.

    ``unanimous`` closes the disagreement; ``majority`` closes it unless the
    minority dissents, in which case the minority climbs the pack's dissent
    ladder; ``still_divided`` goes up the ladder.
    """

    outcome: Literal["unanimous", "majority", "still_divided"]
    text: Text = Field(description="The conference's decision as minuted.")
    minority_dissents: bool = False
    minority: OptionalText = Field(default=None, description="Which agency is in the minority.")


class DecisionReceipt(BaseModel):
    """The workflow's acknowledgement of an accepted update."""

    accepted: bool = True
    state: str
    stage: str | None
    message: str
    due_at: datetime | None = None
