"""``escalation calendar``: bad input is refused naming the field; nothing stored, no case told.

Every refusal happens before the database or Temporal is touched: the address
given points at a port nobody listens on, so a command that tried to tell a
case would fail differently (exit 1, "cannot connect").
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from records.db import make_sessionmaker, upgrade
from starter.cli import main

NOBODY = "127.0.0.1:9"


@pytest.fixture(scope="module")
async def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One database for the module: none of these commands may write to it."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('closures') / 'closures.db'}"
    await upgrade(url)
    return url


async def stored(url: str) -> int:
    maker = make_sessionmaker(url)
    try:
        async with maker() as session:
            return int(
                (await session.execute(text("SELECT count(*) FROM calendar_closures"))).scalar_one()
            )
    finally:
        await maker.kw["bind"].dispose()


async def cli(*argv: str) -> int:
    """The command as a user runs it (in a thread: it runs its own event loop)."""
    return await asyncio.to_thread(main, list(argv))


def add(db_url: str, *extra: str) -> list[str]:
    return [
        "calendar",
        "add-closure",
        "--database-url",
        db_url,
        "--address",
        NOBODY,
        *extra,
    ]


TOMORROW = (date.today() + timedelta(days=7)).isoformat()
"""A valid closure day (a week ahead, so the time zone of 'today' never matters)."""
GOOD = [
    "--procedure",
    "redbridge-2017",
    "--reason",
    "Staff training day",
    "--by",
    "Business Manager",
]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--date", "10/12/2026", *GOOD],
            "--date: '10/12/2026' is not a date in the form YYYY-MM-DD",
        ),
        (
            ["--date", "2026-02-30", *GOOD],
            "--date: '2026-02-30' is not a date (day is out of range",
        ),
        (["--date", "2020-01-06", *GOOD], "--date: 2020-01-06 is in the past"),
        (["--date", "2099-01-05", *GOOD], "--date: 2099-01-05 is more than two years ahead"),
        (
            ["--date", TOMORROW, "--partnership", "Nowhere LSCB", "--reason", "x", "--by", "y"],
            "--partnership: no pack names the partnership 'Nowhere LSCB' (",
        ),
        (
            ["--date", TOMORROW, "--procedure", "nowhere", "--reason", "x", "--by", "y"],
            "--procedure: unknown procedure 'nowhere' (known: north-lincolnshire-mars-2019,",
        ),
        (
            ["--date", TOMORROW, "--procedure", "redbridge-2017", "--reason", "  ", "--by", "y"],
            "--reason: must not be empty",
        ),
        (
            ["--date", TOMORROW, "--procedure", "redbridge-2017", "--reason", "x", "--by", ""],
            "--by: must not be empty",
        ),
        (
            ["--procedure", "redbridge-2017", "--reason", "Snow\x1b[2J", "--by", "y"],
            "--reason: a text may not contain control characters other than newline and tab"
            " (found U+001B)",
        ),
        (
            ["--procedure", "redbridge-2017", "--reason", "x", "--by", "Ops\nBcc: all"],
            "--by: a name may not contain control characters or line breaks (found U+000A)",
        ),
        (
            ["--procedure", "redbridge-2017", "--reason", "r" * 10_001, "--by", "y"],
            "--reason: at most 10,000 characters (got 10,001)",
        ),
    ],
    ids=[
        "format",
        "no-such-day",
        "past",
        "year-typo",
        "partnership",
        "procedure",
        "reason",
        "by",
        "reason-control",
        "by-newline",
        "reason-long",
    ],
)
async def test_bad_input_names_the_field_and_stores_nothing(
    db_url: str, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    # A good date beside the bad input: still nothing is stored.
    code = await cli(*add(db_url, "--date", TOMORROW, *args))
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err
    assert "nothing stored, no case told" in err
    assert "cannot connect" not in err
    assert await stored(db_url) == 0


async def test_every_bad_date_is_reported_at_once(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await cli(*add(db_url, "--date", "tomorrow", "--date", "2020-01-06", *GOOD))
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert [line.split(":")[1].strip() for line in err[:2]] == ["--date", "--date"]
    assert len(err) == 3


async def test_temporal_unreachable_stores_nothing(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Storing a closure no running case can be told of would leave them on the old calendar."""
    code = await cli(*add(db_url, "--date", TOMORROW, *GOOD))
    err = capsys.readouterr().err
    assert code == 1
    assert f"cannot connect to Temporal at {NOBODY}" in err
    assert "nothing stored, no case told" in err
    assert await stored(db_url) == 0


async def test_refresh_and_list_refuse_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code = await cli("calendar", "refresh", "--reason", "", "--by", "Ops", "--address", NOBODY)
    assert code == 2 and "--reason: must not be empty" in capsys.readouterr().err
    code = await cli("calendar", "list", "--procedure", "nowhere")
    assert code == 2 and "--procedure: unknown procedure 'nowhere'" in capsys.readouterr().err


async def test_list_of_an_empty_store(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await cli("calendar", "list", "--database-url", db_url) == 0
    assert capsys.readouterr().out == "no closure days stored\n"
