"""Administration: closure days, the contact directory and the local settings, for the
partnership's Business Manager only.

Anyone else is refused with the reason, and the refusal is recorded like every action
(``console.audit``). Each action acts on one of the person's own partnerships, chosen
on the form and checked again when it arrives; what the person types is checked as
the matching command checks it (``console.closure_change``, ``console.contact_import``)
and refused in words with nothing stored; who acted is the signed-in identity.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from console.access import Identity
from console.audit import Outcome, record_action
from console.closure_change import check_closure, day_notes, open_cases, outcome_lines
from console.contact_import import EXPECTED_COLUMNS, check_file, decode
from console.guard import checked_form, identity
from console.local_figures import figures_of
from console.packs_of import packs_of
from console.pages import page, refused
from console.state import STATE, ConsoleState
from models.contacts import ContactEntry
from models.plain_errors import plain
from records.closures import ClosureStore
from records.contacts import upsert_contacts
from records.schema import Contact
from starter.calendar_changes import send_change
from workflows.text import local_date

log = logging.getLogger("escalation.console")

routes = web.RouteTableDef()

PER_CASE_SECONDS = 30.0
"""How long one case may take to answer a calendar change before the page says so."""


class NotManager(Exception):
    """The person is not the Business Manager of the partnership (or of any)."""


async def _refuse(request: web.Request, action: str, target: str, reason: str) -> web.Response:
    who = identity(request)
    await record_action(
        request.app[STATE].sessions,
        who,
        partnership="; ".join(who.partnerships()) or "-",
        action=action,
        target=target,
        outcome="refused",
        detail=reason,
    )
    return await refused(request, reason)


def _managed(who: Identity) -> list[str]:
    return who.partnerships("business_manager")


async def _guard(request: web.Request, action: str, target: str) -> web.Response | None:
    """The refusal page (recorded) for anyone who is not a Business Manager anywhere."""
    if _managed(identity(request)):
        return None
    return await _refuse(
        request,
        action,
        target,
        "Administration is for the partnership's Business Manager: your role does not "
        "include it, so nothing was shown or changed.",
    )


async def _record(
    request: web.Request, partnership: str, action: str, target: str, outcome: Outcome, detail: str
) -> None:
    await record_action(
        request.app[STATE].sessions,
        identity(request),
        partnership=partnership,
        action=action,
        target=target,
        outcome=outcome,
        detail=detail,
    )


@routes.get("/admin")
async def admin(request: web.Request) -> web.StreamResponse:
    """What the Business Manager looks after here."""
    if (no := await _guard(request, "open_admin", "/admin")) is not None:
        return no
    return await page(
        request, "admin.html", title="Administration", managed=_managed(identity(request))
    )


# ---------------------------------------------------------------- closures


async def _closures_page(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    state = request.app[STATE]
    managed = _managed(identity(request))
    store = ClosureStore(state.sessions)
    stored = [c for p in managed for c in await store.all(p)]
    context.setdefault("form", {"partnership": managed[0], "date": "", "reason": ""})
    context.setdefault("errors", [])
    context.setdefault("result", None)
    return await page(
        request,
        "admin_closures.html",
        title="Closure days",
        status=status,
        managed=managed,
        closures=stored,
        **context,
    )


@routes.get("/admin/closures")
async def closures(request: web.Request) -> web.StreamResponse:
    """The partnership's closure days and the form to add one."""
    if (no := await _guard(request, "open_admin", "/admin/closures")) is not None:
        return no
    return await _closures_page(request)


def _today(state: ConsoleState, zone: str) -> datetime:
    return state.clock().astimezone(ZoneInfo(zone))


@routes.post("/admin/closures")
async def add_closure(request: web.Request) -> web.StreamResponse:
    """Store a closure day, then tell the partnership's running cases and show each answer."""
    form = await checked_form(request)
    state = request.app[STATE]
    who = identity(request)
    partnership = form.get("partnership", "")
    day_text, reason = form.get("date", ""), form.get("reason", "")
    if (no := await _guard(request, "add_closure", day_text)) is not None:
        return no
    if partnership not in _managed(who):
        return await _refuse(
            request,
            "add_closure",
            day_text,
            f"partnership: you are not the Business Manager of '{partnership}'; nothing stored.",
        )
    packs = packs_of(state, [partnership])
    if not packs:
        errors = [f"partnership: no procedure names '{partnership}', so no calendar to close"]
        await _record(request, partnership, "add_closure", day_text, "refused", errors[0])
        return await _closures_page(request, 400, form=form, errors=errors)
    first = packs[sorted(packs)[0]]
    today = _today(state, first.calendar.timezone).date()
    checked, errors = check_closure(day_text, reason, who.email, today)
    if checked is None:
        await _record(request, partnership, "add_closure", day_text, "refused", "; ".join(errors))
        return await _closures_page(request, 400, form=form, errors=errors)
    try:
        new = await ClosureStore(state.sessions).add(
            partnership, [checked.day], checked.change.reason, checked.change.by
        )
        cases = await open_cases(state.sessions, partnership, packs)
    except SQLAlchemyError as exc:
        log.error("console: closure not stored: %s", exc)
        why = "The records cannot be written just now: nothing was stored and no case was told."
        await _record(request, partnership, "add_closure", day_text, "failed", why)
        return await _closures_page(request, 503, form=form, errors=[why])
    stored = (
        f"Stored closure {local_date(checked.day)} for {partnership}"
        f"{day_notes(checked.day, not new, first)}."
    )
    outcomes = await send_change(
        state.cases.client,
        state.cases.task_queue,
        [c.running for c in cases],
        checked.change,
        PER_CASE_SECONDS,
    )
    lines = outcome_lines(outcomes, {c.running.workflow_id: c.case_reference for c in cases}, packs)
    counts = {k: sum(1 for o in outcomes if _kind(o) == k) for k in ("moved", "unchanged")}
    counts["refused"] = sum(1 for o in outcomes if o.refused is not None)
    counts["no answer"] = sum(1 for o in outcomes if o.error is not None)
    summary = f"{len(outcomes)} running case(s): " + ", ".join(
        f"{n} {k}" for k, n in counts.items()
    )
    await _record(
        request,
        partnership,
        "add_closure",
        checked.day.isoformat(),
        "accepted",
        f"{stored} {summary}",
    )
    result = {"stored": stored, "summary": summary, "lines": lines}
    return await _closures_page(
        request, form={"partnership": partnership, "date": "", "reason": ""}, result=result
    )


def _kind(outcome: Any) -> str:
    if outcome.receipt is None:
        return "other"
    return "moved" if outcome.receipt.moved else "unchanged"


# ---------------------------------------------------------------- contacts


async def _contacts_page(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    state = request.app[STATE]
    managed = _managed(identity(request))
    wanted = [p.casefold() for p in managed]
    async with state.sessions() as session:
        rows = (
            await session.scalars(
                select(Contact)
                .where(func.lower(Contact.partnership).in_([p.lower() for p in managed]))
                .order_by(Contact.partnership, Contact.agency, Contact.role)
            )
        ).all()
    contacts = [c for c in rows if c.partnership.casefold() in wanted]
    context.setdefault("errors", [])
    context.setdefault("imported", None)
    return await page(
        request,
        "admin_contacts.html",
        title="Contact directory",
        status=status,
        contacts=contacts,
        columns=EXPECTED_COLUMNS,
        **context,
    )


@routes.get("/admin/contacts")
async def contacts(request: web.Request) -> web.StreamResponse:
    """The directory of the person's partnerships, the import form and links to edit."""
    if (no := await _guard(request, "open_admin", "/admin/contacts")) is not None:
        return no
    return await _contacts_page(request)


@routes.post("/admin/contacts/import")
async def import_contacts(request: web.Request) -> web.StreamResponse:
    """Import an uploaded CSV: every bad row named and nothing written, or every row written."""
    await checked_form(request)
    if (no := await _guard(request, "import_contacts", "upload")) is not None:
        return no
    managed = _managed(identity(request))
    posted = await request.post()
    upload = posted.get("file")
    name = getattr(upload, "filename", "") or "upload"
    partnership = "; ".join(managed)
    if not isinstance(upload, web.FileField) or not upload.filename:
        errors = ["file: choose the CSV file to import"]
    elif (text := decode(upload.file.read())) is None:
        errors = [f"file: {name} is not UTF-8 text (save it from the spreadsheet as CSV UTF-8)"]
    else:
        checked = check_file(text, managed)
        errors = checked.errors
    if errors:
        errors.append(f"nothing imported ({len(errors)} error(s))")
        await _record(request, partnership, "import_contacts", name, "refused", "; ".join(errors))
        return await _contacts_page(request, 400, errors=errors, file=name)
    try:
        added, updated = await upsert_contacts(request.app[STATE].sessions, checked.entries)
    except SQLAlchemyError as exc:
        log.error("console: contacts not imported: %s", exc)
        why = "The records cannot be written just now: nothing was imported."
        await _record(request, partnership, "import_contacts", name, "failed", why)
        return await _contacts_page(request, 503, errors=[why], file=name)
    done = f"{name}: {added} contact(s) added, {updated} updated"
    await _record(request, partnership, "import_contacts", name, "accepted", done)
    return await _contacts_page(request, imported=done)


async def _contact(request: web.Request) -> Contact | web.Response:
    """The entry the path names, if it is one of the person's partnerships'."""
    raw = request.match_info["contact_id"]
    action = "edit_contact" if request.method == "POST" else "open_admin"
    contact = None
    if raw.isdigit():
        async with request.app[STATE].sessions() as session:
            contact = await session.get(Contact, int(raw))
    if contact is None:
        return await refused(request, f"No contact entry {raw} exists.", status=404)
    managed = [p.casefold() for p in _managed(identity(request))]
    if contact.partnership.casefold() not in managed:
        return await _refuse(
            request,
            action,
            f"contact {raw}",
            f"This entry belongs to {contact.partnership}, whose directory you do not keep.",
        )
    return contact


@routes.get("/admin/contacts/{contact_id}")
async def contact(request: web.Request) -> web.StreamResponse:
    """One entry's form: the name and email of who holds the role."""
    if (no := await _guard(request, "open_admin", request.path)) is not None:
        return no
    found = await _contact(request)
    if isinstance(found, web.Response):
        return found
    form = {"name": found.name, "email": found.email}
    return await page(
        request,
        "admin_contact.html",
        title="Edit a contact",
        contact=found,
        form=form,
        errors=[],
        saved=None,
    )


@routes.post("/admin/contacts/{contact_id}")
async def edit_contact(request: web.Request) -> web.StreamResponse:
    """Save a new name and email for the role, checked as an imported row is."""
    form = await checked_form(request)
    if (no := await _guard(request, "edit_contact", request.path)) is not None:
        return no
    found = await _contact(request)
    if isinstance(found, web.Response):
        return found
    target = f"{found.role} of {found.agency or 'the partnership'}"
    errors: list[str] = []
    try:
        entry = ContactEntry(
            partnership=found.partnership,
            agency=found.agency,
            role=found.role,
            name=form.get("name", ""),
            email=form.get("email", ""),
        )
    except ValidationError as exc:
        errors = [
            f"{e['loc'][0]}: {'is empty' if e['type'] == 'string_too_short' else plain(e)}"
            for e in exc.errors()
            if e["loc"]
        ]
    status, saved = 400, None
    if not errors:
        await upsert_contacts(request.app[STATE].sessions, [entry])
        status, saved = 200, f"Saved: {entry.role} of {found.agency or 'the partnership'} is now "
        saved += f"{entry.name} <{entry.email}>."
        async with request.app[STATE].sessions() as session:
            found = await session.get(Contact, found.id) or found
    outcome: Outcome = "refused" if errors else "accepted"
    detail = "; ".join(errors) if errors else saved or ""
    await _record(request, found.partnership, "edit_contact", target, outcome, detail)
    return await page(
        request,
        "admin_contact.html",
        title="Edit a contact",
        status=status,
        contact=found,
        form=form,
        errors=errors,
        saved=saved,
    )


# ---------------------------------------------------------------- local settings


@routes.get("/admin/settings")
async def settings(request: web.Request) -> web.StreamResponse:
    """Every figure of the person's procedures and where each comes from (read-only)."""
    if (no := await _guard(request, "open_admin", "/admin/settings")) is not None:
        return no
    state = request.app[STATE]
    packs = packs_of(state, _managed(identity(request)))
    procedures = [figures_of(packs[p], state.local_dir) for p in sorted(packs)]
    return await page(request, "admin_settings.html", title="Local settings", procedures=procedures)
