"""A closure day added from the console: checked as the command checks it, stored, told.

The checks are ``escalation calendar add-closure``'s own (``parse_dates``: a real
date, not past, not over two years ahead; the reason and who as every case will
check them, ``CalendarChange``), reworded for a form field. Who adds it is the
signed-in person, never a typed name.

The running cases of the partnership are read from the records (disagreements still
open or awaiting written confirmation, practice alerts not finalised) rather than
from Temporal's visibility: the console reads the records for everything else, and
they hold the case reference the page links to. Each case is then sent the
``change_calendar`` Update (``starter.calendar_changes.send_change``); a case the
records call open but Temporal has ended answers with a refusal or an error, shown
on its line, and never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console.packs_of import same_partnership
from models.calendar import CalendarChange
from models.pack import PolicyPack
from models.plain_errors import plain
from records.schema import Disagreement, PracticeAlertRow
from starter.calendar_changes import CaseOutcome, RunningCase
from starter.cli_calendar import parse_dates
from workdays.calendar import load_calendar
from workflows.search_attributes import local_deadline

RUNNING_CASE_STATES = ("open", "resolved")
"""A disagreement resolved but awaiting its written confirmation still has a deadline."""
RUNNING_ALERT_STATES = ("open", "awaiting_finalisation")


@dataclass(frozen=True)
class ClosureRequest:
    """A closure the form asked for, checked: the day and the change every case receives."""

    day: date
    change: CalendarChange


def check_closure(
    day_text: str, reason: str, by: str, today: date
) -> tuple[ClosureRequest | None, list[str]]:
    """The checked closure, or every reason it is refused (each naming its field)."""
    errors = []
    days: list[date] = []
    if not day_text.strip():
        errors.append("date: give the day the offices close, as YYYY-MM-DD")
    else:
        days, date_errors = parse_dates([day_text], today)
        errors += [e.replace("--date: ", "date: ", 1) for e in date_errors]
    if not reason.strip():
        errors.append("reason: must not be empty (it goes in every case's record)")
    change = None
    try:
        change = CalendarChange(by=by.strip(), reason=reason.strip(), closure_days=days)
    except ValidationError as exc:
        errors += [f"{e['loc'][0]}: {plain(e)}" for e in exc.errors() if e["loc"]]
    if errors or change is None or not days:
        return None, errors
    return ClosureRequest(days[0], change), []


@dataclass(frozen=True)
class OpenCase:
    """A running case of the partnership, as the records know it."""

    running: RunningCase
    case_reference: str


async def open_cases(
    sessions: async_sessionmaker[AsyncSession], partnership: str, packs: dict[str, PolicyPack]
) -> list[OpenCase]:
    """The partnership's disagreements and practice alerts the records say are running.

    A practice alert's partnership is its procedure's pack's.
    """
    procedures = [p for p, pack in packs.items() if same_partnership(pack.partnership, partnership)]
    async with sessions() as session:
        cases = await session.execute(
            select(Disagreement.workflow_id, Disagreement.case_reference, Disagreement.procedure)
            .where(
                Disagreement.state.in_(RUNNING_CASE_STATES),
                Disagreement.procedure.in_(procedures),
            )
            .order_by(Disagreement.workflow_id)
        )
        found = [OpenCase(RunningCase(w, "Disagreement", p), ref) for w, ref, p in cases]
        alerts = await session.execute(
            select(
                PracticeAlertRow.workflow_id,
                PracticeAlertRow.case_reference,
                PracticeAlertRow.procedure,
            )
            .where(
                PracticeAlertRow.state.in_(RUNNING_ALERT_STATES),
                PracticeAlertRow.procedure.in_(procedures),
            )
            .order_by(PracticeAlertRow.workflow_id)
        )
        found += [OpenCase(RunningCase(w, "PracticeAlert", p), ref) for w, ref, p in alerts]
    return found


@dataclass(frozen=True)
class OutcomeLine:
    """One line of what a case answered: the case, the deadline, and old → new or why not."""

    workflow_id: str
    case_reference: str
    deadline: str
    result: str
    kind: str
    """'moved', 'unchanged', 'refused' or 'no answer'."""


def outcome_lines(
    outcomes: list[CaseOutcome], references: dict[str, str], packs: dict[str, PolicyPack]
) -> list[OutcomeLine]:
    """Each case's answer in the case's own local time, one line per moved deadline."""
    lines = []
    for outcome in outcomes:
        wid = outcome.case.workflow_id
        ref = references.get(wid, wid)
        pack = packs.get(outcome.case.procedure or "")
        zone = pack.calendar.timezone if pack is not None else "Europe/London"
        if outcome.refused is not None:
            lines.append(OutcomeLine(wid, ref, "", f"refused: {outcome.refused}", "refused"))
        elif outcome.error is not None:
            lines.append(OutcomeLine(wid, ref, "", f"no answer: {outcome.error}", "no answer"))
        elif outcome.receipt is None or not outcome.receipt.moved:
            lines.append(
                OutcomeLine(wid, ref, "", "unchanged: no pending deadline moves", "unchanged")
            )
        else:
            for m in outcome.receipt.moved:
                what = m.deadline + (f" ({m.stage_id})" if m.stage_id else "")
                result = (
                    f"{local_deadline(m.old_due_at, zone)} → {local_deadline(m.new_due_at, zone)}"
                )
                lines.append(OutcomeLine(wid, ref, what, result, "moved"))
    return lines


def day_notes(day: date, already: bool, pack: PolicyPack) -> str:
    """'already stored', 'not a working day anyway', as the command says them."""
    notes = []
    if already:
        notes.append("already stored")
    if not load_calendar(pack.calendar).is_working_day(day):
        notes.append("not a working day anyway")
    return f" ({'; '.join(notes)})" if notes else ""
