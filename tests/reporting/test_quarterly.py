"""The scheduled quarterly report's parts: the due day, the plan, the key, the email, the tracker.

The due day is the N-th working day after the quarter's last day on the procedure's
calendar; the plan activity answers it (and whether the report already went) for
the day a run stands for, on the England and Wales bank holidays.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.email import SmtpConfig
from activities.quarterly import (
    XLSX,
    QuarterlyReportActivities,
    due_day,
    quarter_before,
    report_key,
    tracker_attachment,
)
from activities.quarterly_mail import Attachment, report_mail, report_message
from models.calendar import CalendarSpec
from models.common import Person
from models.notifications import Notification
from models.quarterly import (
    QuarterlyReportPlan,
    QuarterlyReportPlanRequest,
    QuarterlyReportRequest,
)
from records.db import make_sessionmaker, upgrade
from records.report import Figures, Quarter, StageRow
from records.schema import PracticeAlertRow
from records.tracker import COLUMNS
from workdays.calendar import WorkingCalendar, load_calendar

Q4_2026 = Quarter(2026, 4)


def test_q4_2026_report_is_due_friday_8_january_with_28_december_and_1_january_off() -> None:
    # Thu 31 Dec 2026 ends the quarter; Mon 28 Dec (Boxing Day's substitute) and
    # Fri 1 Jan are bank holidays: Mon 4, Tue 5, Wed 6, Thu 7, Fri 8 January.
    calendar = WorkingCalendar(CalendarSpec(), frozenset({date(2026, 12, 28), date(2027, 1, 1)}))
    assert due_day(Q4_2026, calendar, 5) == date(2027, 1, 8)
    assert due_day(Q4_2026, calendar, 1) == date(2027, 1, 4)


def test_the_shipped_england_and_wales_calendar_agrees() -> None:
    calendar = load_calendar(CalendarSpec())
    assert not calendar.is_working_day(date(2026, 12, 28))
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert due_day(Q4_2026, calendar, 5) == date(2027, 1, 8)
    # Q1 2027 ends on Wednesday 31 March; Good Friday (26 March) and Easter Monday
    # (29 March) fall before it, so the 5th working day after is Wednesday 7 April.
    assert due_day(Quarter(2027, 1), calendar, 5) == date(2027, 4, 7)


def test_a_partnership_closure_day_is_skipped_too() -> None:
    spec = CalendarSpec(extra_closure_days=[date(2027, 1, 4)])
    assert due_day(Q4_2026, load_calendar(spec), 5) == date(2027, 1, 11)


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (date(2027, 1, 8), "2026Q4"),
        (date(2027, 3, 31), "2026Q4"),
        (date(2026, 4, 1), "2026Q1"),
        (date(2026, 12, 31), "2026Q3"),
        (date(2026, 7, 15), "2026Q2"),
    ],
)
def test_the_quarter_reported_is_the_last_one_that_ended(day: date, quarter: str) -> None:
    assert quarter_before(day).label == quarter


def test_one_key_per_procedure_quarter_and_recipients_in_any_order() -> None:
    key = report_key("rutland", "2026Q4", ["b@x.org", "A@x.org"])
    assert key == report_key("rutland", "2026Q4", ["a@x.org", "b@x.org"])
    assert key.startswith("quarterly-report/rutland/2026Q4/")
    assert key != report_key("rutland", "2026Q4", ["a@x.org"])
    assert key != report_key(None, "2026Q4", ["a@x.org", "b@x.org"])
    assert key != report_key("rutland", "2027Q1", ["a@x.org", "b@x.org"])


def _figures() -> Figures:
    f = Figures(quarter=Q4_2026, procedure="rutland")
    p = f.section("rutland", "Rutland", alerts_apply=True)
    p.alerts_opened, p.alerts_closed = 2, 1
    p.alert_themes = Counter({"visit_late: Late visit": 2})
    p.alert_deadlines[StageRow((90, 0), "Practice alerts", "Stage 1")] = Counter(
        {"met": 1, "missed": 1}
    )
    return f


async def test_the_tracker_attached_is_the_quarters_alerts_as_a_workbook(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"
    await upgrade(url)
    db = make_sessionmaker(url)
    async with db() as session, session.begin():
        for n, raised in enumerate(["2026-09-30T22:59", "2026-11-04T10:00", "2027-01-01T00:00"]):
            session.add(
                PracticeAlertRow(
                    workflow_id=f"practice-alert-CR-9{n}-a1",
                    case_reference=f"CR-9{n}",
                    procedure="rutland",
                    reason_code="withdrawn_code",
                    reason_title='=HYPERLINK("http://evil.example")',
                    description="-",
                    agreed_action="-",
                    raised_by="A. Raiser",
                    raised_by_email="raiser@rutland.example.org",
                    raised_at=datetime.fromisoformat(raised).replace(tzinfo=UTC),
                    start_stage="stage_1",
                )
            )
    try:
        attached = await tracker_attachment(db, Q4_2026, "rutland")
    finally:
        await db.kw["bind"].dispose()
    assert attached.filename == "practice-alert-tracker-2026Q4-rutland.xlsx"
    sheet = load_workbook(io.BytesIO(attached.data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    # 30 Sep 22:59 UTC is 23:59 in London (Q3); 1 Jan 00:00 UTC is 2027Q1.
    assert [r[1] for r in rows[1:]] == ["CR-91"]
    theme = rows[1][COLUMNS.index("Theme")]
    assert isinstance(theme, str) and theme.startswith("'=")


def test_the_message_is_the_html_report_with_the_tracker_attached() -> None:
    n = Notification(
        key="quarterly-report/rutland/2026Q4/abc",
        workflow_id="quarterly-report-rutland-2027-01-08T07:00:00Z",
        case_reference="Quarterly report 2026Q4",
        kind="quarterly_report",
        procedure_title="Rutland",
        partnership="Rutland",
        headline="Rutland (rutland), 1 October to 31 December 2026",
        to=[Person(role="partnership.report_recipient", name="bm@x.org", email="bm@x.org")],
    )
    tracker = Attachment("tracker.xlsx", XLSX, b"PK\x03\x04")
    msg = report_message(n, "escalations@x.org", n.to, [], report_mail(_figures(), tracker))
    assert msg["Subject"] == (
        "[Quarterly report 2026Q4] Rutland (rutland), 1 October to 31 December 2026"
    )
    assert msg["To"] == "bm@x.org"
    html = msg.get_body(("html",))
    assert html is not None and "Quarterly figures 2026Q4" in html.get_content()
    text = msg.get_body(("plain",))
    assert text is not None and "themes (reason codes):" in text.get_content()
    [attached] = list(msg.iter_attachments())
    assert attached.get_filename() == "tracker.xlsx"
    assert attached.get_content_type() == XLSX
    assert attached.get_content() == b"PK\x03\x04"


@pytest.fixture
def plan_activities(
    db: async_sessionmaker[AsyncSession],
) -> QuarterlyReportActivities:
    return QuarterlyReportActivities(db, SmtpConfig())


async def _plan(
    acts: QuarterlyReportActivities,
    at: str,
    as_of: date | None = None,
    quarter: str | None = None,
) -> QuarterlyReportPlan:
    req = QuarterlyReportRequest(to=["bm@x.org"], procedure="rutland", as_of=as_of, quarter=quarter)
    return await ActivityEnvironment().run(
        acts.plan_quarterly_report,
        QuarterlyReportPlanRequest(request=req, at=datetime.fromisoformat(at)),
    )


async def test_the_plan_is_due_on_the_due_day_and_ten_working_days_after_never_before(
    plan_activities: QuarterlyReportActivities,
) -> None:
    days = ["2027-01-07", "2027-01-08", "2027-01-22", "2027-01-25"]
    plans = [await _plan(plan_activities, f"{d}T07:00:00+00:00") for d in days]
    for plan in plans:
        assert (plan.quarter, plan.due_on) == ("2026Q4", date(2027, 1, 8))
        assert plan.late_until == date(2027, 1, 22)
        assert plan.earlier is None
    assert [p.due for p in plans] == [False, True, True, False]
    assert plans[1].partnerships and plans[1].scope == "procedure rutland"
    # A named quarter is due whenever its day has come: a report sent by hand, late.
    late = await _plan(plan_activities, "2027-03-01T07:00:00+00:00", quarter="2026Q4")
    assert late.due


async def test_the_run_day_is_local_and_as_of_and_quarter_override_it(
    plan_activities: QuarterlyReportActivities,
) -> None:
    # 23:30 UTC on 30 June is already 1 July in London (BST): the quarter Q2 ended.
    plan = await _plan(plan_activities, "2027-06-30T23:30:00+00:00")
    assert (plan.today, plan.quarter) == (date(2027, 7, 1), "2027Q2")
    plan = await _plan(plan_activities, datetime.now(UTC).isoformat(), as_of=date(2027, 1, 8))
    assert (plan.today, plan.quarter, plan.due) == (date(2027, 1, 8), "2026Q4", True)
    plan = await _plan(plan_activities, "2027-01-08T07:00:00+00:00", quarter="2026Q3")
    assert (plan.quarter, plan.due_on, plan.due) == ("2026Q3", date(2026, 10, 7), True)
