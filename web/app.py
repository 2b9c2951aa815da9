"""The decision page's web application (aiohttp).

``GET /`` says what the server is (links arrive by email; there is nothing to browse).
``GET /d/<token>`` shows the disagreement (from the workflow's ``status``
query) and the forms the link allows, or, for a ``respond`` link, the practice
alert and its case note with the stage's response form; ``POST /d/<token>`` sends the decision
to the workflow as an Update and shows the workflow's acceptance or refusal. A
forged, expired or used link (the stage has moved on, the case is resolved or
closed) gets a page that says so, and nothing is sent to the workflow. A request
body over ``MAX_REQUEST_BYTES`` is answered 413 with a page naming the limit,
before the link or the case is even looked at.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import cache
from typing import TypeVar

from aiohttp import web
from pydantic import ValidationError
from temporalio.service import RPCError, RPCStatusCode

from models.alerts import AlertResponse, Finalise, NotSatisfied, PracticeAlertStatus
from models.decisions import AgreeTimescale, Confirmed, DecisionReceipt, Resolved, Unresolved
from models.plain_errors import plain
from models.status import DisagreementStatus
from packs import PackError, UnknownProcedure, load_pack
from starter.alerts_sdk import PracticeAlertClient
from starter.sdk import DecisionRefused, EscalationClient
from templates import render
from web import pages
from web.links import LinkClaims, LinkError, verify

log = logging.getLogger("escalation.web")

Clock = Callable[[], datetime]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
S = TypeVar("S", DisagreementStatus, PracticeAlertStatus)

MAX_REQUEST_BYTES = 256 * 1024
"""The largest form the page reads. The resolve form's two texts at their limit of
10,000 characters each, in the widest characters (4 bytes of UTF-8, each sent as
three bytes ``%XX``), take 240,000 bytes, so no form a person can fill in lawfully is
refused; anything larger is refused before it is read into memory."""

SECURITY_HEADERS = {
    # The token is in the URL: never leak it to another site, never cache the page.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


@cache
def _zone(procedure: str) -> str:
    try:
        return load_pack(procedure).calendar.timezone
    except (UnknownProcedure, PackError):
        return "Europe/London"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def used_reason(status: DisagreementStatus, claims: LinkClaims) -> str | None:
    """Why the link's moment has passed (None while it can still be used)."""
    if status.state == "closed":
        return "The case is closed: this link has been used or is no longer needed."
    last = status.stages[-1].stage_id if status.stages else None
    if claims.action == "confirm":
        if status.state != "resolved" or last != claims.stage:
            return "There is no resolution at this stage awaiting written confirmation."
        return None
    if status.state == "resolved":
        return "This stage has already been resolved: this link has been used."
    if status.current_stage != claims.stage:
        return (
            "The case has moved on to another stage since this link was sent: this link has been"
            f" used. It is now at {status.current_stage_title or status.current_stage}."
        )
    return None


def chair_used_reason(status: PracticeAlertStatus, claims: LinkClaims) -> str | None:
    """Why the raising chair's link has been used: the alert moved on, or is finalised."""
    if status.state == "finalised":
        return "The practice alert is finalised: this link has been used."
    if status.current_stage != claims.stage:
        return (
            "The practice alert has moved on since this link was sent: this link has been used."
            f" It is now at {status.current_stage_title or status.current_stage}."
        )
    return None


def alert_used_reason(status: PracticeAlertStatus, claims: LinkClaims) -> str | None:
    """Why a practice alert link's moment has passed (None while the stage can respond)."""
    if status.state == "finalised":
        return "The practice alert is finalised: this link has been used or is no longer needed."
    if status.current_stage != claims.stage:
        return (
            "The practice alert has moved on to another stage since this link was sent: this link"
            f" has been used. It is now at {status.current_stage_title or status.current_stage}."
        )
    if status.state == "awaiting_finalisation":
        return "This stage has responded: this link has been used. The raising chair decides next."
    return None


async def _form(request: web.Request) -> dict[str, str]:
    """The posted form's fields as text."""
    return {k: str(v) for k, v in (await request.post()).items()}


def _problems(exc: ValidationError) -> str:
    """Each refused field and the reason, for the form's error line."""
    return "; ".join(f"{e['loc'][0] if e['loc'] else 'form'}: {plain(e)}" for e in exc.errors())


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def _too_large() -> web.Response:
    """The page for a request body over ``MAX_REQUEST_BYTES`` (nothing read, nothing sent)."""
    log.warning("decision page: request body over %d bytes refused", MAX_REQUEST_BYTES)
    return _html(
        pages.notice(
            "too-large",
            "The form is too large",
            f"The decision page accepts at most {MAX_REQUEST_BYTES // 1024} KB of form data,"
            " and each text at most 10,000 characters. Shorten the text and send it again.",
        ),
        413,
    )


def create_app(client: EscalationClient, secret: str, clock: Clock = _utcnow) -> web.Application:
    """The application.

    Args:
        client: The SDK client (its task queue is where the workers listen).
        secret: ``ESCALATION_LINK_SECRET``, the HMAC key links are signed with.
        clock: Wall-clock "now" for link expiry.
    """
    if not secret:
        raise ValueError("ESCALATION_LINK_SECRET: the decision page needs the link secret")

    @web.middleware
    async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        # A declared length over the cap is refused before anything else happens; a body
        # without one (chunked) is cut off by aiohttp at ``client_max_size`` when read.
        length = request.content_length
        try:
            if length is not None and length > MAX_REQUEST_BYTES:
                raise web.HTTPRequestEntityTooLarge(MAX_REQUEST_BYTES, length)
            response = await handler(request)
        except web.HTTPRequestEntityTooLarge:
            response = _too_large()
        response.headers.update(SECURITY_HEADERS)
        return response

    alerts = PracticeAlertClient(client.client, client.task_queue)

    def claims_of(request: web.Request) -> LinkClaims | web.Response:
        """The link's claims, or the page saying it is expired or forged."""
        try:
            return verify(request.match_info["token"], secret, clock())
        except LinkError as exc:
            title = "This link has expired" if exc.kind == "expired" else "This link is not valid"
            log.warning("decision link refused: %s", exc.kind)
            return _html(
                pages.notice(exc.kind, title, str(exc) + "."), 410 if exc.kind == "expired" else 403
            )

    async def checked(
        claims: LinkClaims,
        fetch: Callable[[str], Awaitable[S]],
        used: Callable[[S, LinkClaims], str | None],
    ) -> S | web.Response:
        """The case (or alert) a link is for, or the page saying why it cannot be used."""
        try:
            status = await fetch(claims.workflow_id)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return _html(
                    pages.notice("not-found", "No such case", "This case no longer exists."), 404
                )
            raise
        if not status.stages and status.state == "open":
            return _html(
                pages.notice(
                    "opening", "The case is still opening", "Try this link again in a minute."
                ),
                503,
            )
        if (reason := used(status, claims)) is not None:
            return _html(pages.notice("used", "This link has been used", reason), 410)
        return status

    async def link_page(request: web.Request) -> web.Response:
        """GET shows, POST records: a disagreement's decision or an alert stage's response."""
        claims = claims_of(request)
        if isinstance(claims, web.Response):
            return claims
        if claims.action == "respond":
            alert = await checked(claims, alerts.status, alert_used_reason)
            if isinstance(alert, web.Response):
                return alert
            return await respond(request, claims, alert)
        if claims.action == "chair":
            alert = await checked(claims, alerts.status, chair_used_reason)
            if isinstance(alert, web.Response):
                return alert
            return await chair(request, claims, alert)
        case = await checked(claims, client.status, used_reason)
        if isinstance(case, web.Response):
            return case
        if request.method != "POST":
            return _html(pages.decision_page(case, claims, _zone(case.procedure)))
        return await decide(request, claims, case)

    async def chair(
        request: web.Request, claims: LinkClaims, status: PracticeAlertStatus
    ) -> web.Response:
        """The raising chair's choices after a missed response: send it up, or finalise."""
        zone = _zone(status.procedure)
        serious = alerts.serious_stages(status.procedure)
        if request.method != "POST":
            return _html(pages.chair_page(status, claims, zone, serious))
        field = await _form(request)
        kind, wid = field.get("decision", ""), claims.workflow_id
        try:
            if kind == "escalate":
                escalated = NotSatisfied(
                    by=claims.email,
                    reason=field.get("reason", ""),
                    to_stage=field.get("to_stage") or None,
                )
                receipt = await alerts.not_satisfied(wid, escalated)
            elif kind == "finalise":
                receipt = await alerts.finalise(
                    wid, Finalise(by=claims.email, text=field.get("text", ""))
                )
            else:
                error = f"decision: '{kind}' is not allowed"
                return _html(pages.chair_page(status, claims, zone, serious, error), 400)
        except ValidationError as exc:
            return _html(pages.chair_page(status, claims, zone, serious, _problems(exc)), 400)
        except DecisionRefused as exc:
            log.info("chair's decision refused by %s: %s", wid, exc)
            return _html(pages.alert_result_page(status, False, str(exc), zone), 409)
        after = await alerts.status(wid)
        message = receipt.message if receipt is not None else "recorded"
        return _html(pages.alert_result_page(after, True, message, zone))

    async def respond(
        request: web.Request, claims: LinkClaims, status: PracticeAlertStatus
    ) -> web.Response:
        """Show the alert, or record the stage's response as the alert's Update."""
        zone = _zone(status.procedure)
        if request.method != "POST":
            return _html(pages.alert_page(status, claims, zone))
        field = await _form(request)
        if field.get("decision") != "respond":
            kind = field.get("decision", "")
            return _html(
                pages.alert_page(status, claims, zone, f"decision: '{kind}' is not allowed"), 400
            )
        wid = claims.workflow_id
        try:
            response = AlertResponse(
                by=f"{claims.email} (decision page)",
                text=field.get("text", ""),
                stage=claims.stage,
            )
            receipt = await alerts.respond(wid, response)
        except ValidationError as exc:
            return _html(pages.alert_page(status, claims, zone, _problems(exc)), 400)
        except DecisionRefused as exc:
            log.info("alert response refused by %s: %s", wid, exc)
            return _html(pages.alert_result_page(status, False, str(exc), zone), 409)
        after = await alerts.status(wid)
        message = receipt.message if receipt is not None else "recorded"
        log.info("alert response accepted by %s at stage %s", wid, claims.stage)
        return _html(pages.alert_result_page(after, True, message, zone))

    async def decide(
        request: web.Request, claims: LinkClaims, status: DisagreementStatus
    ) -> web.Response:
        """Record the disagreement's decision (or confirmation) as the workflow's Update."""
        zone = _zone(status.procedure)
        field = await _form(request)
        by = f"{claims.email} (decision page)"
        kind = field.get("decision", "")
        wid = claims.workflow_id
        receipt: DecisionReceipt | None
        try:
            if claims.action == "confirm" and kind == "confirmed":
                receipt = await client.confirm(
                    wid, Confirmed(by=by, text=field.get("text") or None, stage=claims.stage)
                )
            elif claims.action == "decide" and kind == "resolved":
                decision = Resolved(
                    by=by,
                    outcome=field.get("outcome", ""),
                    outstanding=field.get("outstanding") or None,
                    stage=claims.stage,
                )
                receipt = await client.resolve(wid, decision)
            elif claims.action == "decide" and kind == "unresolved":
                receipt = await client.unresolve(
                    wid, Unresolved(by=by, reason=field.get("reason", ""), stage=claims.stage)
                )
            elif claims.action == "decide" and kind == "agree_timescale":
                days = field.get("working_days", "").strip()
                agreed = AgreeTimescale(
                    by=by,
                    reason=field.get("agree_reason", ""),
                    working_days=int(days) if days.isdigit() else None,
                    stage=claims.stage,
                )
                receipt = await client.agree_timescale(wid, agreed)
            else:
                return _html(
                    pages.decision_page(status, claims, zone, f"decision: '{kind}' is not allowed"),
                    400,
                )
        except ValidationError as exc:
            return _html(pages.decision_page(status, claims, zone, _problems(exc)), 400)
        except DecisionRefused as exc:
            log.info("decision refused by %s: %s", wid, exc)
            return _html(
                pages.result_page(status, False, str(exc), status.case_reference, zone), 409
            )
        after = await client.status(wid)
        message = receipt.message if receipt is not None else "recorded"
        log.info("decision %s accepted by %s at stage %s", kind, wid, claims.stage)
        return _html(pages.result_page(after, True, message, status.case_reference, zone))

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def home(_: web.Request) -> web.Response:
        # The address the dev banner and a curious user open: say what this is, not 404.
        return _html(render("home.html", title="Safeguarding escalation: decision page"))

    app = web.Application(middlewares=[headers], client_max_size=MAX_REQUEST_BYTES)
    app.router.add_get("/d/{token}", link_page)
    app.router.add_post("/d/{token}", link_page)
    app.router.add_get("/health", health)
    app.router.add_get("/", home)
    return app


async def serve(
    client: EscalationClient, secret: str, host: str, port: int, stop: asyncio.Event
) -> None:
    """Run the page until ``stop`` is set (``escalation web``)."""
    runner = web.AppRunner(create_app(client, secret))
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("decision page on http://%s:%d", host, port)
        await stop.wait()
    finally:
        await runner.cleanup()
