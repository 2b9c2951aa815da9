"""The decision page's documents (pure: status in, HTML out).

Plain server-rendered HTML with no script, so it works in any mail client's
browser and in locked-down council desktops. This module only chooses what the
page says (the case's facts as rows, the history, which forms a link allows);
the markup lives in ``templates/`` and the engine escapes every value.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from models.alerts import PracticeAlertStatus
from models.status import DisagreementStatus
from templates import render
from web.links import LinkClaims

Rows = list[tuple[str, str]]


def local(moment: datetime | None, zone: str) -> str:
    """E.g. 'Wednesday 30 December 2026, 17:00 GMT'."""
    if moment is None:
        return "-"
    t = moment.astimezone(ZoneInfo(zone))
    return f"{t:%A} {t.day} {t:%B %Y, %H:%M} {t.tzname()}"


def notice(kind: str, title: str, message: str) -> str:
    """A page that explains why nothing can be done with this link (and changes nothing)."""
    return render("notice.html", title=title, kind=kind, message=message)


def _summary(status: DisagreementStatus, zone: str) -> Rows:
    """The case's facts, label and value (shown in cells ``case-0``, ``case-1``...)."""
    last = status.stages[-1] if status.stages else None
    due = status.confirmation_due_at
    if status.state != "resolved":
        due = last.due_at if last is not None else None
    deadline = local(due, zone)
    if status.state == "open" and last is not None and last.overdue_notified_at is not None:
        deadline += " (passed: the people named have been told)"
    rows = [
        ("Case reference", status.case_reference),
        ("Procedure", f"{status.procedure_title} ({status.partnership})"),
        ("State", status.state),
        ("Stage", last.title if last else "-"),
    ]
    if status.state == "open":  # a decided stage has nobody left to act at it
        rows.append(("Who must act", ", ".join(last.holders) if last else "-"))
    rows.append(
        ("Written confirmation due" if status.state == "resolved" else "Deadline", deadline)
    )
    if last is not None and last.timescale_basis and status.state == "open":
        # Where the deadline comes from, in words: the procedure's sentence, or who set it.
        rows.append(("Timescale", last.timescale_basis))
    for m in last.milestones if last is not None and status.state == "open" else []:
        if m.met_at is not None:
            state = f"met {local(m.met_at, zone)} ({m.met_by})"
        elif m.overdue_notified_at is not None:
            state = "missed: recorded and told"
        else:
            state = "not yet met"
        rows.append((m.title, f"due {local(m.due_at, zone)}; {state}"))
    if status.immediate_risk:
        rows.append(("Immediate risk", "declared"))
    return rows


def _history(status: DisagreementStatus, zone: str) -> list[list[str]]:
    return [
        [
            s.title,
            local(s.entered_at, zone),
            local(s.due_at, zone),
            (s.outcome or "in progress") + (f": {s.text}" if s.text else ""),
            s.decided_by or "",
        ]
        for s in status.stages
    ]


def decision_page(
    status: DisagreementStatus, claims: LinkClaims, zone: str, error: str | None = None
) -> str:
    """The disagreement and the forms this link allows."""
    per_case = bool(status.stages) and status.stages[-1].per_case and status.state == "open"
    decisions = status.decisions
    return render(
        "decision.html",
        title=f"Disagreement about case {status.case_reference}",
        email=claims.email,
        rows=_summary(status, zone),
        history=_history(status, zone),
        action=claims.action,
        per_case=per_case,
        decisions=decisions,
        no_higher_level="resolved" in decisions and "unresolved" not in decisions,
        why_nothing=_why_nothing(status),
        error=error,
    )


def _why_nothing(status: DisagreementStatus) -> str:
    """Why a decide link offers no decision: the case has moved on or waits on something else."""
    if status.state == "open" and status.reconvene_due_at is not None:
        return "the case waits for the adjourned child protection conference to reconvene."
    if status.state == "resolved":
        return "the disagreement is resolved and waits for its written confirmation."
    return f"the case is {status.state}."


def next_step(status: DisagreementStatus, zone: str) -> str:
    """What happens now, in plain words, once a decision is recorded."""
    if status.state == "resolved":
        return (
            "The disagreement is resolved. The written confirmation is due by "
            f"{local(status.confirmation_due_at, zone)}."
        )
    if status.state == "closed":
        return "The case is closed." + (f" Outcome: {status.outcome}" if status.outcome else "")
    last = status.stages[-1] if status.stages else None
    if last is None:
        return "The case is open."
    if last.due_at is None:  # a per-case timescale not agreed yet: no deadline to name
        return f"The case is now at {last.title}; its timescale is to be agreed on the case."
    return f"The case is now at {last.title}; the deadline is {local(last.due_at, zone)}."


def result_page(
    status: DisagreementStatus | None, accepted: bool, message: str, case_reference: str, zone: str
) -> str:
    """The workflow's own answer to the decision: its acceptance, or its refusal and why."""
    if accepted:
        text = f"Recorded. {next_step(status, zone)}" if status is not None else "Recorded."
    else:
        text = f"Not recorded. The case workflow refused it: {message}"
    return render(
        "result.html",
        title=f"Disagreement about case {case_reference}",
        accepted=accepted,
        text=text,
        rows=_summary(status, zone) if status is not None else [],
    )


def _alert_summary(status: PracticeAlertStatus, zone: str) -> Rows:
    last = status.stages[-1] if status.stages else None
    return [
        ("Case reference", status.case_reference),
        ("Procedure", status.title),
        ("Reason", f"{status.reason_code}: {status.reason_title}"),
        ("State", status.state),
        ("Stage", last.title if last else "-"),
        ("Who must respond", ", ".join(last.holders) if last else "-"),
        ("Deadline", local(status.due_at, zone)),
    ]


def _case_note(status: PracticeAlertStatus, zone: str) -> list[list[str]]:
    return [[local(e.at, zone), e.kind, e.by, e.text] for e in status.case_note]


def alert_page(
    status: PracticeAlertStatus, claims: LinkClaims, zone: str, error: str | None = None
) -> str:
    """The practice alert, its case note, and the response form this link allows."""
    return render(
        "alert.html",
        title=f"Practice alert on case {status.case_reference}",
        email=claims.email,
        rows=_alert_summary(status, zone),
        note=_case_note(status, zone),
        error=error,
    )


def chair_page(
    status: PracticeAlertStatus,
    claims: LinkClaims,
    zone: str,
    serious_stages: list[tuple[str, str]],
    error: str | None = None,
) -> str:
    """The raising chair's choices on an alert whose stage missed its deadline.

    Exactly what the chair may do: send it up a stage (or, in a serious or urgent alert,
    straight to one of ``serious_stages``), or finalise it once a response is on the note.
    """
    return render(
        "chair.html",
        title=f"Practice alert on case {status.case_reference}",
        email=claims.email,
        rows=_alert_summary(status, zone),
        note=_case_note(status, zone),
        error=error,
        serious_stages=serious_stages if status.serious_or_urgent else [],
        can_finalise=any(e.kind == "response" for e in status.case_note),
    )


def alert_next_step(status: PracticeAlertStatus, zone: str) -> str:
    """What happens now on the practice alert, in plain words, once a decision is recorded."""
    if status.state == "finalised":
        by = f" by {status.finalised_by}" if status.finalised_by else ""
        return f"The practice alert is finalised{by} and closed."
    if status.state == "awaiting_finalisation":
        return (
            "The response is on the alert's case note. The raising chair "
            f"({status.raised_by}) now decides: finalise the alert, or send it up a stage if "
            "not satisfied."
        )
    last = status.stages[-1] if status.stages else None
    if last is None:
        return "The practice alert is open."
    who = ", ".join(last.holders) or "the stage"
    return (
        f"The practice alert is now at {last.title}; {who} must respond by "
        f"{local(status.due_at or last.due_at, zone)}."
    )


def alert_result_page(status: PracticeAlertStatus, accepted: bool, message: str, zone: str) -> str:
    """The alert workflow's own answer: what happens next, or its refusal and why.

    Once recorded, the facts shown are the alert's new ones; a stage that has responded
    names nobody left to respond and no deadline still running.
    """
    if accepted:
        text = f"Recorded. {alert_next_step(status, zone)}"
    else:
        text = f"Not recorded. The alert workflow refused it: {message}"
    rows = _alert_summary(status, zone)
    if accepted and status.state != "open":
        rows = [r for r in rows if r[0] not in ("Who must respond", "Deadline")]
    return render(
        "result.html",
        title=f"Practice alert on case {status.case_reference}",
        accepted=accepted,
        text=text,
        rows=rows,
    )
