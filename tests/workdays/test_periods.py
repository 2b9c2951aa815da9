"""Calendar periods ("14 days", "2 weeks"): DOMAIN.md "Time rules", to the minute.

A period is counted from the effective day and ends at close of business on its last
calendar day, or on the working day before it if that day is not a working day. Every
date below is checked against the shipped England and Wales list first
(:func:`test_the_bank_holidays_these_examples_rely_on`), not assumed.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.calendar import CalendarActivities
from models.calendar import CalendarSpec, DeadlinePlan, DeadlineRequest, DeadlineUnit
from workdays.calendar import (
    InvalidDeadlineRequest,
    calendar_period_days,
    load_calendar,
    plan_deadline,
)
from workdays.holidays import bank_holidays

CAL = load_calendar(CalendarSpec(), range(2017, 2031))


def plan(start: str, count: int, unit: DeadlineUnit, **extra: object) -> DeadlinePlan:
    return plan_deadline(DeadlineRequest(start=start, working_days=count, unit=unit, **extra))


def due(start: str, count: int, unit: DeadlineUnit) -> str:
    """The planned deadline for a local start, as the isoformat people are shown."""
    return plan(start, count, unit).due_at.isoformat()


def test_the_bank_holidays_these_examples_rely_on() -> None:
    holidays = bank_holidays("england-and-wales", [2026])
    assert sorted(d for d in holidays if d.month == 12) == [date(2026, 12, 25), date(2026, 12, 28)]
    assert date(2026, 12, 26) not in holidays  # a Saturday: Boxing Day moves to Monday 28th
    assert date(2026, 5, 25) in holidays  # spring bank holiday
    assert not CAL.is_working_day(date(2026, 12, 25))
    assert not CAL.is_working_day(date(2026, 12, 28))
    assert CAL.is_working_day(date(2026, 12, 24))
    assert CAL.is_working_day(date(2026, 12, 21))


def test_two_weeks_from_monday_morning() -> None:
    result = plan("2026-12-07T10:00", 2, "weeks")
    assert result.due_at.isoformat() == "2026-12-21T17:00:00+00:00"
    assert result.effective_day == date(2026, 12, 7)
    assert result.working_days == 2
    assert result.unit == "weeks"
    assert due("2026-12-07T10:00", 14, "calendar_days") == "2026-12-21T17:00:00+00:00"


def test_fourteen_days_ending_on_boxing_day_substitute_move_back_past_christmas() -> None:
    # Friday 18:00 counts from Monday 14 Dec; 14 days on is Monday 28 Dec (substitute
    # Boxing Day), then Sunday 27th, Saturday 26th and Christmas Day are not working
    # days either: Thursday 24 Dec.
    result = plan("2026-12-11T18:00", 14, "calendar_days")
    assert result.effective_day == date(2026, 12, 14)
    assert result.due_at.isoformat() == "2026-12-24T17:00:00+00:00"
    assert result.unit == "calendar_days"


def test_period_ending_on_a_saturday_ends_the_friday_before() -> None:
    # Wednesday 2 Dec + 10 days = Saturday 12 Dec.
    assert due("2026-12-02T10:00", 10, "calendar_days") == "2026-12-11T17:00:00+00:00"


def test_weeks_from_a_saturday_count_from_monday() -> None:
    result = plan("2026-12-05T11:00", 2, "weeks")
    assert result.effective_day == date(2026, 12, 7)
    assert result.due_at.isoformat() == "2026-12-21T17:00:00+00:00"


def test_event_at_close_of_business_counts_from_that_day() -> None:
    assert due("2026-12-07T17:00", 1, "weeks") == "2026-12-14T17:00:00+00:00"
    # One minute later counts from Tuesday: Tuesday 15 Dec.
    assert due("2026-12-07T17:01", 1, "weeks") == "2026-12-15T17:00:00+00:00"


def test_summer_time_and_a_bank_holiday_at_the_end() -> None:
    # Wednesday 13 May 2026 + 14 days = Wednesday 27 May, in BST.
    assert due("2026-05-13T10:00", 14, "calendar_days") == "2026-05-27T17:00:00+01:00"
    # Monday 11 May + 2 weeks = Monday 25 May, the spring bank holiday: Friday 22 May.
    assert due("2026-05-11T10:00", 2, "weeks") == "2026-05-22T17:00:00+01:00"


def test_period_across_the_clock_change() -> None:
    # Monday 19 Oct 2026 BST + 2 weeks = Monday 2 Nov, back on GMT.
    assert due("2026-10-19T10:00", 2, "weeks") == "2026-11-02T17:00:00+00:00"


def test_never_before_the_effective_day() -> None:
    # Friday + 1 day = Saturday: back to Friday itself, the effective day.
    assert due("2026-12-11T10:00", 1, "calendar_days") == "2026-12-11T17:00:00+00:00"
    # Thursday 24 Dec + 2 days = Saturday 26th; Friday 25th is Christmas Day: Thursday.
    assert due("2026-12-24T10:00", 2, "calendar_days") == "2026-12-24T17:00:00+00:00"
    # Zero days is close of business on the effective day.
    assert due("2026-12-12T10:00", 0, "calendar_days") == "2026-12-14T17:00:00+00:00"
    assert due("2026-12-12T10:00", 0, "weeks") == "2026-12-14T17:00:00+00:00"


def test_partnership_closure_days_move_the_end_back() -> None:
    spec = CalendarSpec(extra_closure_days=[date(2026, 12, 21)])
    result = plan_deadline(
        DeadlineRequest(calendar=spec, start="2026-12-07T10:00", working_days=2, unit="weeks")
    )
    assert result.due_at.isoformat() == "2026-12-18T17:00:00+00:00"


def test_aware_start_is_converted_to_local_time() -> None:
    # 23:30 UTC on Sunday 14 Jun 2026 is 00:30 BST on Monday 15 Jun: counts from Monday.
    start = datetime(2026, 6, 14, 23, 30, tzinfo=UTC)
    result = plan_deadline(DeadlineRequest(start=start, working_days=1, unit="weeks"))
    assert result.effective_day == date(2026, 6, 15)
    assert result.due_at.isoformat() == "2026-06-22T17:00:00+01:00"


def test_not_after_caps_a_calendar_period() -> None:
    cap = datetime(2026, 12, 16, 12, 0, tzinfo=UTC)
    capped = plan("2026-12-07T10:00", 2, "weeks", not_after=cap)
    assert capped.capped
    assert capped.due_at.isoformat() == "2026-12-16T12:00:00+00:00"
    assert capped.unit == "weeks"
    late = plan("2026-12-07T10:00", 2, "weeks", not_after=datetime(2027, 1, 1, tzinfo=UTC))
    assert not late.capped
    assert late.due_at.isoformat() == "2026-12-21T17:00:00+00:00"
    equal = plan("2026-12-07T10:00", 2, "weeks", not_after=datetime(2026, 12, 21, 17, tzinfo=UTC))
    assert not equal.capped


def test_reminders_of_a_calendar_period() -> None:
    # Mon 7 Dec 10-17 (7h) + 8-11 Dec (32h) + 14-18 Dec (40h) + Mon 21 Dec (8h) = 87h;
    # half 43h30 → Mon 14 Dec 13:30.
    result = plan("2026-12-07T10:00", 2, "weeks", reminders=True)
    assert [(r.kind, r.at.isoformat()) for r in result.reminders] == [
        ("halfway", "2026-12-14T13:30:00+00:00"),
        ("last_day", "2026-12-21T09:00:00+00:00"),
    ]


def test_reminders_across_christmas_fall_before_the_due_time() -> None:
    # Business time from Mon 14 Dec 09:00: 14-18 Dec (40h) + 21-24 Dec (32h) = 72h;
    # half 36h → Fri 18 Dec 13:00.
    result = plan("2026-12-11T18:00", 14, "calendar_days", reminders=True)
    assert [(r.kind, r.at.isoformat()) for r in result.reminders] == [
        ("halfway", "2026-12-18T13:00:00+00:00"),
        ("last_day", "2026-12-24T09:00:00+00:00"),
    ]
    assert all(result.start < r.at < result.due_at for r in result.reminders)


def test_capped_period_moves_its_reminders() -> None:
    cap = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
    # Mon 7h + Tue 8h + Wed 9-12 3h = 18h; half 9h → Tue 8 Dec 11:00.
    result = plan("2026-12-07T10:00", 2, "weeks", not_after=cap, reminders=True)
    assert [(r.kind, r.at.isoformat()) for r in result.reminders] == [
        ("halfway", "2026-12-08T11:00:00+00:00"),
        ("last_day", "2026-12-09T09:00:00+00:00"),
    ]


def test_limits_per_unit() -> None:
    assert plan("2026-12-07T10:00", 52, "weeks").due_at.isoformat() == "2027-12-06T17:00:00+00:00"
    # 366 days from Monday 7 Dec 2026 is Wednesday 8 Dec 2027.
    assert due("2026-12-07T10:00", 366, "calendar_days") == "2027-12-08T17:00:00+00:00"
    with pytest.raises(ValidationError, match="at most 52 weeks"):
        DeadlineRequest(start="2026-12-07T10:00", working_days=53, unit="weeks")
    with pytest.raises(ValidationError, match="working_days"):
        DeadlineRequest(start="2026-12-07T10:00", working_days=367, unit="calendar_days")
    with pytest.raises(ValidationError, match="unit"):
        DeadlineRequest.model_validate(
            {"start": "2026-12-07T10:00", "working_days": 2, "unit": "months"}
        )
    with pytest.raises(ValidationError):
        DeadlineRequest(start="2026-12-07T10:00", working_days=-1, unit="calendar_days")


def test_year_end_period_loads_the_next_year() -> None:
    # Thursday 31 Dec 2026 + 2 weeks = Thursday 14 Jan 2027.
    assert due("2026-12-31T10:00", 2, "weeks") == "2027-01-14T17:00:00+00:00"


def test_calendar_period_days() -> None:
    assert calendar_period_days("weeks", 2) == 14
    assert calendar_period_days("calendar_days", 14) == 14
    with pytest.raises(ValueError, match="not a calendar period"):
        calendar_period_days("working_days", 5)


def test_negative_period_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        CAL.deadline_in_calendar_days(datetime(2026, 12, 7, 10), -1)


def test_before_with_a_calendar_unit_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="unit: direction 'before' counts working days only"):
        DeadlineRequest(start="2026-12-07T10:00", working_days=2, unit="weeks", direction="before")
    unchecked = DeadlineRequest.model_construct(
        calendar=CalendarSpec(),
        start=datetime(2026, 12, 7, 10),
        working_days=14,
        unit="calendar_days",
        not_after=None,
        reminders=False,
        direction="before",
    )
    with pytest.raises(InvalidDeadlineRequest) as caught:
        plan_deadline(unchecked)
    assert caught.value.field == "unit"


async def test_the_activity_refuses_before_with_a_calendar_unit_permanently() -> None:
    unchecked = DeadlineRequest.model_construct(
        calendar=CalendarSpec(),
        start=datetime(2026, 12, 7, 10),
        working_days=2,
        unit="weeks",
        not_after=None,
        reminders=False,
        direction="before",
    )
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(CalendarActivities().plan_deadline, unchecked)
    assert caught.value.type == "InvalidDeadlineRequest"
    assert caught.value.non_retryable
    assert caught.value.details == ("unit",)


async def test_the_activity_plans_calendar_periods() -> None:
    result = await ActivityEnvironment().run(
        CalendarActivities().plan_deadline,
        DeadlineRequest(start="2026-12-11T18:00", working_days=14, unit="calendar_days"),
    )
    assert result.due_at.isoformat() == "2026-12-24T17:00:00+00:00"
    assert result.unit == "calendar_days"


def test_payloads_without_unit_still_parse_as_working_days() -> None:
    old_request = DeadlineRequest.model_validate_json(
        '{"start": "2026-12-21T10:00:00", "working_days": 5, "reminders": true}'
    )
    assert old_request.unit == "working_days"
    assert plan_deadline(old_request).due_at.isoformat() == "2026-12-30T17:00:00+00:00"
    stored = json.loads(plan_deadline(old_request).model_dump_json())
    assert stored.pop("unit") == "working_days"
    old_plan = DeadlinePlan.model_validate_json(json.dumps(stored))
    assert old_plan.unit == "working_days"
    assert old_plan.working_days == 5
    assert old_plan.due_at.isoformat() == "2026-12-30T17:00:00+00:00"


def test_new_payloads_round_trip() -> None:
    request = DeadlineRequest(start="2026-12-07T10:00", working_days=2, unit="weeks")
    assert DeadlineRequest.model_validate_json(request.model_dump_json()) == request
    result = plan_deadline(request)
    assert DeadlinePlan.model_validate_json(result.model_dump_json()) == result


starts = st.datetimes(min_value=datetime(2018, 1, 1), max_value=datetime(2027, 12, 31))
periods = st.integers(min_value=0, max_value=60)


@settings(max_examples=150, deadline=None)
@given(start=starts, days=periods)
def test_a_period_ends_on_the_last_working_day_it_allows(start: datetime, days: int) -> None:
    effective = CAL.effective_day(start)
    end = CAL.deadline_in_calendar_days(start, days)
    last = effective + timedelta(days=days)
    assert end.time() == CAL.spec.close_of_business
    assert CAL.is_working_day(end.date())
    assert effective <= end.date() <= last
    # No working day is skipped between the answer and the period's last calendar day.
    d = end.date() + timedelta(days=1)
    while d <= last:
        assert not CAL.is_working_day(d)
        d += timedelta(days=1)
    # A longer period never ends earlier.
    longer = CAL.deadline_in_calendar_days(start, days + 1)
    assert longer.astimezone(UTC) >= end.astimezone(UTC)
