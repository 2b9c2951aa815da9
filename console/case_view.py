"""What a case's page shows: its record, its live status, its deadlines and its emails.

The record is the one ``escalation record`` exports (``records.casefile`` and
``records.export``'s sections and timeline), read from the database; the
deadlines with their sources and the milestones come from the workflow's own
``status`` query, as the CLI's ``status`` shows them. When the workflow cannot be
reached (its history deleted after the retention period, Temporal down), the page
still shows the record and says the live status is unavailable.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError

from console.today_data import minute
from models.status import DisagreementStatus
from records.casefile import CaseFile, load_case
from records.export import Table, details, sections
from records.schema import Contact, Disagreement
from records.svg import timeline
from starter.sdk import EscalationClient

log = logging.getLogger("escalation.console")

STATUS_SECONDS = 5.0
"""How long the page waits for the workflow's answer before showing the record alone."""
SOURCES = {
    "document": "the procedure document",
    "local": "the partnership's local setting",
    "case": "agreed on the case",
    "unset": "not set: the partnership has not set a figure",
}
UNITS = {"working_days": "working day(s)", "calendar_days": "calendar day(s)", "weeks": "week(s)"}


async def case_row(
    sessions: async_sessionmaker[AsyncSession], workflow_id: str
) -> Disagreement | None:
    """The disagreement recorded under ``workflow_id``, or None."""
    async with sessions() as session:
        return await session.scalar(
            select(Disagreement).where(Disagreement.workflow_id == workflow_id)
        )


async def case_file(sessions: async_sessionmaker[AsyncSession], row: Disagreement) -> CaseFile:
    """The case's full record (``records.casefile``), this disagreement's only."""
    files = await load_case(sessions, row.case_reference)
    return next(f for f in files if f.row.workflow_id == row.workflow_id)


async def live_status(cases: EscalationClient, workflow_id: str) -> DisagreementStatus | None:
    """The workflow's ``status`` answer, or None when it cannot be reached in time."""
    try:
        return await asyncio.wait_for(cases.status(workflow_id), STATUS_SECONDS)
    except (RPCError, WorkflowQueryFailedError, TimeoutError) as exc:
        log.info("status of %s unavailable: %s", workflow_id, exc)
        return None


@dataclass(frozen=True)
class Deadline:
    """One deadline of the case, with where its figure comes from."""

    what: str
    due: str
    source: str
    state: str


def deadlines(status: DisagreementStatus, zone: str, now: datetime) -> list[Deadline]:
    """Every deadline the workflow holds, stage by stage, each with its source in words."""
    rows: list[Deadline] = []
    if status.raise_due_at is not None:
        rows.append(
            Deadline(
                "Raising the disagreement",
                minute(status.raise_due_at, zone),
                "the procedure document",
                "raised late" if status.raised_late else "raised in time",
            )
        )
    for s in status.stages:
        if s.due_at is None:
            figure = "to be agreed on the case"
        else:
            figure = f"{s.timescale_working_days} {UNITS[s.timescale_unit]}"
        source = f"{figure}, {SOURCES[s.timescale_source]}"
        if s.timescale_basis:
            source += f": {s.timescale_basis}"
        if s.capped:
            source += " (shortened to protect the child)"
        if s.left_at is not None:
            state = f"left {minute(s.left_at, zone)}" + (f" ({s.outcome})" if s.outcome else "")
        elif s.due_at is not None and s.due_at <= now:
            state = "deadline passed"
        else:
            state = "open"
        rows.append(Deadline(s.title, minute(s.due_at, zone), source, state))
    if status.confirmation_due_at is not None:
        rows.append(
            Deadline(
                "Written confirmation of the outcome",
                minute(status.confirmation_due_at, zone),
                "the procedure document",
                "confirmed" if status.confirmed_at else "awaited",
            )
        )
    for what, at in (
        ("Conference reports", status.conference_reports_due_at),
        ("Adjourned conference to reconvene", status.reconvene_due_at),
    ):
        if at is not None:
            rows.append(Deadline(what, minute(at, zone), "the procedure document", ""))
    return rows


def milestones(status: DisagreementStatus, zone: str) -> Table:
    """Each stage's milestones: due, basis, met or missed."""
    rows = [
        [
            s.title,
            m.title,
            minute(m.due_at, zone),
            m.basis,
            f"met {minute(m.met_at, zone)} by {m.met_by}"
            if m.met_at
            else ("missed: told " + minute(m.overdue_notified_at, zone))
            if m.overdue_notified_at
            else "not yet met",
        ]
        for s in status.stages
        for m in s.milestones
    ]
    return ["Stage", "Milestone", "Due", "Source", "Met"], rows


async def told(sessions: async_sessionmaker[AsyncSession], f: CaseFile) -> Table:
    """Who was told what: each email's people (their role, where the directory names
    them), subject, when and what became of it."""
    async with sessions() as session:
        contacts = (
            await session.execute(
                select(Contact.email, Contact.role).where(Contact.partnership == f.row.partnership)
            )
        ).all()
    roles = {email.lower(): f.names.who(role) for email, role in contacts}

    def person(email: str) -> str:
        role = roles.get(email.lower())
        return f"{role}: {email}" if role else email

    rows = [
        [
            "; ".join([*map(person, e.recipients), *(f"cc {person(c)}" for c in e.cc)])
            or "(nobody named)",
            e.subject,
            minute(e.sent_at or e.created_at, f.timezone),
            e.status + (f": {e.last_error}" if e.last_error else ""),
        ]
        for e in f.emails
    ]
    return ["To", "Subject", "When", "Status"], rows


def record_parts(
    f: CaseFile, now: datetime
) -> tuple[list[tuple[str, str]], Markup, list[tuple[str, Table]]]:
    """The record's facts, its timeline picture and its tables, as ``escalation record``
    prints them (its "Who was told" table is replaced by the page's own)."""
    picture = Markup(timeline(f.stages, f.closed_at or now, f.timezone))
    kept = [(title, table) for title, table in sections(f, now) if title != "Who was told"]
    return details(f), picture, kept
