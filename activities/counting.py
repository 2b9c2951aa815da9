"""What the record-writing activities count: the facts in the rows they newly inserted.

A row is counted only when this attempt inserted it (a retried or replayed write
finds its key and inserts nothing), and only after its transaction committed: the
activity collects ``Tally`` facts inside the transaction and calls ``Tally.count``
after it, so an attempt whose commit failed counts nothing and its retry counts once.

Step rows carry no procedure (the case's own row does); it is read once per batch,
by primary key, and only when a row to count was inserted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.alerts import AlertStepRecord
from models.records import StepRecord
from records.derive import decision_kind
from telemetry.metrics import (
    CASES_OPENED,
    DEADLINES_MISSED,
    DECISIONS,
    REFUSED_INPUTS,
    STAGES_ENTERED,
)

DISAGREEMENT = "Disagreement"
PRACTICE_ALERT = "PracticeAlert"

ALERT_DECISIONS = frozenset({"response", "not_satisfied", "finalised"})
"""An alert's steps that are somebody's decision (the kind is the step's own)."""
ALERT_MISSED = frozenset({"deadline_missed", "overdue"})
"""An alert's missed deadline: it climbs (``deadline_missed``) or waits at the top (``overdue``)."""


def _step_counts(step: StepRecord | AlertStepRecord) -> list[tuple[Counter, dict[str, str]]]:
    """The counters one newly written step bumps, and their labels (procedure added later)."""
    stage = step.stage_id or "none"
    if step.kind == "stage_entered":
        return [(STAGES_ENTERED, {"stage": stage})]
    if step.kind == "rejected_input":
        return [(REFUSED_INPUTS, {})]
    if isinstance(step, AlertStepRecord):
        if step.kind in ALERT_MISSED:
            return [(DEADLINES_MISSED, {"stage": stage})]
        if step.kind in ALERT_DECISIONS:
            return [(DECISIONS, {"kind": step.kind})]
        return []
    if step.kind == "deadline_passed":
        return [(DEADLINES_MISSED, {"stage": stage})]
    if (kind := decision_kind(step)) is not None:
        return [(DECISIONS, {"kind": kind})]
    return []


@dataclass
class Tally:
    """The facts one transaction inserted, counted once it has committed.

    ``table`` is the case's own table (``Disagreement`` or ``PracticeAlertRow``),
    where the procedure of a step's case is read.
    """

    workflow_type: str
    table: Any
    procedure: str | None = None
    opened: bool = False
    _steps: list[tuple[str, Counter, dict[str, str]]] = field(default_factory=list)

    def case_opened(self, procedure: str) -> None:
        """The case's own row was newly inserted."""
        self.procedure, self.opened = procedure, True

    def step_written(self, step: StepRecord | AlertStepRecord) -> None:
        """``step`` was newly inserted."""
        for counter, labels in _step_counts(step):
            self._steps.append((step.workflow_id, counter, labels))

    async def read_procedures(self, session: AsyncSession) -> None:
        """Read the procedure of the cases whose steps will be counted, inside the transaction."""
        if self.procedure is not None or not self._steps:
            return
        workflow_id = self._steps[0][0]
        found = await session.scalar(
            select(self.table.procedure).where(self.table.workflow_id == workflow_id)
        )
        self.procedure = str(found) if found is not None else "unknown"

    def count(self) -> None:
        """Bump the counters: call only after the transaction committed."""
        common = {"workflow_type": self.workflow_type, "procedure": self.procedure or "unknown"}
        if self.opened:
            CASES_OPENED.labels(**common).inc()
        for _, counter, labels in self._steps:
            counter.labels(**common, **labels).inc()
