"""Working-day arithmetic: the examples of DOMAIN.md "Time rules" and their edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from models.calendar import CalendarSpec, DeadlineRequest
from workdays.calendar import (
    CalendarRangeError,
    InvalidCalendar,
    WorkingCalendar,
    load_calendar,
    plan_deadline,
)

SPEC = CalendarSpec()
CAL = load_calendar(SPEC, range(2017, 2030))


def due(start: str, n: int, spec: CalendarSpec = SPEC) -> str:
    """The planned deadline for a local start, as the isoformat people are shown."""
    return plan_deadline(
        DeadlineRequest(calendar=spec, start=start, working_days=n)
    ).due_at.isoformat()


def test_domain_example_across_christmas() -> None:
    assert due("2026-12-21T10:00", 5) == "2026-12-30T17:00:00+00:00"


def test_plan_reports_start_and_effective_day() -> None:
    plan = plan_deadline(DeadlineRequest(start="2026-12-21T10:00", working_days=5))
    assert plan.start.isoformat() == "2026-12-21T10:00:00+00:00"
    assert plan.effective_day == date(2026, 12, 21)
    assert plan.working_days == 5
    assert not plan.capped
    assert plan.reminders == []


@pytest.mark.parametrize("start", ["2026-01-10T10:00", "2026-01-11T23:59", "2026-01-10T00:00"])
def test_weekend_start_counts_from_monday(start: str) -> None:
    assert CAL.effective_day(datetime.fromisoformat(start)) == date(2026, 1, 12)
    assert due(start, 0) == "2026-01-12T17:00:00+00:00"
    assert due(start, 5) == "2026-01-19T17:00:00+00:00"


def test_event_at_close_of_business_counts_from_that_day() -> None:
    assert CAL.effective_day(datetime(2026, 1, 12, 17, 0)) == date(2026, 1, 12)
    assert due("2026-01-12T17:00", 1) == "2026-01-13T17:00:00+00:00"
    assert due("2026-01-12T17:00:00.000001", 1) == "2026-01-14T17:00:00+00:00"
    assert due("2026-01-12T17:01", 1) == "2026-01-14T17:00:00+00:00"


def test_chain_of_stages_each_gets_exactly_n_days() -> None:
    first = CAL.deadline(datetime(2026, 1, 12, 10), 5)
    second = CAL.deadline(first, 5)
    assert second.isoformat() == "2026-01-26T17:00:00+00:00"
    assert CAL.working_days_between(first, second) == 5


def test_same_working_day() -> None:
    assert due("2026-01-12T08:00", 0) == "2026-01-12T17:00:00+00:00"
    assert due("2026-01-12T17:00", 0) == "2026-01-12T17:00:00+00:00"
    assert due("2026-01-12T17:30", 0) == "2026-01-13T17:00:00+00:00"
    assert due("2026-12-24T18:00", 0) == "2026-12-29T17:00:00+00:00"


def test_christmas_and_new_year_2026_27() -> None:
    assert due("2026-12-24T10:00", 5) == "2027-01-05T17:00:00+00:00"
    assert due("2026-12-25T10:00", 1) == "2026-12-30T17:00:00+00:00"
    assert due("2026-12-31T16:00", 1) == "2027-01-04T17:00:00+00:00"
    assert not CAL.is_working_day(date(2027, 1, 1))


def test_easter_2027_and_the_clock_change_the_same_weekend() -> None:
    # Good Friday 26 Mar, clocks forward Sun 28 Mar, Easter Monday 29 Mar 2027.
    assert due("2027-03-25T10:00", 1) == "2027-03-30T17:00:00+01:00"
    assert due("2027-03-25T10:00", 3) == "2027-04-01T17:00:00+01:00"


def test_dst_starts_march_2026() -> None:
    # Clocks go forward at 01:00 GMT on Sunday 29 March 2026.
    assert due("2026-03-27T10:00", 0) == "2026-03-27T17:00:00+00:00"
    assert due("2026-03-27T10:00", 1) == "2026-03-30T17:00:00+01:00"
    assert due("2026-03-29T01:30", 0) == "2026-03-30T17:00:00+01:00"  # a skipped wall time
    plan = plan_deadline(DeadlineRequest(start="2026-03-29T01:30", working_days=0))
    assert plan.start.isoformat() == "2026-03-29T02:30:00+01:00"


def test_dst_ends_october_2026() -> None:
    # Clocks go back at 02:00 BST on Sunday 25 October 2026.
    assert due("2026-10-23T10:00", 0) == "2026-10-23T17:00:00+01:00"
    assert due("2026-10-23T10:00", 1) == "2026-10-26T17:00:00+00:00"
    deadline = CAL.deadline(datetime(2026, 10, 23, 10), 1)
    assert deadline.astimezone(UTC) == datetime(2026, 10, 26, 17, tzinfo=UTC)
    ambiguous = plan_deadline(DeadlineRequest(start="2026-10-25T01:30", working_days=0))
    assert ambiguous.start.isoformat() == "2026-10-25T01:30:00+01:00"  # the earlier reading


def test_aware_start_is_converted_to_local_time() -> None:
    # 16:30 UTC in June is 17:30 BST: after close of business.
    assert due("2026-06-01T16:30:00Z", 0) == "2026-06-02T17:00:00+01:00"
    # 17:00 UTC in January is 17:00 GMT: exactly close of business.
    assert due("2026-01-12T17:00:00+00:00", 0) == "2026-01-12T17:00:00+00:00"
    new_york = timezone(timedelta(hours=-5))
    assert CAL.effective_day(datetime(2026, 1, 12, 11, 0, tzinfo=new_york)) == date(2026, 1, 12)
    assert CAL.effective_day(datetime(2026, 1, 12, 12, 1, tzinfo=new_york)) == date(2026, 1, 13)


def test_extra_closure_days() -> None:
    spec = CalendarSpec(extra_closure_days=[date(2026, 1, 13), date(2026, 1, 14)])
    assert due("2026-01-12T10:00", 1, spec) == "2026-01-15T17:00:00+00:00"
    assert due("2026-01-13T10:00", 0, spec) == "2026-01-15T17:00:00+00:00"
    calendar = load_calendar(spec, [2026])
    assert not calendar.is_working_day(date(2026, 1, 13))
    assert calendar.is_working_day(date(2026, 1, 15))


def test_other_close_of_business_and_zone() -> None:
    spec = CalendarSpec(timezone="Europe/Paris", close_of_business=time(18, 0))
    assert due("2026-01-12T17:30", 0, spec) == "2026-01-12T18:00:00+01:00"
    assert due("2026-07-13T17:30", 1, spec) == "2026-07-14T18:00:00+02:00"


def test_cap_applies_only_when_earlier() -> None:
    cap = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    capped = plan_deadline(DeadlineRequest(start="2026-01-12T10:00", working_days=5, not_after=cap))
    assert capped.capped
    assert capped.due_at.isoformat() == "2026-01-15T12:00:00+00:00"
    late = datetime(2026, 2, 1, tzinfo=UTC)
    loose = plan_deadline(DeadlineRequest(start="2026-01-12T10:00", working_days=5, not_after=late))
    assert not loose.capped
    assert loose.due_at.isoformat() == "2026-01-19T17:00:00+00:00"
    equal = datetime(2026, 1, 19, 17, 0, tzinfo=UTC)
    same = plan_deadline(DeadlineRequest(start="2026-01-12T10:00", working_days=5, not_after=equal))
    assert not same.capped


def test_cap_is_shown_in_local_time() -> None:
    cap = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)
    plan = plan_deadline(DeadlineRequest(start="2026-06-01T10:00", working_days=5, not_after=cap))
    assert plan.due_at.isoformat() == "2026-06-03T13:00:00+01:00"


def test_working_days_between() -> None:
    monday = datetime(2026, 12, 21, 10)
    assert CAL.working_days_between(monday, datetime(2026, 12, 30, 17)) == 5
    assert CAL.working_days_between(datetime(2026, 12, 30, 17), monday) == -5
    assert CAL.working_days_between(monday, monday) == 0


def test_add_working_days_and_next_working_day() -> None:
    assert CAL.next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)
    assert CAL.add_working_days(date(2026, 12, 24), 0) == date(2026, 12, 24)
    assert CAL.add_working_days(date(2026, 12, 24), 2) == date(2026, 12, 30)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 12, 24), -1)


def test_longest_request_fits_and_crosses_years() -> None:
    plan = plan_deadline(DeadlineRequest(start="2026-12-31T10:00", working_days=366))
    assert plan.due_at.year == 2028
    assert CAL.working_days_between(plan.start, plan.due_at) == 366


def test_many_closure_days_widen_the_loaded_years() -> None:
    closed = [date(2027, 1, 1) + timedelta(days=i) for i in range(900)]
    spec = CalendarSpec(extra_closure_days=closed)
    plan = plan_deadline(DeadlineRequest(calendar=spec, start="2026-12-31T18:00", working_days=1))
    assert plan.effective_day == date(2029, 6, 19)  # the day after the last closure day
    assert plan.due_at.isoformat() == "2029-06-20T17:00:00+01:00"


def test_days_outside_loaded_years_are_refused() -> None:
    calendar = load_calendar(SPEC, [2026])
    with pytest.raises(CalendarRangeError):
        calendar.is_working_day(date(2027, 1, 4))
    unrestricted = WorkingCalendar(SPEC, frozenset())
    assert unrestricted.is_working_day(date(2027, 1, 1))  # no holidays given: caller's choice


def test_invalid_settings_name_the_field() -> None:
    with pytest.raises(InvalidCalendar, match=r"calendar\.timezone.*Mars/Olympus") as caught:
        load_calendar(CalendarSpec(timezone="Mars/Olympus"))
    assert caught.value.field == "calendar.timezone"
    bad_id = CalendarSpec.model_construct(calendar="scotland")  # type: ignore[arg-type]
    with pytest.raises(InvalidCalendar, match="scotland") as caught:
        load_calendar(bad_id)
    assert caught.value.field == "calendar.calendar"
    with pytest.raises(InvalidCalendar, match="opens_at"):
        load_calendar(CalendarSpec(opens_at=time(17), close_of_business=time(9)))
