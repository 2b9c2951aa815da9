"""Reminders: "halfway" through the stage's business time and the morning of the "last day"."""

from __future__ import annotations

from datetime import datetime

from models.calendar import CalendarSpec, DeadlineRequest
from workdays.calendar import load_calendar, plan_deadline


def reminders(start: str, n: int, **extra: object) -> list[tuple[str, str]]:
    plan = plan_deadline(DeadlineRequest(start=start, working_days=n, reminders=True, **extra))
    return [(r.kind, r.at.isoformat()) for r in plan.reminders]


def test_five_days_entered_monday_morning() -> None:
    # Mon 10-17 (7h) + Tue-Fri (32h) + Mon 9-17 (8h) = 47h; half = 23h30 → Thu 09:30.
    assert reminders("2026-01-12T10:00", 5) == [
        ("halfway", "2026-01-15T09:30:00+00:00"),
        ("last_day", "2026-01-19T09:00:00+00:00"),
    ]


def test_one_day_keeps_only_the_last_day() -> None:
    # 7h + 8h = 15h; half lands Tue 09:30, after the last-day reminder at 09:00.
    assert reminders("2026-01-12T10:00", 1) == [("last_day", "2026-01-13T09:00:00+00:00")]


def test_two_days() -> None:
    # 7h + 8h + 8h = 23h; half = 11h30 → Tue 13:30.
    assert reminders("2026-01-12T10:00", 2) == [
        ("halfway", "2026-01-13T13:30:00+00:00"),
        ("last_day", "2026-01-14T09:00:00+00:00"),
    ]


def test_same_working_day() -> None:
    # The last-day reminder would be before the start; halfway through 10:00-17:00 is 13:30.
    assert reminders("2026-01-12T10:00", 0) == [("halfway", "2026-01-12T13:30:00+00:00")]
    # Entered after close: the only business time is the due day itself.
    assert reminders("2026-01-12T18:00", 0) == [("last_day", "2026-01-13T09:00:00+00:00")]


def test_start_outside_business_hours_counts_from_the_next_opening() -> None:
    # Saturday start: Mon-Fri = 40h, half = 20h → Wed 13:00.
    assert reminders("2026-01-10T10:00", 4) == [
        ("halfway", "2026-01-14T13:00:00+00:00"),
        ("last_day", "2026-01-16T09:00:00+00:00"),
    ]
    assert reminders("2026-01-12T07:00", 4) == reminders("2026-01-12T09:00", 4)


def test_halfway_landing_at_close_of_business_stays_there() -> None:
    # Mon 09:00 + 1 day: 8h + 8h, half = 8h → Monday 17:00, not Tuesday 09:00.
    assert reminders("2026-01-12T09:00", 1) == [
        ("halfway", "2026-01-12T17:00:00+00:00"),
        ("last_day", "2026-01-13T09:00:00+00:00"),
    ]


def test_holidays_and_clock_change_are_skipped() -> None:
    # Thu 25 Mar 2027 10:00 + 3: Thu 7h, Tue 30 8h, Wed 31 8h, Thu 1 Apr 8h = 31h; half 15h30
    # → Wed 31 Mar 09:30 BST (Good Friday, Easter Monday and the weekend hold no business time).
    assert reminders("2027-03-25T10:00", 3) == [
        ("halfway", "2027-03-31T09:30:00+01:00"),
        ("last_day", "2027-04-01T09:00:00+01:00"),
    ]


def test_capped_due_moves_the_reminders() -> None:
    cap = datetime.fromisoformat("2026-01-14T12:00:00+00:00")
    # Mon 7h + Tue 8h + Wed 9-12 3h = 18h; half 9h → Tue 11:00.
    assert reminders("2026-01-12T10:00", 5, not_after=cap) == [
        ("halfway", "2026-01-13T11:00:00+00:00"),
        ("last_day", "2026-01-14T09:00:00+00:00"),
    ]


def test_cap_before_start_leaves_no_reminders() -> None:
    cap = datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    assert reminders("2026-01-12T10:00", 5, not_after=cap) == []


def test_reminders_method_directly() -> None:
    calendar = load_calendar(CalendarSpec(), [2026])
    start = datetime(2026, 1, 12, 10)
    kinds = [r.kind for r in calendar.reminders(start, calendar.deadline(start, 5), 5)]
    assert kinds == ["halfway", "last_day"]
