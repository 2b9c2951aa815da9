"""Which typed rows a timeline step also writes: decisions, confirmations, learning items.

Pure: maps one ``StepRecord`` to the rows ``record_step`` inserts beside the
step, in the same transaction and under the step's key. The workflow records
steps only; the typed tables follow from the step's kind, so no workflow change
(and no replay risk) is needed to keep them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.records import StepRecord
from records.schema import Base, ConfirmationRow, DecisionRow, LearningItemRow

DECISION_STEP_KINDS = {
    "conference_reconvened": "conference_reconvened",
    "immediate_risk": "immediate_risk",
    "deadline_changed": "shorten_timescale",
}
"""Steps that are somebody's decision under another name, and the decision kind they get."""


def decision_kind(step: StepRecord) -> str | None:
    """The decision a step records, or None when the step is not a person's decision.

    A ``decision`` step names its kind in ``data["decision"]`` (resolved, unresolved,
    conference_reconvened). Steps a workflow filed under ``decision`` for lack of a
    kind of their own (an interim position, a reports deadline, a learning item)
    carry ``data["step"]`` and no ``data["decision"]``: they are not decisions.
    """
    if step.kind == "decision":
        if "decision" in step.data:
            return step.data["decision"]
        return None if "step" in step.data else "decision"
    if step.data.get("cause") == "calendar":
        return None  # the calendar moved a deadline: nobody's decision about the case
    if step.kind in DECISION_STEP_KINDS and step.actor:
        return DECISION_STEP_KINDS[step.kind]
    return None


def derived_rows(
    step: StepRecord, confirmation_due: datetime | None = None
) -> list[tuple[type[Base], dict[str, Any]]]:
    """The typed rows for ``step`` (possibly none), each keyed by the step's key.

    Args:
        step: The step being recorded.
        confirmation_due: For a ``confirmed`` step, the deadline it answered (read by
            the caller from the ``confirmation_due`` step), else None.
    """
    common: dict[str, Any] = {
        "key": step.key,
        "workflow_id": step.workflow_id,
        "case_reference": step.case_reference,
        "stage_id": step.stage_id,
        "actor": step.actor,
        "at": step.at,
    }
    kind = decision_kind(step)
    if kind is not None:
        row = {**common, "kind": kind[:32], "text": step.text, "data": dict(step.data)}
        return [(DecisionRow, row)]
    if step.kind == "confirmed":
        late = step.data.get("late") == "true"
        row = {**common, "text": step.text, "due_at": confirmation_due, "late": late}
        return [(ConfirmationRow, row)]
    if step.kind == "learning_item" or step.data.get("step") == "learning_item":
        row = {**common, "outcome": step.text, "notify": step.data.get("notify")}
        return [(LearningItemRow, row)]
    return []
