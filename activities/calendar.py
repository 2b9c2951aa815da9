"""The activity that computes deadlines on a partnership's working-day calendar.

Deadlines are computed here, never in workflow code, so the answer (which depends on
a holiday list that may change between deploys) is recorded once in the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.calendar import DeadlinePlan, DeadlineRequest
from workdays.calendar import InvalidCalendar, InvalidDeadlineRequest, plan_deadline
from workdays.holidays import bank_holidays


class CalendarActivities:
    """Plans deadlines; keeps the holiday sets it has loaded for the worker's lifetime."""

    def __init__(self) -> None:
        self._holidays: dict[tuple[str, int], frozenset[date]] = {}

    def _bank_holidays(self, calendar_id: str, years: Iterable[int]) -> frozenset[date]:
        """Bank holidays of ``years``, loading each (calendar, year) only once."""
        days: set[date] = set()
        for year in years:
            key = (calendar_id, year)
            if key not in self._holidays:
                self._holidays[key] = bank_holidays(calendar_id, [year])
            days |= self._holidays[key]
        return frozenset(days)

    @activity.defn(name="plan_deadline")
    async def plan_deadline(self, req: DeadlineRequest) -> DeadlinePlan:
        """Compute the deadline, cap and reminders asked for in ``req``.

        ``req.direction`` says whether the deadline runs after ``req.start`` (a stage's
        timescale) or before it (reports due N working days before a conference), and
        ``req.unit`` whether it counts working days or is a calendar period (calendar
        days or weeks, after only); every rule is defined once, in
        :mod:`workdays.calendar`.

        Raises:
            ApplicationError: ``type="InvalidCalendar"``, non-retryable, naming the field,
                for an unknown time zone or calendar: retrying cannot fix a setting.
                ``type="InvalidDeadlineRequest"``, non-retryable, for a request the
                arithmetic cannot answer (a date beyond year 9999, or a calendar period
                counted before an event, with the field as details): it is
                deterministic, so a retry would fail the same way.
        """
        try:
            return plan_deadline(req, source=self._bank_holidays)
        except InvalidCalendar as exc:
            raise ApplicationError(
                str(exc), exc.field, type="InvalidCalendar", non_retryable=True
            ) from exc
        except InvalidDeadlineRequest as exc:
            raise ApplicationError(
                str(exc), exc.field, type="InvalidDeadlineRequest", non_retryable=True
            ) from exc
        except (ValueError, OverflowError) as exc:
            raise ApplicationError(
                str(exc), type="InvalidDeadlineRequest", non_retryable=True
            ) from exc
