"""HTML of the decision page (pure: status in, text out; everything escaped).

Plain server-rendered HTML with no script, so it works in any mail client's
browser and in locked-down council desktops.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from models.alerts import PracticeAlertStatus
from models.status import DisagreementStatus
from web.links import LinkClaims

STYLE = """
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}
form{border:1px solid #bbb;padding:1rem;margin:1rem 0}textarea{width:100%;min-height:4rem}
.notice{padding:1rem;border-left:.4rem solid #b00;background:#fff4f4}
.accepted{padding:1rem;border-left:.4rem solid #080;background:#f2fff2}
.error{color:#b00}
"""


def local(moment: datetime | None, zone: str) -> str:
    """E.g. 'Wednesday 30 December 2026, 17:00 GMT'."""
    if moment is None:
        return "-"
    t = moment.astimezone(ZoneInfo(zone))
    return f"{t:%A} {t.day} {t:%B %Y, %H:%M} {t.tzname()}"


def page(title: str, body: str) -> str:
    """A whole document."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def notice(kind: str, title: str, message: str) -> str:
    """A page that explains why nothing can be done with this link (and changes nothing)."""
    return page(
        title,
        f"<div id='notice' class='notice' data-kind='{escape(kind)}'><p>{escape(message)}</p>"
        "<p>Nothing has been recorded. If you still need to act, use the link in the most recent"
        " email about this case, or contact your partnership's business manager.</p></div>",
    )


def _summary(status: DisagreementStatus, zone: str) -> str:
    last = status.stages[-1] if status.stages else None
    due = status.confirmation_due_at
    if status.state != "resolved":
        due = last.due_at if last is not None else None
    rows = [
        ("Case reference", status.case_reference),
        ("Procedure", f"{status.procedure_title} ({status.partnership})"),
        ("State", status.state),
        ("Stage", last.title if last else "-"),
        ("Who must act", ", ".join(last.holders) if last else "-"),
        (
            "Written confirmation due" if status.state == "resolved" else "Deadline",
            local(due, zone),
        ),
    ]
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
    return _case_table(rows)


def _case_table(rows: list[tuple[str, str]]) -> str:
    """The case's facts as a two-column table (cells numbered ``case-0``... for tests)."""
    cells = "".join(
        f"<tr><th scope='row'>{escape(k)}</th><td id='case-{i}'>{escape(v)}</td></tr>"
        for i, (k, v) in enumerate(rows)
    )
    return f"<table id='case'>{cells}</table>"


def _history(status: DisagreementStatus, zone: str) -> str:
    head = "<tr><th>Stage</th><th>Entered</th><th>Deadline</th><th>Outcome</th><th>By</th></tr>"
    rows = "".join(
        "<tr>"
        f"<td>{escape(s.title)}</td><td>{escape(local(s.entered_at, zone))}</td>"
        f"<td>{escape(local(s.due_at, zone))}</td>"
        f"<td>{escape(s.outcome or 'in progress')}{': ' + escape(s.text) if s.text else ''}</td>"
        f"<td>{escape(s.decided_by or '')}</td>"
        "</tr>"
        for s in status.stages
    )
    return f"<h2>History so far</h2><table id='history'>{head}{rows}</table>"


def _forms(claims: LinkClaims, error: str | None, per_case: bool = False) -> str:
    err = f"<p id='error' class='error'>{escape(error)}</p>" if error else ""
    if claims.action == "confirm":
        return (
            f"{err}<form id='confirm' method='post'>"
            "<input type='hidden' name='decision' value='confirmed'>"
            "<label for='text'>Written confirmation of the outcome (or its summary)</label>"
            "<textarea id='text' name='text'></textarea>"
            "<button id='submit-confirm' type='submit'>Record the written confirmation</button>"
            "</form>"
        )
    return (
        f"{err}<form id='resolve' method='post'>"
        "<input type='hidden' name='decision' value='resolved'>"
        "<h2>Resolved</h2><label for='outcome'>The agreed outcome</label>"
        "<textarea id='outcome' name='outcome' required></textarea>"
        "<label for='outstanding'>How any outstanding issues will be pursued (optional)</label>"
        "<textarea id='outstanding' name='outstanding'></textarea>"
        "<button id='submit-resolve' type='submit'>Record: resolved</button></form>"
        "<form id='unresolve' method='post'>"
        "<input type='hidden' name='decision' value='unresolved'>"
        "<h2>Unresolved</h2><label for='reason'>Why it could not be resolved at this stage</label>"
        "<textarea id='reason' name='reason' required></textarea>"
        "<button id='submit-unresolve' type='submit'>Record: unresolved (go up a stage)</button>"
        "</form>" + (_agree_form() if per_case else "")
    )


def _agree_form() -> str:
    """At a stage whose timescale the procedure leaves to the case: agree it here."""
    return (
        "<form id='agree' method='post'>"
        "<input type='hidden' name='decision' value='agree_timescale'>"
        "<h2>Agree this stage's timescale</h2>"
        "<p>The procedure leaves this stage's timescale to be agreed on the case. It may be "
        "longer or shorter than the partnership's figure; who agreed it and why are recorded.</p>"
        "<label for='working_days'>Working days from when the stage began</label>"
        "<input id='working_days' name='working_days' type='number' min='0' max='60' required>"
        "<label for='agree-reason'>Why this timescale (e.g. as agreed on the referral form)</label>"
        "<textarea id='agree-reason' name='agree_reason' required></textarea>"
        "<button id='submit-agree' type='submit'>Record the agreed timescale</button></form>"
    )


def decision_page(
    status: DisagreementStatus, claims: LinkClaims, zone: str, error: str | None = None
) -> str:
    """The disagreement and the forms this link allows."""
    who = f"<p>This link is for <strong id='who'>{escape(claims.email)}</strong>.</p>"
    per_case = bool(status.stages) and status.stages[-1].per_case and status.state == "open"
    body = who + _summary(status, zone) + _history(status, zone) + _forms(claims, error, per_case)
    return page(f"Disagreement about case {status.case_reference}", body)


def result_page(
    status: DisagreementStatus | None, accepted: bool, message: str, case_reference: str, zone: str
) -> str:
    """The workflow's own answer to the decision: its acceptance, or its refusal and why."""
    if accepted:
        box = (
            f"<div id='result' class='accepted' data-accepted='true'><p>Recorded. The case"
            f" workflow accepted it: {escape(message)}</p></div>"
        )
    else:
        box = (
            f"<div id='result' class='notice' data-accepted='false'><p>Not recorded. The case"
            f" workflow refused it: {escape(message)}</p></div>"
        )
    summary = _summary(status, zone) if status is not None else ""
    return page(f"Disagreement about case {case_reference}", box + summary)


def _alert_summary(status: PracticeAlertStatus, zone: str) -> str:
    last = status.stages[-1] if status.stages else None
    rows = [
        ("Case reference", status.case_reference),
        ("Procedure", status.title),
        ("Reason", f"{status.reason_code}: {status.reason_title}"),
        ("State", status.state),
        ("Stage", last.title if last else "-"),
        ("Who must respond", ", ".join(last.holders) if last else "-"),
        ("Deadline", local(status.due_at, zone)),
    ]
    return _case_table(rows)


def _case_note(status: PracticeAlertStatus, zone: str) -> str:
    head = "<tr><th>When</th><th>What</th><th>By</th><th>Text</th></tr>"
    rows = "".join(
        "<tr>"
        f"<td>{escape(local(e.at, zone))}</td><td>{escape(e.kind)}</td>"
        f"<td>{escape(e.by)}</td><td>{escape(e.text)}</td>"
        "</tr>"
        for e in status.case_note
    )
    return f"<h2>Case note so far</h2><table id='history'>{head}{rows}</table>"


def alert_page(
    status: PracticeAlertStatus, claims: LinkClaims, zone: str, error: str | None = None
) -> str:
    """The practice alert, its case note, and the response form this link allows."""
    who = f"<p>This link is for <strong id='who'>{escape(claims.email)}</strong>.</p>"
    err = f"<p id='error' class='error'>{escape(error)}</p>" if error else ""
    form = (
        f"{err}<form id='respond' method='post'>"
        "<input type='hidden' name='decision' value='respond'>"
        "<label for='text'>This stage's response (what has been done or agreed)</label>"
        "<textarea id='text' name='text' required></textarea>"
        "<button id='submit-respond' type='submit'>Record the response</button></form>"
    )
    body = who + _alert_summary(status, zone) + _case_note(status, zone) + form
    return page(f"Practice alert on case {status.case_reference}", body)


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
    who = f"<p>This link is for <strong id='who'>{escape(claims.email)}</strong>.</p>"
    err = f"<p id='error' class='error'>{escape(error)}</p>" if error else ""
    options = "".join(
        f"<option value='{escape(sid)}'>{escape(title)}</option>" for sid, title in serious_stages
    )
    jump = (
        "<label for='to_stage'>Or, as the alert is serious or urgent, straight to</label>"
        f"<select id='to_stage' name='to_stage'><option value=''>the next stage</option>{options}"
        "</select>"
        if status.serious_or_urgent and serious_stages
        else ""
    )
    escalate = (
        f"{err}<form id='escalate' method='post'>"
        "<input type='hidden' name='decision' value='escalate'>"
        "<h2>Send the alert up</h2>"
        "<label for='reason'>Why (recorded on the case note)</label>"
        f"<textarea id='reason' name='reason' required></textarea>{jump}"
        "<button id='submit-escalate' type='submit'>Send it up</button></form>"
    )
    finalise = (
        "<form id='finalise' method='post'>"
        "<input type='hidden' name='decision' value='finalise'>"
        "<h2>Finalise the alert</h2><label for='text'>Closing note</label>"
        "<textarea id='text' name='text' required></textarea>"
        "<button id='submit-finalise' type='submit'>Finalise</button></form>"
        if any(e.kind == "response" for e in status.case_note)
        else ""
    )
    body = who + _alert_summary(status, zone) + _case_note(status, zone) + escalate + finalise
    return page(f"Practice alert on case {status.case_reference}", body)


def alert_result_page(status: PracticeAlertStatus, accepted: bool, message: str, zone: str) -> str:
    """The alert workflow's own answer to the response."""
    verdict = "accepted" if accepted else "refused"
    box = (
        f"<div id='result' class='{'accepted' if accepted else 'notice'}'"
        f" data-accepted='{str(accepted).lower()}'><p>{'Recorded' if accepted else 'Not recorded'}."
        f" The alert workflow {verdict} it: {escape(message)}</p></div>"
    )
    return page(
        f"Practice alert on case {status.case_reference}", box + _alert_summary(status, zone)
    )
