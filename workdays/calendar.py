"""Working-day arithmetic: effective days, deadlines and reminders (DOMAIN.md "Time rules").

Everything here is pure and deterministic (stdlib ``zoneinfo`` only, no clock, no I/O
beyond the holiday list), so the calendar activity can compute a deadline once and
the workflow history keeps the answer even if the holiday list changes later.

The rules, in one place:

* A *working day* is Monday to Friday, not a bank holiday of the calendar and not an
  extra closure day of the partnership.
* The *effective day* of an event at local time T is T's date if that date is a working
  day and T is at or before close of business, otherwise the next working day. An event
  at exactly close of business therefore counts from that day, so a stage entered when
  the previous deadline passed gets exactly its own N working days.
* *N working days from an event* ends at close of business on the N-th working day after
  the effective day; N = 0 is close of business on the effective day.
* *N working days before an event* (reports due before a child protection conference)
  ends at close of business on the N-th working day before the event's effective day;
  N = 0 is close of business on the effective day itself. A conference on Tuesday with
  reports due 2 working days before: Friday 17:00 (Monday being a working day).
* A *calendar period* ("14 days", "2 weeks" = 14 days) from an event ends at close of
  business on the effective day plus that many calendar days; if that day is not a
  working day, on the working day before it (never later than the document's figure,
  and never before the effective day). Calendar periods run forwards only.
* Naive datetimes are local time in the calendar's zone; aware ones are converted to it.
  Every datetime returned is aware, in that zone, with the offset in force on that date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models.calendar import CalendarSpec, DeadlinePlan, DeadlineRequest, DeadlineUnit, Reminder
from workdays.holidays import UnknownCalendar, bank_holidays

HolidaySource = Callable[[str, Iterable[int]], frozenset[date]]
"""Where bank holidays come from: ``(calendar_id, years) -> days``; lets callers cache."""

DEFAULT_YEARS = range(2015, 2036)
"""Years loaded by :func:`load_calendar` when the caller does not say which it needs."""

_ONE_DAY = timedelta(days=1)


class InvalidCalendar(ValueError):
    """A calendar setting that can never work (unknown zone, unknown calendar, bad hours).

    ``field`` names the offending setting (for example ``"calendar.timezone"``) so the
    error can be reported to whoever configured the procedure; retrying cannot help.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class InvalidDeadlineRequest(ValueError):
    """A deadline request the rules cannot answer, such as a calendar period counted back.

    ``field`` names the offending request field (for example ``"unit"``); the answer is
    deterministic, so retrying cannot help.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class CalendarRangeError(ValueError):
    """A date outside the years whose holidays were loaded.

    Raised instead of silently treating an unloaded bank holiday as a working day.
    """

    def __init__(self, day: date, years: range) -> None:
        super().__init__(f"{day} is outside the loaded years {years.start}-{years.stop - 1}")
        self.day = day


def zone_of(spec: CalendarSpec) -> ZoneInfo:
    """The spec's time zone.

    Raises:
        InvalidCalendar: If the zone is unknown or malformed (field ``calendar.timezone``).
    """
    try:
        return ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidCalendar("calendar.timezone", f"unknown time zone {spec.timezone!r}") from exc


class WorkingCalendar:
    """Working days of one partnership: its spec plus the bank holidays loaded for it.

    Args:
        spec: Time zone, opening hours and extra closure days.
        holidays: Bank holidays of the spec's calendar, for every year that will be asked
            about (extra closure days are added here, so they need not be included).
        years: The years ``holidays`` covers. When given, asking about a day outside them
            raises :class:`CalendarRangeError` rather than guessing.

    Raises:
        InvalidCalendar: If the time zone is unknown or the day does not open before it closes.
    """

    def __init__(
        self, spec: CalendarSpec, holidays: frozenset[date], *, years: range | None = None
    ) -> None:
        self.spec = spec
        self.zone = zone_of(spec)
        if spec.opens_at >= spec.close_of_business:
            raise InvalidCalendar(
                "calendar.opens_at",
                f"opens at {spec.opens_at} but closes at {spec.close_of_business}",
            )
        self._closed = holidays | frozenset(spec.extra_closure_days)
        self._years = years

    # -- days -------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is Monday to Friday and neither a bank holiday nor a closure day."""
        if self._years is not None and d.year not in self._years:
            raise CalendarRangeError(d, self._years)
        return d.weekday() < 5 and d not in self._closed

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d`` (whether or not ``d`` is one)."""
        d += _ONE_DAY
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before ``d`` (whether or not ``d`` is one)."""
        d -= _ONE_DAY
        while not self.is_working_day(d):
            d -= _ONE_DAY
        return d

    def subtract_working_days(self, d: date, n: int) -> date:
        """The N-th working day before ``d``; ``d`` itself for N = 0.

        Raises:
            ValueError: If ``n`` is negative.
        """
        if n < 0:
            raise ValueError(f"working days must not be negative, got {n}")
        for _ in range(n):
            d = self.previous_working_day(d)
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The N-th working day after ``d``; ``d`` itself for N = 0.

        Only days strictly after ``d`` are counted, so ``d`` should be an effective day.

        Raises:
            ValueError: If ``n`` is negative (deadlines never run backwards).
        """
        if n < 0:
            raise ValueError(f"working days must not be negative, got {n}")
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    # -- moments ----------------------------------------------------------------------

    def localize(self, t: datetime) -> datetime:
        """``t`` as an aware datetime in the calendar's zone.

        Naive ``t`` is read as local wall time (the earlier reading if ambiguous; a time
        skipped by a clock change moves forward by the gap). Aware ``t`` is converted.
        """
        aware = t.replace(tzinfo=self.zone) if t.utcoffset() is None else t
        return aware.astimezone(UTC).astimezone(self.zone)

    def at(self, d: date, t: time) -> datetime:
        """Local wall time ``t`` on day ``d``, aware, with that day's UTC offset."""
        return self.localize(datetime.combine(d, t))

    def close_of_business(self, d: date) -> datetime:
        """Close of business on ``d``: the moment every deadline falls on."""
        return self.at(d, self.spec.close_of_business)

    def effective_day(self, t: datetime) -> date:
        """The working day an event at ``t`` counts from.

        ``t``'s local date if that is a working day and ``t`` is at or before close of
        business (so exactly 17:00 counts from that day), else the next working day.
        """
        local = self.localize(t)
        today = local.date()
        if self.is_working_day(today) and local.time() <= self.spec.close_of_business:
            return today
        return self.next_working_day(today)

    def deadline(self, start: datetime, n: int) -> datetime:
        """Close of business on the N-th working day after ``start``'s effective day.

        Example: Monday 21 Dec 2026 10:00, 5 working days → Wednesday 30 Dec 2026 17:00
        (25 and 28 Dec are bank holidays).
        """
        return self.close_of_business(self.add_working_days(self.effective_day(start), n))

    def deadline_in_calendar_days(self, start: datetime, days: int) -> datetime:
        """Close of business at the end of a calendar period of ``days`` days from ``start``.

        The period is counted from ``start``'s effective day and ends on that day plus
        ``days`` calendar days; if that is not a working day, on the working day before
        it, so the answer is never later than the document's figure. The effective day
        is itself a working day, so stepping back never goes before it: a period ending
        on a non-working day straight after the effective day ends on the effective day.

        Example: 14 days from Friday 11 Dec 2026 18:00 counts from Monday 14 Dec and would
        end Monday 28 Dec, a bank holiday (as is Friday 25 Dec), so it ends Thursday
        24 Dec 2026 17:00.

        Raises:
            ValueError: If ``days`` is negative (calendar periods never run backwards).
        """
        if days < 0:
            raise ValueError(f"calendar days must not be negative, got {days}")
        effective = self.effective_day(start)
        last = effective + timedelta(days=days)
        if not self.is_working_day(last):
            last = max(self.previous_working_day(last), effective)
        return self.close_of_business(last)

    def deadline_before(self, event: datetime, n: int) -> datetime:
        """Close of business on the N-th working day before ``event``'s effective day.

        Example: reports due 2 working days before an initial conference sitting on
        Tuesday 5 May 2026 at 10:00 → Thursday 30 April 2026 17:00 (4 May is a bank
        holiday, so the working days before are Friday 1 May and Thursday 30 April).
        """
        return self.close_of_business(self.subtract_working_days(self.effective_day(event), n))

    def working_days_between(self, a: datetime, b: datetime) -> int:
        """How many working days ``b`` is after ``a``, by effective day.

        Counts working days after ``a``'s effective day up to and including ``b``'s, so
        ``working_days_between(s, deadline(s, n)) == n``. Negative when ``b`` is earlier.
        """
        first, last = self.effective_day(a), self.effective_day(b)
        if last < first:
            return -self.working_days_between(b, a)
        count = 0
        d = first
        while d < last:
            d = self.next_working_day(d)
            count += 1
        return count

    # -- reminders --------------------------------------------------------------------

    def reminders(self, start: datetime, due: datetime, n: int) -> list[Reminder]:
        """The reminders of a stage that starts at ``start`` and is due at ``due``.

        * ``last_day``: opening time on the due date, so people see it the morning they
          must act; only if strictly after ``start`` and strictly before ``due``.
        * ``halfway``: the moment half of the stage's *business time* has passed. Business
          time runs from opening time to close of business on working days only, from
          ``start`` (or from opening time of the first working day after it, if ``start``
          is outside business hours) to ``due``. A halfway point landing exactly at close
          of business stays there rather than moving to the next morning. It is dropped
          unless it is strictly between ``start`` and ``due`` and strictly before the
          ``last_day`` reminder (two reminders the same morning would be noise).

        Args:
            start: When the stage started.
            due: When it is due (possibly capped earlier than the working-day deadline).
            n: The stage's length in working days; recorded for the caller's benefit and
                checked, since the reminders depend only on ``start`` and ``due``.

        Returns:
            The reminders in time order, as aware local datetimes.

        Raises:
            ValueError: If ``n`` is negative.
        """
        if n < 0:
            raise ValueError(f"working days must not be negative, got {n}")
        start_utc, due_utc = _utc(self.localize(start)), _utc(self.localize(due))
        found: list[Reminder] = []
        last_day = _utc(self.at(self.localize(due).date(), self.spec.opens_at))
        has_last_day = start_utc < last_day < due_utc
        halfway = self._halfway(start_utc, due_utc)
        if (
            halfway is not None
            and start_utc < halfway < due_utc
            and (not has_last_day or halfway < last_day)
        ):
            found.append(Reminder(kind="halfway", at=halfway.astimezone(self.zone)))
        if has_last_day:
            found.append(Reminder(kind="last_day", at=last_day.astimezone(self.zone)))
        return found

    def _business_periods(self, start: datetime, due: datetime) -> list[tuple[datetime, datetime]]:
        """The business-hours periods between two UTC moments, clipped to them, in UTC."""
        periods: list[tuple[datetime, datetime]] = []
        d, last = start.astimezone(self.zone).date(), due.astimezone(self.zone).date()
        while d <= last:
            if self.is_working_day(d):
                begin = max(_utc(self.at(d, self.spec.opens_at)), start)
                end = min(_utc(self.close_of_business(d)), due)
                if end > begin:
                    periods.append((begin, end))
            d += _ONE_DAY
        return periods

    def _halfway(self, start: datetime, due: datetime) -> datetime | None:
        """The UTC moment half the business time between ``start`` and ``due`` has passed."""
        periods = self._business_periods(start, due)
        remaining = sum((end - begin for begin, end in periods), timedelta()) / 2
        if not remaining:
            return None
        for begin, end in periods:
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        return None  # pragma: no cover - the halves always fit in the periods


def _utc(t: datetime) -> datetime:
    """``t`` in UTC: arithmetic and comparison on local times of one zone ignore DST."""
    return t.astimezone(UTC)


def load_calendar(
    spec: CalendarSpec,
    years: Iterable[int] | None = None,
    *,
    source: HolidaySource = bank_holidays,
) -> WorkingCalendar:
    """A :class:`WorkingCalendar` for ``spec`` with the bank holidays of ``years``.

    Args:
        spec: The partnership's calendar settings; its extra closure days are added.
        years: Consecutive years to load (default :data:`DEFAULT_YEARS`); the calendar
            refuses to answer about days outside them.
        source: Where bank holidays come from (the activity passes a cached one).

    Raises:
        InvalidCalendar: For an unknown calendar id or time zone, or bad opening hours.
    """
    wanted = sorted(set(DEFAULT_YEARS if years is None else years))
    if not wanted:
        raise ValueError("no years to load")
    covered = range(wanted[0], wanted[-1] + 1)
    try:
        holidays = source(spec.calendar, covered)
    except UnknownCalendar as exc:
        raise InvalidCalendar("calendar.calendar", str(exc)) from exc
    return WorkingCalendar(spec, holidays, years=covered)


def calendar_period_days(unit: DeadlineUnit, count: int) -> int:
    """How many calendar days a period of ``count`` ``unit`` spans (weeks are 7 days).

    Raises:
        ValueError: For ``unit="working_days"``, which is not a calendar period.
    """
    if unit == "weeks":
        return 7 * count
    if unit == "calendar_days":
        return count
    raise ValueError(f"{unit!r} is not a calendar period")


def plan_deadline(req: DeadlineRequest, *, source: HolidaySource = bank_holidays) -> DeadlinePlan:
    """Answer a :class:`DeadlineRequest`: effective day, due moment, cap and reminders.

    ``req.unit`` chooses the rule: working days (``deadline`` or, for
    ``direction="before"``, ``deadline_before``) or a calendar period of calendar days
    or weeks (``deadline_in_calendar_days``). Loads the years around ``req.start`` (a
    year before, for zone changes at New Year, to two after, which 366 working days
    never exceed unless the partnership has many closure days; then the range is
    widened until the deadline fits). ``not_after`` caps the due moment when it is
    earlier, with ``capped=True``. Reminders are computed from the start and the
    (capped) due moment, whatever the unit.

    Raises:
        InvalidCalendar: For an unknown calendar id or time zone, or bad opening hours.
        InvalidDeadlineRequest: For a calendar ``unit`` with ``direction="before"``
            (field ``unit``); the model refuses it too, this guards unvalidated requests.
    """
    if req.direction == "before" and req.unit != "working_days":
        raise InvalidDeadlineRequest(
            "unit", f"direction 'before' counts working days only, got unit {req.unit!r}"
        )
    first, last = req.start.year - 1, req.start.year + 2
    while True:
        calendar = load_calendar(req.calendar, range(first, last + 1), source=source)
        try:
            start = calendar.localize(req.start)
            effective = calendar.effective_day(start)
            if req.unit != "working_days":
                days = calendar_period_days(req.unit, req.working_days)
                due = calendar.deadline_in_calendar_days(start, days)
            elif req.direction == "before":
                due = calendar.deadline_before(start, req.working_days)
            else:
                due = calendar.deadline(start, req.working_days)
            break
        except CalendarRangeError as exc:
            # Widen towards the missing year: forwards for deadlines, backwards for
            # "N working days before" an event.
            if exc.day.year < first:
                first = exc.day.year - 2
            else:
                last = exc.day.year + 2
    capped = req.not_after is not None and _utc(req.not_after) < _utc(due)
    if req.not_after is not None and capped:
        due = calendar.localize(req.not_after)
    reminders: list[Reminder] = []
    if req.reminders and req.direction == "before":
        # The morning the reports are due: the one reminder a "before" deadline has.
        reminders = [Reminder(kind="last_day", at=calendar.at(due.date(), req.calendar.opens_at))]
    elif req.reminders:
        reminders = calendar.reminders(start, due, req.working_days)
    return DeadlinePlan(
        start=start,
        effective_day=effective,
        working_days=req.working_days,
        unit=req.unit,
        due_at=due,
        capped=capped,
        reminders=reminders,
    )
