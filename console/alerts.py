"""Practice alerts: the tracker, one alert and its chair's decisions, the conference briefing.

Every role reads its partnerships' alerts (the tracker, its downloads, an alert's
page). Only the chair who raised an alert finalises it or sends it up a stage: the
chair is the signed-in person, matched on their email against the alert's record,
never a name typed into a form, and the decision goes to the alert's workflow as
its Update with that email, so the page shows the workflow's own acceptance or
refusal. Anybody else is refused with the reason, and nothing is sent. Every
decision and every download is written to the action log, refused ones too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from math import ceil

from aiohttp import web
from pydantic import ValidationError
from pydantic_core import PydanticCustomError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from temporalio.service import RPCError

from console.access import Identity, Role
from console.alert_detail import Action, Alert, chair_refusal, load_alert
from console.alert_tracker import (
    CONTENT_TYPES,
    PAGE_SIZE,
    SORT_TITLES,
    SORTS,
    AlertProcedure,
    TrackerQuery,
    alert_procedures,
    parse_query,
    tracker_file,
    tracker_table,
)
from console.audit import Outcome, record_action
from console.guard import checked_form, identity
from console.pages import page, refused
from console.state import STATE, ConsoleState
from models.alerts import AlertReceipt, Finalise, NotSatisfied
from models.limits import check_case_reference
from records.briefing import nothing_since
from records.schema import PracticeAlertRow
from records.tracker import COLUMNS, STATES, Cell
from records.tracker_files import Format
from starter.alerts_sdk import PracticeAlertClient
from starter.sdk_base import DecisionRefused, EscalationError, field_errors

log = logging.getLogger("escalation.console")

routes = web.RouteTableDef()

WID = "{workflow_id:alert-[A-Za-z0-9._-]+}"
"""An alert's workflow id (``alert-<case reference>-<suffix>``) and nothing else."""
TITLE = "Practice alerts"
UNREADABLE = "The records database cannot be read just now; try again in a few minutes."
ACTIONS: dict[Action, str] = {"finalise": "alert_finalise", "not_satisfied": "alert_not_satisfied"}
LABELS = {"text": "Closing note", "reason": "Why you are not satisfied", "to_stage": "Send to"}
"""The chair's form fields as their labels name them, for the errors."""


def _state(request: web.Request) -> ConsoleState:
    return request.app[STATE]


def _procedures(request: web.Request, *roles: Role) -> dict[str, AlertProcedure]:
    state = _state(request)
    return alert_procedures(state.pack_dir, identity(request).partnerships(*roles))


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%Y-%m-%d %H:%M}"
    return str(value)


def _line(row: list[Cell]) -> dict[str, str]:
    """A tracker row as the table shows it: column name → text."""
    return {name: _text(value) for name, value in zip(COLUMNS, row, strict=True)}


def _choices(procedures: Mapping[str, AlertProcedure]) -> dict[str, list[tuple[str, str]]]:
    """The filters' options: every state, and the reasons and stages of these procedures."""
    reasons: dict[str, str] = {}
    stages: dict[str, str] = {}
    for p in procedures.values():
        reasons.update((c, t) for c, t in p.reasons if c not in reasons)
        stages.update((s, t) for s, t in p.stages if s not in stages)
    return {
        "state": list(STATES.items()),
        "reason": sorted(reasons.items(), key=lambda kv: kv[1].lower()),
        "stage": list(stages.items()),
    }


async def _tracker_page(
    request: web.Request,
    procedures: Mapping[str, AlertProcedure],
    query: TrackerQuery,
    *,
    errors: list[str],
    rows: list[list[Cell]],
    status: int = 200,
) -> web.Response:
    pages = max(1, ceil(len(rows) / PAGE_SIZE))
    current = min(query.page, pages)
    shown = rows[(current - 1) * PAGE_SIZE : current * PAGE_SIZE]
    return await page(
        request,
        "alerts.html",
        title=TITLE,
        status=status,
        errors=errors,
        asked={k: request.query.get(k, "") for k in ("state", "reason", "stage", "from", "to")},
        query=query,
        choices=_choices(procedures),
        sorts=[(s, SORT_TITLES[s]) for s in SORTS],
        partnerships=sorted({p.partnership for p in procedures.values()}),
        lines=[_line(r) for r in shown],
        total=len(rows),
        first=(current - 1) * PAGE_SIZE + 1 if shown else 0,
        last=(current - 1) * PAGE_SIZE + len(shown),
        page_no=current,
        pages=pages,
    )


@routes.get("/alerts")
async def tracker(request: web.Request) -> web.StreamResponse:
    """The practice alert tracker of the person's partnerships, filtered and sorted."""
    read = await _tracker_rows(request)
    if isinstance(read, web.Response):
        return read
    procedures, query, rows = read
    return await _tracker_page(request, procedures, query, errors=[], rows=rows)


async def _tracker_rows(
    request: web.Request,
) -> tuple[Mapping[str, AlertProcedure], TrackerQuery, list[list[Cell]]] | web.Response:
    """The tracker's rows for the page's query; or the page naming what is wrong with it."""
    procedures = _procedures(request)
    query, errors = parse_query(request.query, procedures)
    if errors:
        return await _tracker_page(request, procedures, query, errors=errors, rows=[], status=400)
    state = _state(request)
    try:
        rows = await tracker_table(state.sessions, procedures, query, state.clock())
    except SQLAlchemyError:
        log.exception("the tracker could not be read")
        return await _tracker_page(
            request, procedures, query, errors=[UNREADABLE], rows=[], status=503
        )
    return procedures, query, rows


@routes.get("/alerts/tracker.{fmt:csv|xlsx}")
async def download(request: web.Request) -> web.StreamResponse:
    """The tracker's filtered rows as the CLI's CSV or XLSX file, to save."""
    fmt: Format = "csv" if request.match_info["fmt"] == "csv" else "xlsx"
    read = await _tracker_rows(request)
    if isinstance(read, web.Response):
        return read
    procedures, query, rows = read
    state, who = _state(request), identity(request)
    body = await tracker_file(rows, fmt)
    await record_action(
        state.sessions,
        who,
        partnership="; ".join(sorted({p.partnership for p in procedures.values()})),
        action="alert_tracker_download",
        target=f"tracker.{fmt}?{query.filters()}",
        outcome="accepted",
        detail=f"{len(rows)} alert(s)",
    )
    name = f"practice-alert-tracker-{state.clock():%Y-%m-%d}.{fmt}"
    response = web.Response(
        body=body, content_type=CONTENT_TYPES[fmt], charset="utf-8" if fmt == "csv" else None
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _case_reference(text: str) -> tuple[str, str | None]:
    if not text:
        return text, "case_reference: required; the case's reference (never the child's name)"
    try:
        return check_case_reference(text), None
    except PydanticCustomError as exc:
        return text, f"case_reference: {exc.message()}"


def _since(text: str) -> tuple[date | None, str | None]:
    if not text:
        return None, "since: required; the previous meeting's day as YYYY-MM-DD"
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, "since: not a day; write it as YYYY-MM-DD, e.g. 2026-11-02"


@routes.get("/alerts/briefing")
async def briefing(request: web.Request) -> web.StreamResponse:
    """The conference briefing: a case's practice alerts since the last meeting, in sentences."""
    who = identity(request)
    if not who.partnerships("chair", "business_manager"):
        return await refused(
            request,
            "The conference briefing is for the chairs and business managers of a partnership; "
            "the console gives you neither role.",
        )
    procedures = _procedures(request, "chair", "business_manager")
    case_text = request.query.get("case_reference", "").strip()
    since_text = request.query.get("since", "").strip()
    asked = "case_reference" in request.query or "since" in request.query
    errors: list[str] = []
    sentences: list[str] = []
    context = {"case_text": case_text, "since_text": since_text}
    if asked:
        case, why_case = _case_reference(case_text)
        since, why_since = _since(since_text)
        errors = [e for e in (why_case, why_since) if e]
        if not errors:
            assert since is not None
            outcome = await _brief(request, procedures, case, since)
            if isinstance(outcome, web.Response):
                return outcome
            sentences = outcome or [nothing_since(case, since)]
    return await page(
        request,
        "alerts_briefing.html",
        title="Conference briefing",
        status=400 if errors else 200,
        errors=errors,
        sentences=sentences,
        **context,
    )


async def _brief(
    request: web.Request, procedures: Mapping[str, AlertProcedure], case: str, since: date
) -> list[str] | web.Response:
    """The sentences, or the page refusing a case with alerts outside the person's partnerships."""
    state = _state(request)
    try:
        async with state.sessions() as session:
            used = set(
                await session.scalars(
                    select(PracticeAlertRow.procedure)
                    .where(PracticeAlertRow.case_reference == case)
                    .distinct()
                )
            )
        if used - set(procedures):
            return await refused(
                request,
                f"Case {case} has practice alerts of a partnership where you are neither a "
                "chair nor a business manager; that partnership gives its own briefing.",
            )
        return await PracticeAlertClient.brief(state.sessions, case, since)
    except SQLAlchemyError:
        log.exception("the briefing could not be read")
        return await refused(request, UNREADABLE, status=503)


def _not_here(wid: str) -> str:
    return f"There is no practice alert {wid} in your partnerships."


async def _find(request: web.Request, wid: str) -> Alert | None:
    """The alert if it is one of the person's partnerships' (None otherwise, or unknown)."""
    state = _state(request)
    return await load_alert(state.sessions, state.alerts, _procedures(request), wid, state.clock())


async def _alert_page(
    request: web.Request,
    alert: Alert,
    *,
    status: int = 200,
    outcome: tuple[str, str] | None = None,
    errors: list[str] | None = None,
    form: Mapping[str, str] | None = None,
) -> web.Response:
    who = identity(request)
    why_not = chair_refusal(who, alert, "decide")
    s = alert.status
    open_ = s is not None and s.state != "finalised"
    serious = (
        _state(request).alerts.serious_stages(alert.procedure)
        if s is not None and s.serious_or_urgent
        else []
    )
    return await page(
        request,
        "alerts_alert.html",
        title=f"Practice alert {alert.workflow_id}",
        status=status,
        alert=alert,
        may_act=open_ and why_not is None,
        why_not=why_not[0].upper() + why_not[1:] + "." if open_ and why_not else None,
        serious=serious,
        outcome=outcome,
        errors=errors or [],
        form=form or {},
    )


@routes.get(f"/alerts/{WID}")
async def alert_page(request: web.Request) -> web.StreamResponse:
    """One alert: its facts, its stages, its case note, and its chair's decisions."""
    wid = request.match_info["workflow_id"]
    try:
        alert = await _find(request, wid)
    except SQLAlchemyError:
        log.exception("the alert could not be read")
        return await refused(request, UNREADABLE, status=503)
    if alert is None:
        return await refused(request, _not_here(wid), status=404)
    return await _alert_page(request, alert)


def _decision(action: Action, who: Identity, form: Mapping[str, str]) -> Finalise | NotSatisfied:
    """The chair's decision: ``by`` is the signed-in email, never a field of the form."""
    if action == "finalise":
        return Finalise(by=who.email, text=form.get("text", ""))
    return NotSatisfied(
        by=who.email, reason=form.get("reason", ""), to_stage=form.get("to_stage") or None
    )


def _worded(exc: ValidationError) -> list[str]:
    lines = []
    for line in field_errors(exc):
        name, _, why = line.partition(": ")
        lines.append(f"{LABELS.get(name, name)}: {why}")
    return lines


async def _send(
    client: PracticeAlertClient, wid: str, decision: Finalise | NotSatisfied
) -> AlertReceipt | None:
    if isinstance(decision, Finalise):
        return await client.finalise(wid, decision)
    return await client.not_satisfied(wid, decision)


async def _decide(request: web.Request, action: Action) -> web.StreamResponse:
    form = await checked_form(request)
    who, state = identity(request), _state(request)
    wid = request.match_info["workflow_id"]

    async def log_action(partnership: str, outcome: Outcome, detail: str) -> None:
        await record_action(
            state.sessions,
            who,
            partnership=partnership,
            action=ACTIONS[action],
            target=wid,
            outcome=outcome,
            detail=detail,
        )

    try:
        alert = await _find(request, wid)
    except SQLAlchemyError:
        log.exception("the alert could not be read")
        return await refused(request, UNREADABLE, status=503)
    if alert is None:
        await log_action("", "refused", _not_here(wid))
        return await refused(request, _not_here(wid), status=404)
    if (reason := chair_refusal(who, alert, action)) is not None:
        reason = reason[0].upper() + reason[1:] + "."
        await log_action(alert.partnership, "refused", reason)
        return await refused(request, reason)
    try:
        decision = _decision(action, who, form)
    except ValidationError as exc:
        errors = _worded(exc)
        await log_action(alert.partnership, "refused", "; ".join(errors))
        return await _alert_page(request, alert, status=400, errors=errors, form=form)
    outcome: Outcome
    try:
        receipt = await _send(state.alerts, wid, decision)
    except DecisionRefused as exc:
        outcome, status, said = "refused", 409, f"The alert's workflow refused this: {exc}"
    except (EscalationError, RPCError) as exc:
        outcome, status, said = "failed", 502, f"The alert's workflow could not be reached: {exc}"
    else:
        message = receipt.message if receipt is not None else "accepted"
        outcome, status, said = "accepted", 200, f"The alert's workflow accepted this: {message}"
    await log_action(alert.partnership, outcome, said)
    fresh = await _find(request, wid) or alert
    return await _alert_page(
        request,
        fresh,
        status=status,
        outcome=(outcome, said),
        form=form if outcome != "accepted" else None,
    )


@routes.post(f"/alerts/{WID}/finalise")
async def finalise(request: web.Request) -> web.StreamResponse:
    """The raising chair closes the alert."""
    return await _decide(request, "finalise")


@routes.post(f"/alerts/{WID}/not-satisfied")
async def not_satisfied(request: web.Request) -> web.StreamResponse:
    """The raising chair is not satisfied: the alert goes up a stage (or straight to one)."""
    return await _decide(request, "not_satisfied")
