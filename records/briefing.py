"""The conference briefing: a case's practice alerts since the last meeting, in plain words.

Rutland's chair "should verbally inform the members of a Child Protection
Conference or Children Looked After Review of any practice alerts they have
raised since the previous meeting". ``briefing`` gives the sentences to read
out: each alert raised, each response (in time or late), each time an alert
went up a stage (and why), each missed deadline and each finalisation, from the
database only. The case is named by its reference, never by the child's name;
the alert's own description is left out (the reason code's title says what it
is about), while a response or the chair's reason is quoted as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from records.alert_view import AlertPacks, short_title
from records.schema import AlertStep, PracticeAlertRow

QUIET = frozenset({"reminder", "rejected_input", "calendar_changed", "deadline_changed"})
"""Steps that are not news for a conference: they never make a sentence."""


def long_day(t: datetime) -> str:
    """'Tuesday 8 December 2026'."""
    return f"{t:%A} {t.day} {t:%B %Y}"


def _quote(text: str | None) -> str:
    """A text as written, on one line (one sentence is one line of the briefing)."""
    return " ".join((text or "").split())


@dataclass
class _Alert:
    """One alert being told: its row, its steps, its zone and titles."""

    row: PracticeAlertRow
    steps: list[AlertStep]
    zone: ZoneInfo
    packs: AlertPacks
    introduced: bool = False

    def local(self, t: datetime) -> datetime:
        return t.astimezone(self.zone)

    def day(self, t: datetime) -> str:
        """'11 December', with the year when it is not the year the alert was raised."""
        local, raised = self.local(t), self.local(self.row.raised_at)
        return f"{local.day} {local:%B}" + (f" {local.year}" if local.year != raised.year else "")

    def weekday(self, t: datetime | None) -> str:
        """'Monday 14 December' (a deadline)."""
        return f"{self.local(t):%A} {self.day(t)}" if t else "no deadline"

    def stage(self, stage_id: str | None) -> str:
        return short_title(self.packs.stage_title(self.row.procedure, stage_id))

    @property
    def reason(self) -> str:
        r = self.row
        return self.packs.reason_title(r.procedure, r.reason_code, r.reason_title)

    def ref(self) -> str:
        """'the alert', or on first mention of an alert raised earlier, which one it is."""
        if self.introduced:
            return "the alert"
        self.introduced = True
        raised = self.local(self.row.raised_at)
        return f"the practice alert of {raised.day} {raised:%B %Y} ({self.reason})"

    def after(self, i: int) -> AlertStep | None:
        """The next step after ``i`` that is news."""
        return next((s for s in self.steps[i + 1 :] if s.kind not in QUIET), None)


def _sentence(a: _Alert, i: int) -> str | None:
    """What step ``i`` says, or None if it says nothing new (or is told with another step)."""
    step, nxt = a.steps[i], a.after(i)
    on = f"On {a.day(step.at)}"
    if step.kind == "raised":
        a.introduced = True
        entered = nxt if nxt is not None and nxt.kind == "stage_entered" else None
        kind = "serious or urgent practice alert" if a.row.serious_or_urgent else "practice alert"
        due = (
            f" ({a.stage(step.stage_id)} to respond by {a.weekday(entered.due_at)})"
            if entered
            else ""
        )
        who = step.actor or a.row.raised_by
        return f"On {long_day(a.local(a.row.raised_at))} {who} raised a {kind}: {a.reason}{due}."
    if step.kind == "response":
        timing = "in time" if step.in_time else "late"
        to = "" if a.introduced else f" to {a.ref()}"
        said = f": {_quote(step.text)}" if _quote(step.text) else ""
        return f"{on} the {a.stage(step.stage_id)} responded {timing}{to}{said}."
    if step.kind in ("deadline_missed", "overdue"):
        if nxt is not None and nxt.kind == "stage_entered" and step.kind == "deadline_missed":
            return None  # told as the alert going up
        told = ("deadline_missed", "overdue")
        if any(s.kind in told and s.stage_id == step.stage_id for s in a.steps[:i]):
            return None  # a stage misses its deadline once
        return (
            f"{on} the {a.stage(step.stage_id)} had not responded to {a.ref()} "
            f"by the deadline ({a.weekday(step.due_at)})."
        )
    if step.kind == "not_satisfied":
        if nxt is not None and nxt.kind == "stage_entered":
            return None  # told as the alert going up
        why = _quote(step.text)
        return f"{on} {step.actor} was not satisfied with the response to {a.ref()}: {why}."
    if step.kind == "stage_entered":
        before = next((s for s in reversed(a.steps[:i]) if s.kind not in QUIET), None)
        if before is None or before.kind == "raised":
            return None  # the first stage: told as the alert being raised
        up = f"went up to the {a.stage(step.stage_id)} (to respond by {a.weekday(step.due_at)})"
        if before.kind == "not_satisfied":
            why = _quote(before.text)
            if (before.data or {}).get("after_response") == "false":
                # The chair sent it up without a response (after the deadline, or serious).
                sent = f"sent {a.ref()} up to the {a.stage(step.stage_id)}"
                return (
                    f"{on} {before.actor} {sent} (to respond by {a.weekday(step.due_at)}): {why}."
                )
            return f"{on} {before.actor} was not satisfied and {a.ref()} {up}: {why}."
        if before.kind == "deadline_missed":
            return f"{on} {a.ref()} {up}: no response by the deadline."
        return f"{on} {a.ref()} {up}."
    if step.kind == "finalised":
        return f"{on} {step.actor or a.row.raised_by} finalised {a.ref()}."
    return None


async def briefing(
    sessionmaker: async_sessionmaker[AsyncSession], case_reference: str, since: date | None = None
) -> list[str]:
    """The sentences for ``case_reference``'s practice alerts since ``since`` (all if None).

    ``since`` is a day: events from its local midnight on (the alert's pack
    calendar zone) are told. Alerts come in the order raised, each alert's events
    in the order they happened; an empty list means nothing happened.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database cannot be read.
    """
    async with sessionmaker() as session:
        rows = list(
            await session.scalars(
                select(PracticeAlertRow)
                .where(PracticeAlertRow.case_reference == case_reference)
                .order_by(PracticeAlertRow.raised_at, PracticeAlertRow.id)
            )
        )
        steps: dict[str, list[AlertStep]] = {r.workflow_id: [] for r in rows}
        if rows:
            for step in await session.scalars(
                select(AlertStep)
                .where(AlertStep.workflow_id.in_(list(steps)))
                .order_by(AlertStep.id)
            ):
                steps[step.workflow_id].append(step)
    packs, out = AlertPacks(), []
    for row in rows:
        zone = packs.zone(row.procedure)
        start = datetime.combine(since, time(), zone) if since else None
        alert = _Alert(row, steps[row.workflow_id], zone, packs)
        for i, step in enumerate(alert.steps):
            # The raising is told at the moment the alert was raised (it may be recorded later).
            when = row.raised_at if step.kind == "raised" else step.at
            if start is not None and when < start:
                continue
            if (sentence := _sentence(alert, i)) is not None:
                out.append(sentence)
    return out


def nothing_since(case_reference: str, since: date | None) -> str:
    """The line to read out when nothing happened."""
    when = f" since {since:%A} {since.day} {since:%B %Y}" if since else ""
    return (
        f"No practice alert on case {case_reference} was raised, answered, escalated or "
        f"finalised{when}."
    )
