"""The plan_deadline activity, run in Temporal's activity test environment (no server)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.calendar import CalendarActivities
from models.calendar import CalendarSpec, DeadlineRequest


async def test_plans_the_domain_example() -> None:
    activities = CalendarActivities()
    plan = await ActivityEnvironment().run(
        activities.plan_deadline,
        DeadlineRequest(start="2026-12-21T10:00", working_days=5, reminders=True),
    )
    assert plan.due_at.isoformat() == "2026-12-30T17:00:00+00:00"
    assert plan.effective_day == date(2026, 12, 21)
    assert [r.kind for r in plan.reminders] == ["halfway", "last_day"]


async def test_caches_holiday_sets() -> None:
    activities = CalendarActivities()
    env = ActivityEnvironment()
    await env.run(activities.plan_deadline, DeadlineRequest(start="2026-03-02", working_days=1))
    cached = dict(activities._holidays)
    assert ("england-and-wales", 2026) in cached
    await env.run(activities.plan_deadline, DeadlineRequest(start="2026-05-02", working_days=1))
    assert all(activities._holidays[key] is value for key, value in cached.items())


async def test_unknown_time_zone_is_a_permanent_error_naming_the_field() -> None:
    req = DeadlineRequest(
        calendar=CalendarSpec(timezone="Europe/Atlantis"), start="2026-01-12", working_days=1
    )
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(CalendarActivities().plan_deadline, req)
    assert caught.value.type == "InvalidCalendar"
    assert caught.value.non_retryable
    assert "calendar.timezone" in str(caught.value)
    assert "Europe/Atlantis" in str(caught.value)


async def test_unknown_calendar_is_a_permanent_error_naming_the_field() -> None:
    # The model's Literal refuses other ids; a request built around it must still fail cleanly.
    spec = CalendarSpec.model_construct(calendar="scotland")  # type: ignore[arg-type]
    req = DeadlineRequest.model_construct(
        calendar=spec,
        start=datetime(2026, 1, 12, 10),
        working_days=1,
        not_after=None,
        reminders=False,
    )
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(CalendarActivities().plan_deadline, req)
    assert caught.value.type == "InvalidCalendar"
    assert caught.value.non_retryable
    assert "calendar.calendar" in str(caught.value)
    assert "scotland" in str(caught.value)


async def test_unanswerable_request_is_a_permanent_error() -> None:
    req = DeadlineRequest(start=datetime(9999, 12, 30), working_days=5)
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(CalendarActivities().plan_deadline, req)
    assert caught.value.type == "InvalidDeadlineRequest"
    assert caught.value.non_retryable
