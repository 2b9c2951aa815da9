"""Properties every deadline must have, over random starts in the shipped years."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from models.calendar import CalendarSpec
from workdays.calendar import load_calendar

CAL = load_calendar(CalendarSpec(), range(2017, 2031))

naive_starts = st.datetimes(min_value=datetime(2018, 1, 1), max_value=datetime(2027, 12, 31))
aware_starts = naive_starts.map(lambda t: t.replace(tzinfo=UTC))
starts = st.one_of(naive_starts, aware_starts)
lengths = st.integers(min_value=0, max_value=40)


@settings(max_examples=150, deadline=None)
@given(start=starts, n=lengths)
def test_deadline_is_close_of_business_on_a_working_day_n_days_on(start: datetime, n: int) -> None:
    due = CAL.deadline(start, n)
    assert due.tzinfo is CAL.zone
    assert CAL.is_working_day(due.date())
    assert due.time() == CAL.spec.close_of_business
    assert due.utcoffset() in (timedelta(0), timedelta(hours=1))
    assert due.astimezone(UTC) >= CAL.localize(start).astimezone(UTC)
    assert CAL.working_days_between(start, due) == n


@settings(max_examples=100, deadline=None)
@given(start=starts, n=lengths)
def test_deadline_is_monotone_in_n(start: datetime, n: int) -> None:
    assert CAL.deadline(start, n).astimezone(UTC) < CAL.deadline(start, n + 1).astimezone(UTC)


@settings(max_examples=100, deadline=None)
@given(start=starts, n=lengths)
def test_reminders_fall_inside_the_stage_in_order(start: datetime, n: int) -> None:
    due = CAL.deadline(start, n)
    moments = [r.at.astimezone(UTC) for r in CAL.reminders(start, due, n)]
    assert moments == sorted(set(moments))
    assert all(CAL.localize(start).astimezone(UTC) < m < due.astimezone(UTC) for m in moments)
