"""Working-day arithmetic on the England and Wales bank-holiday calendar.

Pure and deterministic: called from the calendar activity so that every deadline
is computed once and recorded in the workflow history.
"""

from workdays.calendar import WorkingCalendar, load_calendar, plan_deadline
from workdays.holidays import UnknownCalendar, bank_holidays

__all__ = ["UnknownCalendar", "WorkingCalendar", "bank_holidays", "load_calendar", "plan_deadline"]
