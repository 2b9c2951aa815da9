"""A case: its record, deadlines, milestones, emails, and the decisions the person may send.

Only someone holding a role in the case's partnership sees it; anyone else is
refused with the reason, and the refusal is recorded. A decision goes to the
workflow as its Update, sent by the signed-in person (their email from the
identity provider, never a typed name); the page then shows the workflow's own
answer, accepted or refused, and every attempt is recorded in the action log.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from temporalio.service import RPCError

from console.access import ROLE_TITLES, Identity
from console.audit import Outcome, record_action
from console.case_actions import ACTING, Offer, offers, prepare
from console.case_view import (
    case_file,
    case_row,
    deadlines,
    live_status,
    milestones,
    record_parts,
    told,
)
from console.guard import checked_form, identity
from console.pages import page, refused
from console.state import STATE, ConsoleState
from models.status import DisagreementStatus
from packs import PackError, UnknownProcedure, load_pack
from records.schema import Disagreement
from starter.sdk_base import DecisionRefused, EscalationError, InvalidRequest

routes = web.RouteTableDef()


def _offers(
    state: ConsoleState, who: Identity, row: Disagreement, status: DisagreementStatus | None
) -> list[Offer]:
    if status is None:
        return []
    try:
        pack = load_pack(status.procedure, state.pack_dir, state.local_dir)
    except (UnknownProcedure, PackError):
        return []
    return offers(frozenset(who.roles.get(row.partnership, frozenset())), status, pack)


async def _missing(request: web.Request, workflow_id: str) -> web.Response:
    return await page(
        request,
        "missing.html",
        title="No such case",
        text=f"No disagreement is recorded under the workflow id '{workflow_id}'. "
        "Check the link, or find the case on Today.",
        status=404,
    )


async def _show(
    request: web.Request,
    row: Disagreement,
    *,
    result: tuple[str, str] | None = None,
    status_code: int = 200,
) -> web.Response:
    """The case's page; ``result`` is the last action's outcome and the words shown."""
    state, who = request.app[STATE], identity(request)
    now = state.clock()
    f = await case_file(state.sessions, row)
    status = await live_status(state.cases, row.workflow_id)
    facts, picture, tables = record_parts(f, now)
    roles = who.roles.get(row.partnership, frozenset())
    context: dict[str, Any] = {
        "row": row,
        "zone": f.timezone,
        "facts": facts,
        "picture": picture,
        "tables": tables,
        "told": await told(state.sessions, f),
        "live": status,
        "deadlines": deadlines(status, f.timezone, now) if status else [],
        "milestones": milestones(status, f.timezone) if status else None,
        "offers": _offers(state, who, row, status),
        "acts": bool(set(roles) & set(ACTING)),
        "role_titles": ", ".join(ROLE_TITLES[r] for r in sorted(roles)),
        "result": result,
    }
    title = f"Case {row.case_reference}"
    return await page(request, "case.html", title=title, status=status_code, **context)


async def _allowed(
    request: web.Request, row: Disagreement | None, action: str
) -> web.Response | None:
    """None when the person may see the case; else the page refusing it (recorded)."""
    who, state = identity(request), request.app[STATE]
    workflow_id = request.match_info["workflow_id"]
    if row is None:
        return await _missing(request, workflow_id)
    if who.may(row.partnership):
        return None
    reason = (
        f"Case {row.case_reference} belongs to {row.partnership}, where you hold no role: "
        "the console shows you only your own partnerships' cases."
    )
    await record_action(
        state.sessions,
        who,
        partnership=row.partnership,
        action=action,
        target=workflow_id,
        outcome="refused",
        detail=reason,
    )
    return await refused(request, reason)


@routes.get("/cases/{workflow_id}")
async def case(request: web.Request) -> web.StreamResponse:
    """The case's page, for anyone with a role in its partnership."""
    state = request.app[STATE]
    row = await case_row(state.sessions, request.match_info["workflow_id"])
    if (no := await _allowed(request, row, "view_case")) is not None:
        return no
    assert row is not None
    return await _show(request, row)


@routes.post("/cases/{workflow_id}")
async def act(request: web.Request) -> web.StreamResponse:
    """Send one decision to the case as its Update; show and record what the workflow said."""
    form = await checked_form(request)
    state, who = request.app[STATE], identity(request)
    row = await case_row(state.sessions, request.match_info["workflow_id"])
    # Only an action's id goes to the log: a form field could hold any text, a name included.
    sent = form.get("action", "")
    action = sent if re.fullmatch(r"[a-z_]{1,64}", sent) else "decision"
    if (no := await _allowed(request, row, action)) is not None:
        return no
    assert row is not None

    async def log(outcome: Outcome, detail: str) -> None:
        await record_action(
            state.sessions,
            who,
            partnership=row.partnership,
            action=action,
            target=row.workflow_id,
            outcome=outcome,
            detail=detail,
        )

    roles = who.roles.get(row.partnership, frozenset())
    if not set(roles) & set(ACTING):
        titles = ", ".join(ROLE_TITLES[r] for r in sorted(roles))
        reason = (
            f"Your role in {row.partnership} ({titles}) reads cases only: "
            "it takes no decision on them. Nothing was sent."
        )
        await log("refused", reason)
        return await refused(request, reason)
    status = await live_status(state.cases, row.workflow_id)
    if status is None:
        reason = "The case's workflow cannot be reached just now: nothing was sent. Try again."
        await log("failed", reason)
        return await _show(request, row, result=("failed", reason), status_code=503)
    key = form.get("offer", "")
    offer = next((o for o in _offers(state, who, row, status) if o.key == key), None)
    if offer is None:
        reason = (
            f"'{action}' is not a decision your role may take on case {row.case_reference} "
            f"at {status.current_stage_title or 'its current stage'} now "
            "(the page lists the ones it may). Nothing was sent."
        )
        await log("refused", reason)
        return await _show(request, row, result=("refused", reason), status_code=403)
    try:
        receipt = await prepare(state.cases, row.workflow_id, offer, who.email, form)()
    except InvalidRequest as exc:
        reason = "Nothing was sent: " + "; ".join(exc.errors)
        await log("refused", reason)
        return await _show(request, row, result=("invalid", reason), status_code=400)
    except DecisionRefused as exc:
        await log("refused", str(exc))
        return await _show(request, row, result=("refused", str(exc)), status_code=409)
    except (EscalationError, RPCError) as exc:
        reason = f"The workflow could not be reached: {exc}. Nothing may have been recorded."
        await log("failed", reason)
        return await _show(request, row, result=("failed", reason), status_code=503)
    words = receipt.message if receipt is not None else "sent"
    await log("accepted", words)
    return await _show(request, row, result=("accepted", words))
