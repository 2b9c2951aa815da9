"""The written record of one case, read from the database only.

Temporal's history is deleted after the namespace's retention period; this is
what goes on the child's file. ``load_case`` gathers every disagreement about a
case reference with its stages (entered, deadline, left, how), decisions,
written confirmations, learning items and the emails sent, into plain
dataclasses that the Markdown and HTML exports render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from packs import PackError, UnknownProcedure, load_pack
from records.schema import (
    ConfirmationRow,
    DecisionRow,
    Disagreement,
    LearningItemRow,
    OutboxNotification,
    Step,
)

DEFAULT_ZONE = "Europe/London"
DeadlineVerdict = Literal["met", "missed", "open"]


@dataclass
class StageEntry:
    """One stage as the record shows it: when entered, due, left, and how."""

    stage_id: str
    title: str
    entered_at: datetime
    due_at: datetime | None
    original_due_at: datetime | None = None
    left_at: datetime | None = None
    outcome: str | None = None
    by: str | None = None
    text: str | None = None
    deadline_passed: bool = False

    @property
    def verdict(self) -> DeadlineVerdict:
        """met: left by a decision by the deadline; missed: the deadline passed first."""
        if self.deadline_passed or self.outcome == "timeout":
            return "missed"
        if self.left_at is not None and self.due_at is not None:
            return "met" if self.left_at <= self.due_at else "missed"
        return "open"


@dataclass
class CaseFile:
    """One disagreement's full record."""

    row: Disagreement
    procedure_title: str
    timezone: str
    stages: list[StageEntry] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    decisions: list[DecisionRow] = field(default_factory=list)
    confirmations: list[ConfirmationRow] = field(default_factory=list)
    confirmation_due: list[Step] = field(default_factory=list)
    learning: list[LearningItemRow] = field(default_factory=list)
    emails: list[OutboxNotification] = field(default_factory=list)

    @property
    def closed_at(self) -> datetime | None:
        """When the case closed, if it has."""
        return next((s.at for s in self.steps if s.kind == "closed"), None)

    @property
    def resolved(self) -> StageEntry | None:
        """The stage at which the disagreement was resolved, if it was."""
        return next((s for s in self.stages if s.outcome == "resolved"), None)


def _titles(procedure: str) -> tuple[str, str, dict[str, str]]:
    """The pack's title, zone and stage titles; plain ids if the pack is no longer shipped."""
    try:
        pack = load_pack(procedure)
    except (UnknownProcedure, PackError):
        return procedure, DEFAULT_ZONE, {}
    titles = {s.id: s.title for ladder in pack.ladders for s in ladder.stages}
    return pack.title, pack.calendar.timezone, titles


def build_stages(steps: list[Step], titles: dict[str, str]) -> list[StageEntry]:
    """Replay the recorded steps into the stages the case went through, in order."""
    stages: list[StageEntry] = []
    for step in steps:
        current = stages[-1] if stages else None
        if step.kind == "stage_entered" and step.stage_id:
            title = titles.get(step.stage_id) or (step.text or step.stage_id).rsplit(": ", 1)[0]
            stages.append(StageEntry(step.stage_id, title, step.at, step.due_at))
        elif current is None or step.stage_id != current.stage_id:
            continue
        elif step.kind == "stage_left":
            current.left_at, current.by, current.text = step.at, step.actor, step.text
            current.outcome = str((step.data or {}).get("outcome") or "") or None
        elif (
            step.kind == "deadline_changed"
            and step.due_at is not None
            and (step.data or {}).get("deadline", "stage") == "stage"
        ):
            current.original_due_at = current.original_due_at or current.due_at
            current.due_at = step.due_at
        elif step.kind in ("deadline_passed", "adjournment_breached"):
            current.deadline_passed = True
    return stages


async def _all(session: AsyncSession, model: Any, workflow_id: str, order: Any) -> list[Any]:
    result = await session.scalars(
        select(model).where(model.workflow_id == workflow_id).order_by(order)
    )
    return list(result)


async def load_case(
    sessionmaker: async_sessionmaker[AsyncSession], case_reference: str
) -> list[CaseFile]:
    """Every disagreement about ``case_reference``, oldest first (empty if none)."""
    files: list[CaseFile] = []
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(Disagreement)
            .where(Disagreement.case_reference == case_reference)
            .order_by(Disagreement.raised_at, Disagreement.workflow_id)
        )
        for row in list(rows):
            title, zone, titles = _titles(row.procedure)
            wid = row.workflow_id
            steps = await _all(session, Step, wid, Step.key)
            files.append(
                CaseFile(
                    row=row,
                    procedure_title=title,
                    timezone=zone,
                    stages=build_stages(steps, titles),
                    steps=steps,
                    decisions=await _all(session, DecisionRow, wid, DecisionRow.key),
                    confirmations=await _all(session, ConfirmationRow, wid, ConfirmationRow.key),
                    confirmation_due=[s for s in steps if s.kind == "confirmation_due"],
                    learning=await _all(session, LearningItemRow, wid, LearningItemRow.key),
                    emails=await _all(session, OutboxNotification, wid, OutboxNotification.key),
                )
            )
    return files
