"""One practice alert as the console shows it: its record, its stages, its status, its chair.

The record (``practice_alerts`` and ``alert_steps``) says who raised the alert (their
email is the one identity the workflow and the console share) and which stages it
went through; the workflow's ``status`` query says where it stands now. Either can be
missing: the record is written just after the workflow starts, and Temporal deletes a
finished alert's history after its retention period; the page shows what there is.

Only the chair who raised an alert may finalise it or send it up a stage (Rutland:
"only the chair finalises"); ``chair_refusal`` says why anybody else may not, in the
words the refusal page shows and the action log keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from console.access import Identity
from console.alert_tracker import AlertProcedure
from models.alerts import PracticeAlertStatus
from records.alert_view import AlertPacks, short_title, stage_visits
from records.schema import AlertStep, PracticeAlertRow
from starter.alerts_sdk import PracticeAlertClient
from starter.status_view import ALERT_STATES, local

Action = Literal["finalise", "not_satisfied"]
"""What the chair asks of the workflow."""
VERBS: dict[Action | Literal["decide"], str] = {
    "finalise": "finalise it",
    "not_satisfied": "send it up a stage",
    "decide": "finalise it or send it up a stage",
}


@dataclass
class Alert:
    """What the console knows of one alert: its record, its status (either may be None)."""

    workflow_id: str
    procedure: str
    partnership: str
    row: PracticeAlertRow | None
    steps: list[AlertStep]
    status: PracticeAlertStatus | None
    zone: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)
    note: list[dict[str, str]] = field(default_factory=list)
    workflow_note: str = ""
    """Why the workflow's status is missing ('' when it answered)."""

    @property
    def raiser_email(self) -> str | None:
        """The raising chair's email, from the record (None until the record is written)."""
        return self.row.raised_by_email if self.row is not None else None


GONE = "no longer held by Temporal (finished and past its retention): this is its record"
UNREACHABLE = "Temporal cannot be reached just now: this is the alert's record; reload later"


async def _status(client: PracticeAlertClient, wid: str) -> tuple[PracticeAlertStatus | None, str]:
    """The workflow's status, or None and why the page shows the record instead."""
    try:
        return await client.status(wid), ""
    except RPCError as exc:
        return None, GONE if exc.status == RPCStatusCode.NOT_FOUND else UNREACHABLE
    except WorkflowQueryFailedError:
        return None, UNREACHABLE


async def load_alert(
    sessions: async_sessionmaker[AsyncSession],
    client: PracticeAlertClient,
    procedures: Mapping[str, AlertProcedure],
    wid: str,
    now: datetime,
) -> Alert | None:
    """The alert ``wid``; None when neither the record nor Temporal has it, or when it is
    not of one of ``procedures``.

    ``procedures`` are the person's partnerships' procedures, so an alert of another
    partnership is as unknown as one that does not exist (its id says nothing more).

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database cannot be read.
    """
    async with sessions() as session:
        row = await session.scalar(
            select(PracticeAlertRow).where(PracticeAlertRow.workflow_id == wid)
        )
        steps = list(
            await session.scalars(
                select(AlertStep).where(AlertStep.workflow_id == wid).order_by(AlertStep.id)
            )
        )
    if row is not None and row.procedure not in procedures:
        return None  # another partnership's: Temporal is not even asked
    status, why = await _status(client, wid)
    if row is not None:
        procedure = row.procedure
    elif status is not None and status.procedure in procedures:
        procedure = status.procedure
    else:
        return None
    packs = AlertPacks()
    zone = packs.zone(procedure).key
    alert = Alert(
        wid,
        procedure,
        procedures[procedure].partnership,
        row,
        steps,
        status,
        zone,
        workflow_note=why,
    )
    alert.facts = _facts(alert, packs)
    alert.history = _history(alert, packs, now)
    alert.note = _note(alert)
    return alert


def _facts(alert: Alert, packs: AlertPacks) -> list[tuple[str, str]]:
    """The alert's facts, label and value: the status's where the workflow answers."""
    s, r, zone = alert.status, alert.row, alert.zone
    facts: list[tuple[str, str]] = []
    if s is not None:
        facts += [
            ("Case reference", s.case_reference),
            ("Procedure", f"{s.title} ({s.procedure})"),
            ("Partnership", alert.partnership or "-"),
            ("Reason", f"{s.reason_title} ({s.reason_code})"),
            ("Raised", f"{local(s.raised_at, zone)} by {s.raised_by}"),
            ("Serious or urgent", "yes" if s.serious_or_urgent else "no"),
            ("State", ALERT_STATES.get(s.state, s.state)),
        ]
        stage = s.stages[-1] if s.stages else None
        if stage is not None and s.state != "finalised":
            facts.append(("Current stage", stage.title))
        if s.state == "open" and stage is not None:
            facts.append(("Deadline", local(s.due_at or stage.due_at, zone)))
            facts.append(("Who must respond", ", ".join(stage.holders) or "-"))
        if s.state == "awaiting_finalisation":
            facts.append(("Who must act", f"the raising chair, {s.raised_by}"))
        if s.finalised_at is not None:
            facts.append(("Finalised", f"{local(s.finalised_at, zone)} by {s.finalised_by}"))
    elif r is not None:
        facts += [
            ("Case reference", r.case_reference),
            ("Procedure", r.procedure),
            ("Partnership", alert.partnership or "-"),
            ("Reason", f"{packs.reason_title(r.procedure, r.reason_code, r.reason_title)}"),
            ("Raised", f"{local(r.raised_at, zone)} by {r.raised_by}"),
            ("Serious or urgent", "yes" if r.serious_or_urgent else "no"),
            ("State", ALERT_STATES.get(r.state, r.state)),
        ]
        if r.finalised_at is not None:
            facts.append(("Finalised", f"{local(r.finalised_at, zone)} by {r.finalised_by}"))
        facts.append(("Workflow", alert.workflow_note))
    if r is not None:
        facts.insert(5, ("Raising chair's email", r.raised_by_email))
    return facts


def _history(alert: Alert, packs: AlertPacks, now: datetime) -> list[dict[str, str]]:
    """Each stage the alert entered (from its record): deadline, response and verdict."""
    zone = ZoneInfo(alert.zone)
    out = []
    for visit in stage_visits(alert.steps):
        title = short_title(packs.stage_title(alert.procedure, visit.stage_id))
        out.append(
            {
                "stage": title,
                "entered": local(visit.entered_at, zone.key),
                "due": local(visit.due_at, zone.key) if visit.due_at else "no deadline",
                "responded": local(visit.responded_at, zone.key),
                "verdict": visit.verdict(now),
            }
        )
    return out


def _note(alert: Alert) -> list[dict[str, str]]:
    """The alert's single case note (the workflow's), entry by entry, in local time."""
    if alert.status is None:
        return []
    return [
        {
            "kind": e.kind.replace("_", " "),
            "by": e.by,
            "at": local(e.at, alert.zone),
            "timing": "" if e.in_time is None else ("in time" if e.in_time else "late"),
            "text": e.text,
        }
        for e in alert.status.case_note
    ]


def chair_refusal(who: Identity, alert: Alert, action: Action | Literal["decide"]) -> str | None:
    """Why ``who`` may not take the chair's ``action`` on ``alert``; None if they may."""
    verb = VERBS[action]
    email = alert.raiser_email
    if email is None:
        return (
            "this alert's record is not written yet, so the console cannot tell who raised it; "
            "reload the page in a moment"
        )
    if who.email.lower() != email.lower():
        return f"only the chair who raised this alert, {email}, may {verb}"
    if not who.may(alert.partnership, "chair"):
        return (
            f"you raised this alert, but the console gives you no chair role in "
            f"{alert.partnership}, so you may not {verb} here"
        )
    return None
