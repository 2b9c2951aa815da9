"""What an admin sees of a case in the Temporal Web UI: search attributes and texts.

Pure and deterministic (safe in workflow code): builds the typed search attribute
updates and the static summary / current-details text from the case's status, so
the workflow only has to call ``workflow.upsert_search_attributes`` and
``workflow.set_current_details`` at every step. Nothing here can carry a child's
name: the only case identifier is the pseudonymous case reference.

The same keys are registered on a cluster by ``escalation setup`` and on the dev
server by ``escalation dev``, and read back by ``escalation list`` / ``overdue``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from temporalio.common import (
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributeUpdate,
)

from models.alerts import PracticeAlertStatus
from models.status import DisagreementStatus

PROCEDURE = SearchAttributeKey.for_keyword("EscalationProcedure")
PARTNERSHIP = SearchAttributeKey.for_keyword("EscalationPartnership")
STAGE = SearchAttributeKey.for_keyword("EscalationStage")
STATE = SearchAttributeKey.for_keyword("EscalationState")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("EscalationNextDeadline")
OVERDUE = SearchAttributeKey.for_bool("EscalationOverdue")
IMMEDIATE_RISK = SearchAttributeKey.for_bool("EscalationImmediateRisk")
CASE_REF = SearchAttributeKey.for_keyword("EscalationCaseRef")

ALL_KEYS: tuple[SearchAttributeKey[Any], ...] = (
    PROCEDURE,
    PARTNERSHIP,
    STAGE,
    STATE,
    NEXT_DEADLINE,
    OVERDUE,
    IMMEDIATE_RISK,
    CASE_REF,
)

TYPE_NAMES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.BOOL: "Bool",
}


def registration() -> dict[str, str]:
    """Attribute name → type name as the ``temporal`` CLI spells it (``Keyword``...)."""
    return {key.name: TYPE_NAMES[key.indexed_value_type] for key in ALL_KEYS}


def next_deadline(status: DisagreementStatus) -> datetime | None:
    """The deadline somebody is working to now: the stage's, or the written confirmation's."""
    if status.state == "open" and status.stages:
        return status.stages[-1].due_at
    if status.state == "resolved":
        return status.confirmation_due_at
    return None


def is_overdue(status: DisagreementStatus, now: datetime) -> bool:
    """Whether the pending deadline has passed without the case moving on."""
    if status.state == "closed":
        return False
    if status.state == "resolved" and status.confirmation_late:
        return True
    if status.state == "open" and status.stages and status.stages[-1].overdue_notified_at:
        return True
    due = next_deadline(status)
    return due is not None and now >= due


def stage_of(status: DisagreementStatus) -> str | None:
    """The current stage, or the stage the case was resolved at once it has left the ladder."""
    if status.current_stage is not None:
        return status.current_stage
    return status.stages[-1].stage_id if status.stages else None


def attribute_updates(
    status: DisagreementStatus, now: datetime
) -> list[SearchAttributeUpdate[Any]]:
    """The search attributes ``status`` implies at ``now``.

    Attributes with no value are left out rather than unset: the time-skipping
    test server keeps an unset Datetime as a null the SDK's ``describe()`` cannot
    read. So a closed case keeps its last deadline; ``EscalationState`` says it
    is closed (and ``escalation overdue`` only looks at open or resolved cases).
    """
    stage, due = stage_of(status), next_deadline(status)
    updates: list[SearchAttributeUpdate[Any]] = [
        PROCEDURE.value_set(status.procedure),
        STATE.value_set(status.state),
        OVERDUE.value_set(is_overdue(status, now)),
        IMMEDIATE_RISK.value_set(status.immediate_risk),
        CASE_REF.value_set(status.case_reference),
    ]
    if status.partnership:
        updates.append(PARTNERSHIP.value_set(status.partnership))
    if stage:
        updates.append(STAGE.value_set(stage))
    if due is not None:
        updates.append(NEXT_DEADLINE.value_set(due))
    return updates


def local_deadline(moment: datetime, timezone: str) -> str:
    """E.g. 'Wednesday 30 December 2026, 17:00 GMT' in the partnership's zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} {local.tzname()}"


def static_summary(case_reference: str, procedure_title: str, partnership: str) -> str:
    """The one-line summary the UI lists the workflow by (set once, at start)."""
    return f"Case {case_reference}: {procedure_title} ({partnership})"


def markdown_text(text: str) -> str:
    """A name shown as itself in the Web UI's Markdown: no link, image, emphasis or HTML."""
    return "".join(f"\\{c}" if c in MARKDOWN_SPECIAL else c for c in text)


MARKDOWN_SPECIAL = frozenset("\\`*_[]<>|~")
"""Characters Markdown could read as markup inside a line: emphasis, code, links (``[``),
tables, raw HTML (``<``). Line-start markers (``#``, ``-``) cannot occur mid-line."""


def current_details(
    status: DisagreementStatus, timezone: str, total_stages: int | None = None
) -> str:
    """The UI's current-details text (Markdown): stage, who must act, deadline in local time."""
    if status.state == "closed":
        # Free text (the outcome, reasons) stays out of the Web UI: the record holds it.
        return "**Closed.** The agreed outcome and the whole written record are in the case record."
    if not status.stages:
        return "**Opening**: loading the procedure and computing the first deadline."
    last = status.stages[-1]
    # Pack titles already say "Stage 3: ..."; the total adds the ladder's length.
    where = f"**{last.title}**" + (f" ({last.index + 1} of {total_stages})" if total_stages else "")
    holders = f"Who must act: {', '.join(markdown_text(h) for h in last.holders)}"
    if status.state == "resolved":
        lines = [f"Resolved at {where}; awaiting the written confirmation.", holders]
        due, label = status.confirmation_due_at, "Confirmation due"
    else:
        lines = [where, holders]
        due, label = last.due_at, "Deadline"
    if due is not None:
        lines.append(f"{label}: {local_deadline(due, timezone)}")
    lines.extend(_overdue_lines(status))
    if status.immediate_risk:
        lines.append("Immediate risk of significant harm declared.")
    return "\n\n".join(lines)


def _overdue_lines(status: DisagreementStatus) -> list[str]:
    """What has passed without its step, as an admin reading the Web UI needs to know.

    Read from what the workflow recorded when the deadline fired (so the text is
    deterministic), not from the clock.
    """
    last = status.stages[-1]
    if status.state == "resolved":
        late = status.confirmation_late
        return ["**Overdue**: the written confirmation is late."] if late else []
    lines: list[str] = []
    if status.adjournment_breached:
        lines.append("**Overdue**: the adjourned conference did not reconvene in time.")
    elif last.overdue_notified_at is not None:
        lines.append(
            "**Overdue**: the deadline passed; the people named were told and the case "
            "keeps waiting for a decision."
        )
    return lines


# ------------------------------------------------------------ practice alerts
#
# A practice alert carries the same attributes, so one query finds both kinds of
# workflow; ``WorkflowType = 'PracticeAlert'`` tells them apart. Its states are the
# alert's own (``open``, ``awaiting_finalisation``, ``finalised``), and
# ``EscalationImmediateRisk`` is always false: a chair's "serious or urgent" alert
# is not a declaration of immediate risk of significant harm.


def alert_is_overdue(status: PracticeAlertStatus, now: datetime) -> bool:
    """Whether the alert's stage deadline has passed without a response."""
    if status.state != "open" or not status.stages:
        return False
    if status.stages[-1].overdue_notified_at is not None:
        return True
    return status.due_at is not None and now >= status.due_at


def alert_attribute_updates(
    status: PracticeAlertStatus, now: datetime, partnership: str | None = None
) -> list[SearchAttributeUpdate[Any]]:
    """The search attributes a practice alert's ``status`` implies at ``now``.

    As for disagreements, a missing value is left out rather than unset, so once
    a stage has responded the alert keeps that stage and its last deadline, and
    ``EscalationState`` says the raising chair is deciding (or has finalised it).
    """
    stage = status.current_stage or (status.stages[-1].stage_id if status.stages else None)
    updates: list[SearchAttributeUpdate[Any]] = [
        PROCEDURE.value_set(status.procedure),
        STATE.value_set(status.state),
        OVERDUE.value_set(alert_is_overdue(status, now)),
        IMMEDIATE_RISK.value_set(False),
        CASE_REF.value_set(status.case_reference),
    ]
    if partnership:
        updates.append(PARTNERSHIP.value_set(partnership))
    if stage:
        updates.append(STAGE.value_set(stage))
    if status.due_at is not None:
        updates.append(NEXT_DEADLINE.value_set(status.due_at))
    return updates


def alert_current_details(
    status: PracticeAlertStatus, timezone: str, total_stages: int | None = None
) -> str:
    """The UI's current-details text for an alert: stage, who must act, deadline (local)."""
    reason = f"Practice alert: {status.reason_title}"
    if not status.stages:
        return f"{reason}\n\n**Opening**: loading the procedure and computing the first deadline."
    last = status.stages[-1]
    where = f"**{last.title}**" + (f" ({last.index + 1} of {total_stages})" if total_stages else "")
    if status.state == "finalised":
        by = markdown_text(status.finalised_by or "the raiser")
        return f"{reason}\n\n**Finalised** at {where} by {by}."
    if status.state == "awaiting_finalisation":
        return "\n\n".join(
            [
                reason,
                f"{where} has responded; the raising chair decides: finalise, or not "
                "satisfied (the alert goes up a stage).",
                f"Who must act: {markdown_text(status.raised_by)} (raising chair)",
            ]
        )
    lines = [reason, where, f"Who must act: {', '.join(markdown_text(h) for h in last.holders)}"]
    if status.due_at is not None:
        lines.append(f"Deadline: {local_deadline(status.due_at, timezone)}")
    if last.overdue_notified_at is not None:
        lines.append("Overdue: the raising chair has been told; the alert keeps waiting.")
    return "\n\n".join(lines)
