"""Calendar settings and the deadline request/answer exchanged with the calendar activity.

Deadlines are computed in an activity (never in workflow code) so that the
answer, which depends on a holiday list that may change between deploys, is
recorded once in the workflow history.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from models.common import Actor, ExtraValue, Text
from models.limits import check_extra_fields


class CalendarSpec(BaseModel):
    """Which days are working days and when the working day ends, for one partnership."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calendar: Literal["england-and-wales"] = "england-and-wales"
    timezone: str = "Europe/London"
    opens_at: time = time(9, 0)
    close_of_business: time = time(17, 0)
    extra_closure_days: list[date] = Field(
        default_factory=list, description="Days the partnership is closed besides bank holidays."
    )


DeadlineUnit = Literal["working_days", "calendar_days", "weeks"]
"""What a deadline's count counts (DOMAIN.md "Time rules")."""

MAX_CALENDAR_DAYS = 366
"""The longest calendar period a deadline may run, in calendar days."""

MAX_WEEKS = 52
"""The longest calendar period a deadline may run, in weeks."""


class DeadlineRequest(BaseModel):
    """Ask for the deadline ``working_days`` units after (or before) ``start``.

    ``unit`` says what the count counts; the field keeps its historical name
    ``working_days`` so that requests recorded before units existed still read the same:

    * ``"working_days"`` (the default): close of business on the N-th working day after
      ``start``'s effective day.
    * ``"calendar_days"`` ("14 days") or ``"weeks"`` ("2 weeks", 7 calendar days each):
      a calendar period counted from the effective day, ending at close of business on
      its last calendar day, or on the working day before it if that day is not a
      working day (never later than the document's figure, never before the
      effective day). At most 366 calendar days or 52 weeks.

    ``start`` may be naive, in which case it is local time in the calendar's zone.
    ``not_after`` caps the answer (a shorter timescale that protects the child).
    ``direction="before"`` asks for a deadline ahead of an event, such as reports due
    N working days before a child protection conference: close of business on the
    N-th working day before ``start``'s effective day. Its only reminder is the
    morning of that day (``last_day`` at opening time). It counts working days only;
    a calendar ``unit`` with ``direction="before"`` is refused.
    """

    model_config = ConfigDict(extra="forbid")

    calendar: CalendarSpec = Field(default_factory=CalendarSpec)
    start: datetime
    working_days: int = Field(
        ge=0,
        le=366,
        description="The count: working days, calendar days or weeks, as ``unit`` says.",
    )
    unit: DeadlineUnit = "working_days"
    not_after: AwareDatetime | None = None
    reminders: bool = False
    direction: Literal["after", "before"] = "after"

    @model_validator(mode="after")
    def _count_fits_its_unit(self) -> DeadlineRequest:
        # Calendar days share the field's own limit (MAX_CALENDAR_DAYS == 366).
        if self.unit == "weeks" and self.working_days > MAX_WEEKS:
            raise ValueError(f"working_days: at most {MAX_WEEKS} weeks, got {self.working_days}")
        if self.direction == "before" and self.unit != "working_days":
            raise ValueError(
                f"unit: direction 'before' counts working days only, got unit {self.unit!r}"
            )
        return self


class Reminder(BaseModel):
    """A moment at which whoever must act is reminded of a pending deadline."""

    kind: Literal["halfway", "last_day"]
    at: AwareDatetime


class DeadlinePlan(BaseModel):
    """The computed deadline, in local time with its UTC offset, and its reminders.

    ``working_days`` is the count asked for and ``unit`` what it counted (plans recorded
    before units existed read as working days).
    """

    start: AwareDatetime
    effective_day: date
    working_days: int
    unit: DeadlineUnit = "working_days"
    due_at: AwareDatetime
    capped: bool = False
    reminders: list[Reminder] = Field(default_factory=list)


PendingDeadline = Literal[
    "stage", "first_contact", "milestone", "confirmation", "conference_reports", "alert_stage"
]
"""Which of a case's deadlines a calendar change moved."""


class CalendarChange(BaseModel):
    """The working-day calendar changed under running cases: re-project their deadlines.

    Sent as the ``change_calendar`` Update to every running case it may affect (by
    ``escalation calendar add-closure`` or ``escalation calendar refresh``). The case
    adds ``closure_days`` to its own calendar, recomputes every deadline that has not
    yet passed in the calendar activity (which also reads the current bank holiday
    list, so a refreshed list reaches running cases through an empty
    ``closure_days``), records old and new deadline with ``reason``, and tells the
    people concerned. Deadlines already passed are never reopened.
    """

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, ExtraValue] = Field(init=False)

    by: Actor = Field(description="Who changed the calendar (name or user id).")
    reason: Text = Field(description="Why, as it will appear in the record.")
    closure_days: list[date] = Field(
        default_factory=list,
        max_length=366,
        description="Days the partnership is now closed, besides bank holidays.",
    )

    @model_validator(mode="after")
    def _bounded_extra_fields(self) -> CalendarChange:
        check_extra_fields(self.model_extra)
        return self


class RescheduledDeadline(BaseModel):
    """One pending deadline a calendar change moved."""

    deadline: PendingDeadline
    stage_id: str | None = None
    old_due_at: AwareDatetime
    new_due_at: AwareDatetime


class CalendarReceipt(BaseModel):
    """A case's answer to ``change_calendar``: what moved (empty when nothing did)."""

    workflow_id: str
    moved: list[RescheduledDeadline] = Field(default_factory=list)
    message: str
