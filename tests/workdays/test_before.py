""" "N working days before an event": reports due before a child protection conference.

The rule (workdays/calendar.py): close of business on the N-th working day before the
event's effective day. Every case is checked against the England & Wales bank holidays.
"""

from __future__ import annotations

from datetime import date

import pytest
from temporalio.testing import ActivityEnvironment

from activities.calendar import CalendarActivities
from models.calendar import CalendarSpec, DeadlineRequest
from workdays.calendar import load_calendar, plan_deadline


def before(event: str, n: int, spec: CalendarSpec | None = None) -> str:
    req = DeadlineRequest(
        calendar=spec or CalendarSpec(), start=event, working_days=n, direction="before"
    )
    return plan_deadline(req).due_at.isoformat()


@pytest.mark.parametrize(
    ("event", "n", "expected"),
    [
        # Plain week: Thursday conference, 2 days before → Tuesday.
        ("2026-03-12T10:00", 2, "2026-03-10T17:00:00+00:00"),
        # Early May bank holiday (Mon 4 May 2026) is skipped: Fri 1 May, Thu 30 Apr.
        ("2026-05-05T10:00", 2, "2026-04-30T17:00:00+01:00"),
        # Review conference after Christmas: 28 and 25 Dec are bank holidays.
        ("2026-12-29T10:00", 5, "2026-12-18T17:00:00+00:00"),
        ("2026-12-29T10:00", 3, "2026-12-22T17:00:00+00:00"),
        # Good Friday 3 Apr and Easter Monday 6 Apr 2026.
        ("2026-04-07T09:30", 2, "2026-04-01T17:00:00+01:00"),
        # A conference after close of business counts from the next working day.
        ("2026-03-12T18:00", 2, "2026-03-11T17:00:00+00:00"),
        # At exactly close of business it is still that day.
        ("2026-03-12T17:00", 2, "2026-03-10T17:00:00+00:00"),
        # A Saturday conference counts from Monday: 2 before is Thursday.
        ("2026-03-14T10:00", 2, "2026-03-12T17:00:00+00:00"),
        # N = 0 is close of business on the effective day itself.
        ("2026-03-12T10:00", 0, "2026-03-12T17:00:00+00:00"),
        # Across New Year (1 Jan 2027 is a Friday bank holiday) and the clock change.
        ("2027-01-05T10:00", 3, "2026-12-30T17:00:00+00:00"),
        ("2026-03-31T10:00", 2, "2026-03-27T17:00:00+00:00"),
        # Aware input in UTC is read in local time (10:00 BST).
        ("2026-06-11T09:00:00+00:00", 2, "2026-06-09T17:00:00+01:00"),
    ],
)
def test_n_working_days_before_a_conference(event: str, n: int, expected: str) -> None:
    assert before(event, n) == expected


def test_partnership_closure_days_are_not_working_days() -> None:
    spec = CalendarSpec(extra_closure_days=[date(2026, 3, 11)])
    assert before("2026-03-12T10:00", 2, spec) == "2026-03-09T17:00:00+00:00"


def test_before_is_the_inverse_of_after_on_working_days() -> None:
    cal = load_calendar(CalendarSpec(), range(2025, 2028))
    d = date(2026, 1, 2)
    while d < date(2027, 1, 1):
        if cal.is_working_day(d):
            for n in (0, 2, 3, 5):
                assert cal.add_working_days(cal.subtract_working_days(d, n), n) == d
        d = date.fromordinal(d.toordinal() + 1)


def test_a_long_count_back_loads_earlier_years() -> None:
    # 300 working days before early 2027 reaches back into 2025, beyond the first load.
    due = before("2027-01-05T10:00", 300)
    assert due.startswith("2025-")


def test_before_gives_one_reminder_on_the_morning_it_is_due() -> None:
    plan = plan_deadline(
        DeadlineRequest(
            start="2026-05-05T10:00", working_days=2, direction="before", reminders=True
        )
    )
    assert plan.effective_day == date(2026, 5, 5)
    assert [(r.kind, r.at.isoformat()) for r in plan.reminders] == [
        ("last_day", "2026-04-30T09:00:00+01:00")
    ]


def test_negative_count_is_refused() -> None:
    cal = load_calendar(CalendarSpec(), range(2026, 2027))
    with pytest.raises(ValueError, match="must not be negative"):
        cal.subtract_working_days(date(2026, 3, 12), -1)


async def test_the_activity_answers_before_requests() -> None:
    plan = await ActivityEnvironment().run(
        CalendarActivities().plan_deadline,
        DeadlineRequest(start="2026-12-29T10:00", working_days=5, direction="before"),
    )
    assert plan.due_at.isoformat() == "2026-12-18T17:00:00+00:00"
    assert plan.working_days == 5
