"""The request a case system sends to open a disagreement."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from models.carry import CaseCarry
from models.common import CaseReference, Identifier, Name, Person, Text
from models.conference import ConferenceInfo

__all__ = ["ConferenceInfo", "DisagreementSuffix", "StartDisagreement"]

DisagreementSuffix = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]


class StartDisagreement(BaseModel):
    """Open one disagreement under one procedure.

    The case system names the procedure (a shipped pack id), the pseudonymous
    case reference, the two sides and the people who hold the roles the
    procedure needs. Unknown fields are refused so that a typo does not silently
    drop a safeguarding fact such as ``immediate_risk``.
    """

    model_config = ConfigDict(extra="forbid")

    procedure: Identifier = Field(examples=["redbridge-2017"])
    ladder: Identifier | None = Field(default=None, description="Default: the pack's main ladder.")
    case_reference: CaseReference
    disagreement_id: DisagreementSuffix | None = Field(
        default=None,
        description=(
            "Unique suffix for this disagreement about the case; the client generates one when"
            " absent. Starting twice with the same suffix is refused."
        ),
    )
    raised_at: datetime = Field(
        description="When the concern was raised; naive means local time of the procedure."
    )
    disagreement_arose_at: datetime | None = Field(
        default=None,
        description="When the disagreement arose or the decision was received (checks lateness).",
    )
    raising_agency: Name
    receiving_agency: Name
    nature: Text = Field(description="The issue and the nature of the disagreement.")
    risk_to_child: Text
    aim: Text = Field(description="What the raising professional aims to achieve.")
    people: list[Person] = Field(min_length=1, max_length=50)
    # Strict: a case system's "5", true or "yes" is a bug to report, not a value to guess.
    immediate_risk: StrictBool = False
    child_timescale_working_days: StrictInt | None = Field(
        default=None,
        ge=0,
        le=60,
        description="A shorter timescale that protects the child; each stage uses the lesser.",
    )

    conference: ConferenceInfo | None = Field(
        default=None,
        description="The conference concerned, if any: its reports' deadline is tracked.",
    )
    continued: SkipJsonSchema[CaseCarry | None] = Field(
        default=None,
        description=(
            "Set only by the workflow itself when it continues as new (its whole state);"
            " a caller that sends it is refused."
        ),
    )

    @model_validator(mode="after")
    def _one_person_per_role(self) -> StartDisagreement:
        roles = [p.role for p in self.people]
        dupes = sorted({r for r in roles if roles.count(r) > 1})
        if dupes:
            raise ValueError(f"people: each role once; repeated: {', '.join(dupes)}")
        return self

    def person(self, role: str) -> Person | None:
        """The person holding a role, if the case system named one."""
        for p in self.people:
            if p.role == role:
                return p
        return None
