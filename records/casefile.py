"""The written record of one case, read from the database only.

Temporal's history is deleted after the namespace's retention period; this is
what goes on the child's file. ``load_case`` gathers every disagreement about a
case reference with its stages (entered, deadline, left, how), decisions,
written confirmations, learning items and the emails sent, into plain
dataclasses that the Markdown and HTML exports render.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from records.derive import StageVerdict, stage_verdict
from records.names import Names
from records.schema import (
    ConfirmationRow,
    DecisionRow,
    Disagreement,
    LearningItemRow,
    OutboxNotification,
    Step,
)

ENTERED_TITLE = re.compile(r"^((?:Stage \d+: )?[^:]+): ")
"""The stage title a ``stage_entered`` step's text begins with ('Stage 3: senior managers: ...')."""


class StepFacts(Protocol):
    """What replaying a timeline reads of a step: a ``Step`` row, or the report's narrower read.

    The quarterly report streams only these columns of the steps it needs (no ORM
    object per row), so ``build_stages`` asks for no more than this.
    """

    @property
    def key(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def stage_id(self) -> str | None: ...
    @property
    def actor(self) -> str | None: ...
    @property
    def text(self) -> str | None: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def data(self) -> dict[str, Any]: ...


@dataclass
class StageEntry:
    """One stage as the record shows it: when entered, due, left, and how."""

    stage_id: str
    title: str
    entered_at: datetime
    due_at: datetime | None
    ladder: str = ""
    original_due_at: datetime | None = None
    left_at: datetime | None = None
    outcome: str | None = None
    by: str | None = None
    text: str | None = None
    deadline_passed: bool = False

    def verdict(self, now: datetime | None = None) -> StageVerdict:
        """How the stage stood against its deadline (``records.derive.stage_verdict``)."""
        return stage_verdict(
            self.outcome,
            self.due_at,
            self.left_at,
            deadline_passed=self.deadline_passed,
            now=now,
        )


@dataclass
class CaseFile:
    """One disagreement's full record."""

    row: Disagreement
    names: Names
    stages: list[StageEntry] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    decisions: list[DecisionRow] = field(default_factory=list)
    confirmations: list[ConfirmationRow] = field(default_factory=list)
    confirmation_due: list[Step] = field(default_factory=list)
    learning: list[LearningItemRow] = field(default_factory=list)
    emails: list[OutboxNotification] = field(default_factory=list)

    @property
    def procedure_title(self) -> str:
        """The procedure's title in its pack (its id if the pack is no longer shipped)."""
        return self.names.procedure_title

    @property
    def timezone(self) -> str:
        """The procedure calendar's time zone: every time in the record is shown in it."""
        return self.names.timezone

    @property
    def closed_at(self) -> datetime | None:
        """When the case closed, if it has."""
        return next((s.at for s in self.steps if s.kind == "closed"), None)

    @property
    def resolved(self) -> StageEntry | None:
        """The stage at which the disagreement was resolved, if it was."""
        return next((s for s in self.stages if s.outcome == "resolved"), None)


def _entered_title(step: StepFacts, ladder: str, names: Names) -> str:
    """The title of the stage a ``stage_entered`` step names, in the ladder it names.

    Stage ids recur across a pack's ladders with different titles, so the ladder
    decides; a pack no longer shipped leaves the title the step's text began with.
    """
    assert step.stage_id is not None
    known = names.ladder_stages.get((ladder, step.stage_id)) or names.stages.get(step.stage_id)
    if known:
        return known
    match = ENTERED_TITLE.match(step.text or "")
    return match.group(1) if match else names.stage(step.stage_id)


def build_stages(steps: Sequence[StepFacts], names: Names) -> list[StageEntry]:
    """Replay the recorded steps into the stages the case went through, in order."""
    stages: list[StageEntry] = []
    for step in steps:
        current = stages[-1] if stages else None
        if step.kind == "stage_entered" and step.stage_id:
            ladder = str((step.data or {}).get("ladder") or "")
            title = _entered_title(step, ladder, names)
            stages.append(StageEntry(step.stage_id, title, step.at, step.due_at, ladder=ladder))
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
            names = Names.of(row.procedure)
            wid = row.workflow_id
            steps = await _all(session, Step, wid, Step.key)
            stages = build_stages(steps, names)
            # The case's own stages name its decisions and steps: ids recur across ladders.
            names.stages.update({stage.stage_id: stage.title for stage in stages})
            files.append(
                CaseFile(
                    row=row,
                    names=names,
                    stages=stages,
                    steps=steps,
                    decisions=await _all(session, DecisionRow, wid, DecisionRow.key),
                    confirmations=await _all(session, ConfirmationRow, wid, ConfirmationRow.key),
                    confirmation_due=[s for s in steps if s.kind == "confirmation_due"],
                    learning=await _all(session, LearningItemRow, wid, LearningItemRow.key),
                    emails=await _all(session, OutboxNotification, wid, OutboxNotification.key),
                )
            )
    return files
