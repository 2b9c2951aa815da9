"""Payloads of the QuarterlyReport workflow: the scheduled quarterly report, by email.

The ``quarterly-report-<procedure|all>`` Schedule (``escalation report schedule``)
starts the workflow every morning with the same ``QuarterlyReportRequest``. The
``plan_quarterly_report`` activity works out which quarter has just ended, the day
its report is due (N working days after, on the procedure's calendar) and whether
it already went; only on that day (or a few working days later, when that
morning's run could not send it), and only once per quarter and list of
recipients, does ``send_quarterly_report`` build and send it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from models.common import Email, Identifier

QUARTER_LABEL = re.compile(r"^\d{4}Q[1-4]$")
DAY_MIN, DAY_MAX = 1, 20
"""The working days after a quarter's end its report may be due on (``--day``)."""


class QuarterlyReportRequest(BaseModel):
    """What the schedule asks for on every run: who gets which report, how long after."""

    model_config = ConfigDict(extra="forbid")

    to: list[Email] = Field(min_length=1, max_length=50, description="Who receives the report.")
    procedure: Identifier | None = Field(
        default=None, description="Only this procedure (pack id); None: every procedure."
    )
    working_days: int = Field(
        default=5,
        ge=DAY_MIN,
        le=DAY_MAX,
        description="The report is due this many working days after the quarter's last day.",
    )
    as_of: date | None = Field(
        default=None,
        description=(
            "Run as if on this day (tests, a run put right by hand). None: the day of the "
            "schedule's scheduled time (TemporalScheduledStartTime), or of the workflow's "
            "start when it was not started by a schedule."
        ),
    )
    quarter: str | None = Field(
        default=None,
        description=(
            "Report this quarter (e.g. 2026Q4) instead of the one that ended last; it is "
            "still sent only on or after its due day, and only once."
        ),
    )

    @field_validator("quarter")
    @classmethod
    def _quarter(cls, value: str | None) -> str | None:
        if value is not None and not QUARTER_LABEL.match(value):
            raise ValueError(f"{value!r} is not a quarter; write the year and Q1-Q4, e.g. 2026Q4")
        return value


class QuarterlyReportPlanRequest(BaseModel):
    """The plan activity's input: the request and the moment the run stands for."""

    request: QuarterlyReportRequest
    at: AwareDatetime = Field(description="The scheduled time of this run (or its start).")


EarlierOutcome = Literal["sent", "failed", "no_recipients", "pending"]


class QuarterlyReportPlan(BaseModel):
    """Which quarter, when it is due, whether it is due today, and who else is concerned."""

    quarter: str = Field(description="e.g. 2026Q4")
    today: date = Field(description="The run's day on the procedure's calendar.")
    last_day: date = Field(description="The quarter's last day.")
    due_on: date
    late_until: date = Field(description="The last day a missed report is still sent on.")
    due: bool = Field(
        description="Today is the due day or later, up to ``late_until`` (no limit for a "
        "named quarter)."
    )
    key: str = Field(description="Outbox key: procedure, quarter and recipients.")
    case_reference: str = Field(description="What the subject shows in brackets.")
    scope: str = Field(description="'all procedures' or 'procedure <id>', as the report says.")
    partnerships: list[str] = Field(
        default_factory=list, description="Whose Business Manager is told if it cannot be sent."
    )
    procedure_title: str
    timezone: str = "Europe/London"
    earlier: EarlierOutcome | None = Field(
        default=None, description="The outbox row for ``key``, if one was written already."
    )


class QuarterlyReportSend(BaseModel):
    """The send activity's input."""

    request: QuarterlyReportRequest
    plan: QuarterlyReportPlan
    workflow_id: str


class QuarterlyReportSent(BaseModel):
    """What the send activity did."""

    status: Literal["sent", "already_sent"]
    message_id: str | None = None
    recipients: list[str] = Field(default_factory=list)
    attachment: str | None = Field(default=None, description="The attached file's name.")


ReportStatus = Literal["not_due", "too_late", "sent", "already_sent", "failed_earlier"]
"""``not_due``: before the due day; ``too_late``: never sent and past ``late_until``."""


class QuarterlyReportResult(BaseModel):
    """The workflow's answer (a report that could not be sent fails the run instead)."""

    status: ReportStatus
    quarter: str
    today: date
    due_on: date
    recipients: list[str] = Field(default_factory=list)
    attachment: str | None = None
    message_id: str | None = None
