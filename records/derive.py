"""What the recorded rows mean, derived in one place: typed rows, and each stage's verdict.

Pure. ``derived_rows`` maps one ``StepRecord`` to the rows ``record_step`` inserts
beside the step, in the same transaction and under the step's key. The workflow
records steps only; the typed tables follow from the step's kind, so no workflow
change (and no replay risk) is needed to keep them.

``stage_verdict`` says how a stage stood against its deadline. The record and the
quarterly report both call it, so a stage can never be "in time" on the child's
file and "missed" in the figures (or the other way round).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

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


StageVerdict = Literal[
    "resolved in time",
    "escalated before its deadline",
    "deadline passed",
    "open",
    "no deadline",
]
"""How a stage stood against its deadline, in the words the record and the report print.

Three endings are kept apart because they mean different things to a reader: the
disagreement was settled in time; somebody decided in time that it could not be
settled here and sent it up (the procedure working as written, not a success at
this level); or the time ran out."""

VERDICTS: tuple[StageVerdict, ...] = (
    "resolved in time",
    "escalated before its deadline",
    "deadline passed",
    "open",
    "no deadline",
)
"""Every verdict, in the order tables and legends list them."""

DEADLINE_VERDICTS: tuple[StageVerdict, ...] = VERDICTS[:3]
"""The verdicts of a stage whose deadline has been answered one way or another (counted)."""

TIME_RAN_OUT = frozenset({"timeout", "adjournment_breached"})
"""Stage outcomes that are themselves the deadline passing (the workflow moved the case on)."""


def stage_verdict(
    outcome: str | None,
    due_at: datetime | None,
    left_at: datetime | None,
    *,
    deadline_passed: bool = False,
    now: datetime | None = None,
) -> StageVerdict:
    """The stage's verdict from its rows: how it was left, its deadline, when it was left.

    Args:
        outcome: The ``stage_left`` step's outcome (``resolved``, ``unresolved``,
            ``timeout``, ...), None while the stage is open.
        due_at: The stage's deadline as it last stood (after any change), None if
            the stage had none.
        left_at: When the stage was left, None while it is open.
        deadline_passed: A ``deadline_passed`` (or breach) step was recorded at this
            stage: the last stage stays put when its time runs out, so this is the
            only sign of it.
        now: For an open stage, the moment to judge it at (a deadline already behind
            ``now`` has passed even if its step is not written yet).
    """
    if deadline_passed or outcome in TIME_RAN_OUT:
        return "deadline passed"
    if left_at is None:
        if due_at is not None and now is not None and now > due_at:
            return "deadline passed"
        return "open"
    if due_at is None:
        return "no deadline"
    if left_at > due_at:
        return "deadline passed"
    return "resolved in time" if outcome == "resolved" else "escalated before its deadline"
