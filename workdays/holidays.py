"""Bank holidays for the calendars a procedure may name.

The official GOV.UK list for England and Wales is shipped with the code
(``data/england-and-wales.json``) for every year it covers, because a library's
rules cannot know one-off holidays (a coronation, a state funeral) and may get
substitute days wrong. Outside the shipped years we fall back to workalendar's
``UnitedKingdom`` rules, which are right for ordinary years.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from types import MappingProxyType

from workalendar.europe import UnitedKingdom

ENGLAND_AND_WALES = "england-and-wales"
"""The only calendar id known today (``CalendarSpec.calendar``)."""

_DATA_FILES = {ENGLAND_AND_WALES: "england-and-wales.json"}


class UnknownCalendar(ValueError):
    """A calendar id we have no holidays for; retrying or falling back would be wrong."""

    def __init__(self, calendar_id: str) -> None:
        super().__init__(
            f"unknown calendar {calendar_id!r}; known calendars: {', '.join(sorted(_DATA_FILES))}"
        )
        self.calendar_id = calendar_id


@dataclass(frozen=True)
class BankHoliday:
    """One entry of the official list, kept with its title so it can be shown to people."""

    day: date
    title: str


@cache
def official_list(calendar_id: str) -> Mapping[int, tuple[BankHoliday, ...]]:
    """The shipped official list, by year.

    Args:
        calendar_id: A calendar id such as ``"england-and-wales"``.

    Returns:
        Each shipped year mapped to its bank holidays in date order.

    Raises:
        UnknownCalendar: If no data is shipped for ``calendar_id``.
    """
    try:
        filename = _DATA_FILES[calendar_id]
    except KeyError:
        raise UnknownCalendar(calendar_id) from None
    raw = json.loads(
        resources.files("workdays").joinpath("data").joinpath(filename).read_text("utf-8")
    )
    by_year: dict[int, tuple[BankHoliday, ...]] = {}
    for year, entries in raw["years"].items():
        days = [BankHoliday(date.fromisoformat(e["date"]), str(e["title"])) for e in entries]
        by_year[int(year)] = tuple(sorted(days, key=lambda h: h.day))
    return MappingProxyType(by_year)


def shipped_years(calendar_id: str) -> frozenset[int]:
    """The years for which the shipped official list, not the library, is the truth."""
    return frozenset(official_list(calendar_id))


@cache
def _workalendar_days(year: int) -> frozenset[date]:
    """Every date workalendar's ``UnitedKingdom`` calls a holiday in ``year``, weekends included."""
    return frozenset(day for day, _ in UnitedKingdom().holidays(year))


def bank_holidays(calendar_id: str, years: Iterable[int]) -> frozenset[date]:
    """The bank holidays of ``calendar_id`` in ``years``.

    Shipped years come from the official list. Other years come from workalendar,
    keeping weekdays only: workalendar also lists Easter Sunday and the weekend dates
    of Christmas, Boxing Day and New Year's Day, which are not bank holidays (their
    substitute weekdays are) and would only be noise in the set.

    Args:
        calendar_id: A calendar id such as ``"england-and-wales"``.
        years: The years wanted; any iterable, duplicates allowed.

    Returns:
        The bank holidays of those years.

    Raises:
        UnknownCalendar: (a ``ValueError``) naming ``calendar_id`` if it is not known.
    """
    official = official_list(calendar_id)
    days: set[date] = set()
    for year in set(years):
        if year in official:
            days.update(h.day for h in official[year])
        else:
            days.update(d for d in _workalendar_days(year) if d.weekday() < 5)
    return frozenset(days)


def workalendar_discrepancies(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Where workalendar 17 disagrees with the shipped official England and Wales list.

    Compared as raw dates, weekends included, so that any change in the library or in
    the data shows up in the test that pins these differences down.

    Args:
        year: A shipped year.

    Returns:
        ``(missing, extra)``: official days workalendar lacks, and days workalendar
        lists that are not official bank holidays.

    Raises:
        ValueError: If ``year`` is not a shipped year (there is nothing to compare with).
    """
    official = official_list(ENGLAND_AND_WALES)
    if year not in official:
        raise ValueError(f"no shipped official list for {year}")
    truth = frozenset(h.day for h in official[year])
    library = _workalendar_days(year)
    return truth - library, library - truth
