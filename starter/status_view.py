"""``escalation status`` and ``escalation alert status`` as a person reads them.

The status query's answer is a model with dozens of fields, right for a case
system's script (``--json``) and wrong for a manager at a terminal who wants to
know where the case is, by when, and who must act. This module picks those facts,
one labelled line each, with every moment in the procedure's local time and the
deadline's source in words. Pure: status and clock in, lines out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from models.alerts import PracticeAlertStatus
from models.status import DisagreementStatus, StageStatus

DEFAULT_TIMEZONE = "Europe/London"
LABEL_WIDTH = 18

Row = tuple[str, str]

CASE_STATES = {
    "open": "open: a stage is working on it",
    "resolved": "resolved: the outcome is agreed; its written confirmation is awaited",
    "closed": "closed: confirmed and finished",
}
ALERT_STATES = {
    "open": "open: the stage must respond",
    "awaiting_finalisation": (
        "awaiting the raising chair: a response is on the case note; the chair finalises it "
        "or sends it up a stage"
    ),
    "finalised": "finalised: closed by the raising chair",
}


@cache
def zone_of(procedure: str) -> str:
    """The procedure's time zone, or England's when its pack cannot be read here."""
    from packs import PackError, UnknownProcedure, load_pack

    try:
        return load_pack(procedure).calendar.timezone
    except (UnknownProcedure, PackError, OSError):
        return DEFAULT_TIMEZONE


def local(moment: datetime | None, zone: str) -> str:
    """E.g. 'Wednesday 30 December 2026, 17:00 GMT'; '-' for none."""
    if moment is None:
        return "-"
    t = moment.astimezone(ZoneInfo(zone))
    return f"{t:%A} {t.day} {t:%B %Y, %H:%M} {t.tzname()}"


def _due(moment: datetime | None, zone: str, now: datetime, live: bool) -> str:
    """A deadline in local time, marked OVERDUE when it is live and has passed."""
    text = local(moment, zone)
    if live and moment is not None and moment < now:
        text += "  OVERDUE"
    return text


def _lines(rows: Sequence[Row]) -> str:
    """Labelled lines, values in one column; a long label still leaves two spaces."""
    width = max(LABEL_WIDTH, *(len(label) + 2 for label, _ in rows))
    return "\n".join(f"{label:<{width}}{value}".rstrip() for label, value in rows)


def _refused(total: int, command: str) -> list[Row]:
    if not total:
        return []
    return [("Refused inputs", f"{total} ({command} --json lists them)")]


def _milestones(stage: StageStatus, zone: str, now: datetime) -> list[Row]:
    rows: list[Row] = []
    for m in stage.milestones:
        if m.met_at is not None:
            state = f"met {local(m.met_at, zone)}" + (f" by {m.met_by}" if m.met_by else "")
        elif m.overdue_notified_at is not None:
            state = "missed: recorded and told"
        else:
            state = "not yet met"
        due = _due(m.due_at, zone, now, m.met_at is None)
        rows.append(("Milestone", f"{m.title}: due {due}; {state}"))
    return rows


def _stage_rows(
    status: DisagreementStatus, stage: StageStatus, zone: str, now: datetime
) -> list[Row]:
    """Where an open case stands: its stage, deadline and source, who acts, milestones."""
    rows: list[Row] = [("Stage", stage.title)]
    if stage.due_at is None:
        rows.append(("Deadline", "none yet: the timescale is to be agreed on the case"))
    else:
        rows.append(("Deadline", _due(stage.due_at, zone, now, True)))
    basis = stage.timescale_basis or f"{stage.timescale_working_days} working days"
    if stage.capped:
        basis += "; shortened to protect the child"
    rows.append(("Deadline source", basis))
    rows.append(("Who must act", ", ".join(stage.holders) or "-"))
    rows += _milestones(stage, zone, now)
    if status.decisions:
        rows.append(("Can record now", ", ".join(status.decisions)))
    return rows


def disagreement_view(status: DisagreementStatus, now: datetime, zone: str | None = None) -> str:
    """The disagreement in labelled lines: where it is, by when, who must act.

    ``now`` decides the OVERDUE marker (a deadline passed and the stage still
    working on it); ``zone`` defaults to the procedure's own.
    """
    zone = zone or zone_of(status.procedure)
    stage = status.stages[-1] if status.stages else None
    rows: list[Row] = [
        ("Case reference", status.case_reference),
        ("Workflow id", status.workflow_id),
        ("Procedure", f"{status.procedure_title} ({status.partnership})"),
        (
            "Raised",
            local(status.raised_at, zone) + ("  (raised late)" if status.raised_late else ""),
        ),
        ("State", CASE_STATES.get(status.state, status.state)),
    ]
    if status.immediate_risk:
        rows.append(("Immediate risk", "declared"))
    if status.state == "open" and stage is not None:
        rows += _stage_rows(status, stage, zone, now)
    elif stage is not None:
        rows.append(("Last stage", stage.title))
    elif status.state == "open":  # asked before the workflow has loaded its procedure
        rows.append(("Stage", "opening: entering its first stage now"))
    if status.outcome:
        rows.append(("Outcome", status.outcome))
    if status.resolved_at is not None:
        by = f" by {status.resolved_by}" if status.resolved_by else ""
        rows.append(("Resolved", local(status.resolved_at, zone) + by))
    if status.state == "resolved":
        due = _due(status.confirmation_due_at, zone, now, True)
        rows.append(("Confirmation due", due))
    if status.confirmed_at is not None:
        late = "  (late)" if status.confirmation_late else ""
        rows.append(("Confirmed", local(status.confirmed_at, zone) + late))
    if status.reconvene_due_at is not None and status.state == "open":
        rows.append(("Reconvene by", _due(status.reconvene_due_at, zone, now, True)))
    rows += _refused(status.rejected_inputs_total, f"escalation status {status.workflow_id}")
    if status.notification_failures:
        rows.append(("Emails not sent", str(len(status.notification_failures))))
    return _lines(rows)


def alert_view(status: PracticeAlertStatus, now: datetime, zone: str | None = None) -> str:
    """The practice alert in labelled lines: its stage, deadline, who must respond, its note."""
    zone = zone or zone_of(status.procedure)
    stage = status.stages[-1] if status.stages else None
    raised = local(status.raised_at, zone) + f" by {status.raised_by}"
    rows: list[Row] = [
        ("Case reference", status.case_reference),
        ("Workflow id", status.workflow_id),
        ("Procedure", f"{status.title} ({status.procedure})"),
        ("Reason", f"{status.reason_title} ({status.reason_code})"),
        ("Raised", raised + ("; serious or urgent" if status.serious_or_urgent else "")),
        ("State", ALERT_STATES.get(status.state, status.state)),
    ]
    if stage is not None:
        rows.append(("Stage", stage.title))
    elif status.state == "open":  # asked before the workflow has loaded its procedure
        rows.append(("Stage", "opening: entering its first stage now"))
    if status.state == "open" and stage is not None:
        rows.append(("Deadline", _due(status.due_at or stage.due_at, zone, now, True)))
        days = stage.timescale_working_days
        rows.append(("Deadline source", f"{days} working days ({status.title})"))
        rows.append(("Who must respond", ", ".join(stage.holders) or "-"))
    if status.state == "awaiting_finalisation":
        rows.append(("Who must act", f"the raising chair, {status.raised_by}"))
    if status.finalised_at is not None:
        rows.append(("Finalised", f"{local(status.finalised_at, zone)} by {status.finalised_by}"))
    if status.case_note:
        last = status.case_note[-1]
        latest = f"{last.kind.replace('_', ' ')} by {last.by}, {local(last.at, zone)}"
        count = len(status.case_note)
        entries = f"{count} entr{'y' if count == 1 else 'ies'}"
        rows.append(("Case note", f"{entries}; latest: {latest}"))
    wid = status.workflow_id
    rows += _refused(status.rejected_inputs_total, f"escalation alert status {wid}")
    if status.notification_failures:
        rows.append(("Emails not sent", str(len(status.notification_failures))))
    return _lines(rows)
