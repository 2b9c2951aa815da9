"""Pure helpers for a calendar change under a running case (disagreement or practice alert).

Both workflows' ``change_calendar`` updates add closure days to the case's own
calendar and re-project pending deadlines in the calendar activity; these functions
build the calendar they ask with, the record of what moved and the wording of the
email, with no Temporal and no I/O. Only the case reference ever identifies the case.
"""

from __future__ import annotations

from datetime import date, datetime

from models.calendar import CalendarChange, CalendarSpec, RescheduledDeadline
from models.status import DeadlineChange
from workflows.text import local_date, local_text


def with_closures(calendar: CalendarSpec, closures: list[date]) -> CalendarSpec:
    """The pack's calendar plus the closure days announced while the case runs."""
    if not closures:
        return calendar
    days = sorted({*calendar.extra_closure_days, *closures})
    return calendar.model_copy(update={"extra_closure_days": days})


def moved_lines(
    case_reference: str,
    change: CalendarChange,
    moved: list[RescheduledDeadline],
    stage_title: str,
) -> list[str]:
    """The body of the 'deadline moved' email: why, old and new deadline, who changed it."""
    closed = ", ".join(local_date(d) for d in sorted(change.closure_days))
    return [
        f"The working-day calendar for the practice alert on case {case_reference} has "
        f"changed: {change.reason}" + (f" (now closed: {closed})." if closed else "."),
        *(
            f"{stage_title}: the response was due {local_text(m.old_due_at)}; it is now due "
            f"{local_text(m.new_due_at)}."
            for m in moved
        ),
        f"Changed by {change.by}.",
    ]


def change_data(change: CalendarChange, moved: list[RescheduledDeadline]) -> dict[str, str]:
    """The ``calendar_changed`` record row's data: the days now closed and how much moved."""
    return {
        "closure_days": ", ".join(d.isoformat() for d in sorted(change.closure_days)),
        "moved": str(len(moved)),
    }


def moved_data(m: RescheduledDeadline) -> dict[str, str]:
    """A ``deadline_changed`` row's data: which deadline, its old value, and the cause."""
    return {"old_due_at": m.old_due_at.isoformat(), "deadline": m.deadline, "cause": "calendar"}


def deadline_changes(
    change: CalendarChange, moved: list[RescheduledDeadline], now: datetime
) -> list[DeadlineChange]:
    """The status entries for what moved: old and new deadline, by whom and why."""
    return [
        DeadlineChange(
            at=now,
            stage_id=m.stage_id or "",
            deadline=m.deadline,
            old_due_at=m.old_due_at,
            new_due_at=m.new_due_at,
            by=change.by,
            reason=change.reason,
        )
        for m in moved
    ]
