"""What the workflow asks the email activity to send.

The workflow states the facts; the activity renders the message. Subjects carry
the case reference only, never a child's name.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from models.common import Person, RoleRef

NotificationKind = Literal[
    "stage_entered",
    "reminder",
    "overdue",
    "resolved",
    "confirmation_due",
    "confirmation_late",
    "closed",
    "immediate_risk",
    "deadline_changed",
    "conference_adjourned",
    "adjournment_breached",
    "learning_item",
    "conference_reports_due",
    "delivery_failed",
    "case_stopped",
    "quarterly_report",
    "quarterly_report_not_sent",
]


class Notification(BaseModel):
    """One email to the people concerned by a step."""

    key: str = Field(description="Idempotency key: workflow id + step; also the Message-ID seed.")
    workflow_id: str
    case_reference: str
    kind: NotificationKind
    procedure_title: str
    partnership: str
    stage_title: str | None = None
    stage_id: str | None = Field(
        default=None,
        description=(
            "The stage whose decision (or written confirmation) this email asks for; with it, "
            "and a configured decision page, each decider (see decider_roles) gets their own "
            "signed link. None: no link."
        ),
    )
    decider_roles: list[str] = Field(
        default_factory=list,
        description=(
            "The roles of the people who decide the stage the link is for (the stage's "
            "holders). Every recipient, in 'to' or 'cc' (directory look-ups included), whose "
            "role is listed gets a personal link, and nobody else: an overdue notice sent to "
            "the Business Manager with the Chair copied gives the link to the Chair. Empty "
            "(a notification from before this field): the 'to' people get the links."
        ),
    )
    workflow_type: Literal["Disagreement", "PracticeAlert"] = Field(
        default="Disagreement",
        description="Which workflow sent it: a practice alert's link asks for a response.",
    )
    headline: str = Field(description="Short subject text after the case reference.")
    lines: list[str] = Field(default_factory=list, description="Body paragraphs, in order.")
    due_at: AwareDatetime | None = None
    timezone: str = "Europe/London"
    to: list[Person]
    cc: list[Person] = Field(default_factory=list)
    unfilled_to: list[RoleRef] = Field(
        default_factory=list,
        description=(
            "Roles to tell whom the start payload did not name; the email activity looks "
            "them up in the contact directory by partnership (and agency for a side's role)."
        ),
    )
    unfilled_cc: list[RoleRef] = Field(
        default_factory=list, description="As unfilled_to, for the copy list."
    )
    raising_agency: str | None = Field(
        default=None, description="Agency of the raising side (directory look-ups)."
    )
    receiving_agency: str | None = Field(
        default=None, description="Agency of the receiving side (directory look-ups)."
    )
    business_manager: Person | None = Field(
        default=None,
        description=(
            "Who is told when this email is permanently refused; default: the partnership's "
            "business manager in the notification or the contact directory."
        ),
    )


class NotificationResult(BaseModel):
    """What happened to one notification."""

    key: str
    status: Literal["sent", "already_sent", "no_recipients"]
    message_id: str | None = None
    recipients: list[str] = Field(default_factory=list)


class Undelivered(BaseModel):
    """An email Temporal gave up on without the activity saying so (its time ran out)."""

    notification: Notification
    reason: str = Field(description="What the workflow saw, e.g. the activity's timeout.")
