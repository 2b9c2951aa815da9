"""``escalation alert brief``: a case's practice alerts since the last meeting, read out.

Rows come from the real record activities (``tests/records/alert_rows.py``), on
SQLite and PostgreSQL; the command runs in a thread (it starts its own event loop).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from records.briefing import briefing
from records.export import render_html, render_markdown
from starter.alerts_sdk import PracticeAlertClient
from starter.cli import main
from tests.records.alert_rows import AlertRows, Cases, due, write_cases

A0_SINCE = [
    "On 8 December the Team Manager had not responded to the practice alert of 1 December 2025 "
    "(Core Group not help/ recorded within required timescales) by the deadline "
    "(Monday 8 December).",
    "On 10 December the Team Manager responded late: Core group held on 9 December.",
]
A1 = [
    "On Monday 8 December 2025 J. Smith raised a practice alert: Statutory visit not undertaken "
    "within required timescale (Team Manager to respond by Monday 15 December).",
    "On 11 December the Team Manager responded in time: Visit booked for 15 December.",
    "On 12 December J. Smith was not satisfied and the alert went up to the Service Manager "
    "(to respond by Friday 19 December): No date for the visit in the placement.",
    "On 19 December the alert went up to the Head of Service (to respond by Tuesday 30 December): "
    "no response by the deadline.",
    "On 22 December the Head of Service responded in time: Visit done on 22 December.",
    "On 23 December J. Smith finalised the alert.",
]


def _url(sm: async_sessionmaker[AsyncSession]) -> str:
    return str(sm.kw["bind"].url.render_as_string(hide_password=False))


async def _brief(sm: async_sessionmaker[AsyncSession], *args: str) -> int:
    return await asyncio.to_thread(main, ["alert", "brief", *args, "--database-url", _url(sm)])


@pytest.fixture
async def cases(any_db: async_sessionmaker[AsyncSession]) -> Cases:
    return await write_cases(any_db)


async def test_brief_reads_out_each_event_since_the_day_and_nothing_before(
    any_db: async_sessionmaker[AsyncSession], cases: Cases, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _brief(any_db, cases.case_a, "--since", "2025-12-07") == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [*A0_SINCE, *A1]
    # a0 was raised on 1 December, before the meeting: not told again.
    assert "1 December 2025 J. Smith raised" not in out
    assert "Monday 1 December" not in out
    # Another case's alert is not this case's business.
    assert "HYPERLINK" not in out and "SUM" not in out


async def test_brief_since_a_later_day_leaves_out_what_came_before(
    any_db: async_sessionmaker[AsyncSession], cases: Cases, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _brief(any_db, cases.case_a, "--since", "2025-12-20") == 0
    assert capsys.readouterr().out.splitlines() == [
        "On 22 December the Head of Service responded in time to the practice alert of "
        "8 December 2025 (Statutory visit not undertaken within required timescale): "
        "Visit done on 22 December.",
        "On 23 December J. Smith finalised the alert.",
    ]


async def test_brief_with_nothing_since_says_so(
    any_db: async_sessionmaker[AsyncSession], cases: Cases, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _brief(any_db, cases.case_a, "--since", "2026-01-05") == 0
    assert capsys.readouterr().out == (
        f"No practice alert on case {cases.case_a} was raised, answered, escalated or "
        "finalised since Monday 5 January 2026.\n"
    )


async def test_brief_refuses_a_day_it_cannot_read(
    sqlite_sessionmaker: async_sessionmaker[AsyncSession], capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _brief(sqlite_sessionmaker, "CR-1", "--since", "07/12/2025") == 2
    assert "--since: '07/12/2025' is not a day" in capsys.readouterr().err


async def test_sdk_brief_and_the_record_export_carry_the_same_sentences(
    any_db: async_sessionmaker[AsyncSession], cases: Cases
) -> None:
    sentences = await PracticeAlertClient.brief(any_db, cases.case_a, date(2025, 12, 7))
    assert sentences == [*A0_SINCE, *A1]
    everything = await briefing(any_db, cases.case_a)
    assert everything[0] == (
        "On Monday 1 December 2025 J. Smith raised a practice alert: Core Group not help/ "
        "recorded within required timescales (Team Manager to respond by Monday 8 December)."
    )
    # Without --since, the first mention needs no introduction: the alert was raised above.
    assert everything[1].startswith("On 8 December the Team Manager had not responded to the alert")
    now = datetime.fromisoformat("2026-01-05T09:00:00+00:00")
    markdown = render_markdown(cases.case_a, [], now, alerts=everything)
    assert "## Practice alerts on this case" in markdown
    assert f"- {A1[-1]}" in markdown
    html = render_html(cases.case_a, [], now, now, alerts=everything)
    assert "<h2>Practice alerts on this case</h2>" in html and f"<li>{A1[-1]}</li>" in html
    assert "Practice alerts" not in render_markdown(cases.case_a, [], now)


async def test_a_chair_sending_an_unanswered_alert_up_is_told_as_such(
    any_db: async_sessionmaker[AsyncSession],
) -> None:
    case = f"CR-S{uuid.uuid4().hex[:8]}"
    alert = (
        AlertRows(case, "s1", "01T09:00:00", "assessment_late", serious_or_urgent=True)
        .step("raised", "01T09:00:00", "team_manager", actor="J. Smith")
        .step("stage_entered", "01T09:00:00", "team_manager", state="open", **due("08T17:00:00"))
        .step("overdue", "08T17:00:00", "team_manager", in_time=False, **due("08T17:00:00"))
        .step(
            "not_satisfied",
            "09T09:00:00",
            "team_manager",
            actor="J. Smith",
            text="Nothing heard since the deadline",
            data={"to_stage": "director_for_people", "after_response": "false"},
        )
        .step(
            "stage_entered",
            "09T09:00:00",
            "director_for_people",
            state="open",
            **due("16T17:00:00"),
        )
    )
    await alert.write(any_db)
    assert await briefing(any_db, case, date(2025, 12, 2)) == [
        "On 8 December the Team Manager had not responded to the practice alert of 1 December "
        "2025 (Assessment not completed within required timescale (parenting/pre-birth/CSE/"
        "domestic abuse)) by the deadline (Monday 8 December).",
        "On 9 December J. Smith sent the alert up to the Director for People (to respond by "
        "Tuesday 16 December): Nothing heard since the deadline.",
    ]
    assert (await briefing(any_db, case))[0] == (
        "On Monday 1 December 2025 J. Smith raised a serious or urgent practice alert: Assessment "
        "not completed within required timescale (parenting/pre-birth/CSE/domestic abuse) (Team "
        "Manager to respond by Monday 8 December)."
    )
