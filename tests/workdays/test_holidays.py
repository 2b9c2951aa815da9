"""The shipped England and Wales list against GOV.UK's published facts and workalendar 17."""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib import resources

import pytest

from models.calendar import CalendarSpec
from workdays.calendar import load_calendar
from workdays.holidays import (
    ENGLAND_AND_WALES,
    UnknownCalendar,
    bank_holidays,
    official_list,
    shipped_years,
    workalendar_discrepancies,
)

YEARS = range(2018, 2028)
EASTER_SUNDAY = {
    2018: date(2018, 4, 1),
    2019: date(2019, 4, 21),
    2020: date(2020, 4, 12),
    2021: date(2021, 4, 4),
    2022: date(2022, 4, 17),
    2023: date(2023, 4, 9),
    2024: date(2024, 3, 31),
    2025: date(2025, 4, 20),
    2026: date(2026, 4, 5),
    2027: date(2027, 3, 28),
}
EXPECTED_COUNTS = {y: 8 for y in YEARS} | {2022: 10, 2023: 9}
ONE_OFFS = {
    date(2020, 5, 8): "VE day",
    date(2022, 6, 2): "Spring bank holiday",
    date(2022, 6, 3): "Platinum Jubilee",
    date(2022, 9, 19): "State Funeral of Queen Elizabeth II",
    date(2023, 5, 8): "coronation of King Charles III",
}
SUBSTITUTE_DAYS = [
    date(2020, 12, 28),
    date(2021, 12, 27),
    date(2021, 12, 28),
    date(2022, 1, 3),
    date(2022, 12, 27),
    date(2023, 1, 2),
    date(2026, 12, 28),
    date(2027, 12, 27),
    date(2027, 12, 28),
]


def test_shipped_years_are_2018_to_2027() -> None:
    assert shipped_years(ENGLAND_AND_WALES) == frozenset(YEARS)


def test_data_file_names_its_source() -> None:
    raw = json.loads(
        resources.files("workdays").joinpath("data/england-and-wales.json").read_text("utf-8")
    )
    assert "gov.uk/bank-holidays" in raw["source"]


@pytest.mark.parametrize("year", YEARS)
def test_count_per_year(year: int) -> None:
    assert len(official_list(ENGLAND_AND_WALES)[year]) == EXPECTED_COUNTS[year]
    assert len(bank_holidays(ENGLAND_AND_WALES, [year])) == EXPECTED_COUNTS[year]


def test_every_official_holiday_is_a_weekday_and_not_a_working_day() -> None:
    calendar = load_calendar(CalendarSpec(), YEARS)
    for year, days in official_list(ENGLAND_AND_WALES).items():
        for holiday in days:
            assert holiday.day.year == year
            assert holiday.day.weekday() < 5, holiday
            assert not calendar.is_working_day(holiday.day), holiday


@pytest.mark.parametrize("year", YEARS)
def test_easter_and_fixed_rules(year: int) -> None:
    days = bank_holidays(ENGLAND_AND_WALES, [year])
    assert EASTER_SUNDAY[year] - timedelta(days=2) in days  # Good Friday
    assert EASTER_SUNDAY[year] + timedelta(days=1) in days  # Easter Monday
    august = [date(year, 8, d) for d in range(25, 32) if date(year, 8, d).weekday() == 0]
    assert august[-1] in days  # summer bank holiday: last Monday of August


def test_one_offs_and_substitute_days() -> None:
    titles = {h.day: h.title for y in YEARS for h in official_list(ENGLAND_AND_WALES)[y]}
    for day, words in ONE_OFFS.items():
        assert words in titles[day]
    assert date(2020, 5, 4) not in titles  # early May moved to VE day
    assert date(2022, 5, 30) not in titles  # spring bank holiday moved to 2 June
    for day in SUBSTITUTE_DAYS:
        assert day in titles


def test_outside_shipped_years_falls_back_to_workalendar_weekdays() -> None:
    days = bank_holidays(ENGLAND_AND_WALES, [2017, 2028])
    assert date(2017, 1, 2) in days  # New Year substitute
    assert date(2028, 1, 3) in days
    assert date(2028, 1, 1) not in days  # a Saturday
    assert all(d.weekday() < 5 for d in days)
    assert len(days) == 16


def test_unknown_calendar_is_named() -> None:
    with pytest.raises(ValueError, match="scotland"):
        bank_holidays("scotland", [2026])
    with pytest.raises(UnknownCalendar):
        bank_holidays("scotland", [])


# Exactly where workalendar 17's UnitedKingdom disagrees with the official list. It lists
# Easter Sunday and weekend dates of fixed holidays (harmless: weekends are never working
# days) and lacks the 2023 coronation bank holiday (harmful: a weekday).
WORKALENDAR_17 = {
    2018: (set(), {date(2018, 4, 1)}),
    2019: (set(), {date(2019, 4, 21)}),
    2020: (set(), {date(2020, 4, 12), date(2020, 12, 26)}),
    2021: (set(), {date(2021, 4, 4), date(2021, 12, 25), date(2021, 12, 26)}),
    2022: (set(), {date(2022, 1, 1), date(2022, 4, 17), date(2022, 12, 25)}),
    2023: ({date(2023, 5, 8)}, {date(2023, 1, 1), date(2023, 4, 9)}),
    2024: (set(), {date(2024, 3, 31)}),
    2025: (set(), {date(2025, 4, 20)}),
    2026: (set(), {date(2026, 4, 5), date(2026, 12, 26)}),
    2027: (set(), {date(2027, 3, 28), date(2027, 12, 25), date(2027, 12, 26)}),
}


@pytest.mark.parametrize("year", YEARS)
def test_workalendar_discrepancies_are_exactly_the_known_ones(year: int) -> None:
    missing, extra = workalendar_discrepancies(year)
    assert (set(missing), set(extra)) == WORKALENDAR_17[year]
    assert all(d.weekday() >= 5 for d in extra)


def test_the_only_weekday_discrepancy_is_the_coronation() -> None:
    weekday_gaps = set()
    for year in YEARS:
        missing, extra = workalendar_discrepancies(year)
        weekday_gaps |= {d for d in missing | extra if d.weekday() < 5}
    assert weekday_gaps == {date(2023, 5, 8)}


def test_discrepancies_need_a_shipped_year() -> None:
    with pytest.raises(ValueError, match="2030"):
        workalendar_discrepancies(2030)
