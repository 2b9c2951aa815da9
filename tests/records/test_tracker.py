"""``escalation alert tracker``: the QA Service's tracker as CSV and XLSX, on both databases.

The alerts are written by the real record activities (``tests/records/alert_rows.py``);
the command runs as a user runs it (in a thread: it starts its own event loop), and the
files are opened with the ``csv`` module and openpyxl.
"""

from __future__ import annotations

import asyncio
import csv
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from records.tracker import COLUMNS
from records.tracker_files import neutralised
from starter.cli import main
from tests.records.alert_rows import HYPERLINK, MINUS, SUM, Cases, write_cases

A1_STAGES = (
    "Team Manager: due 15 Dec 17:00, responded 11 Dec 10:05 (in time); "
    "Service Manager: due 19 Dec 17:00, no response (missed); "
    "Head of Service: due 30 Dec 17:00, responded 22 Dec 11:00 (in time)"
)


def _url(sm: async_sessionmaker[AsyncSession]) -> str:
    return str(sm.kw["bind"].url.render_as_string(hide_password=False))


async def _tracker(sm: async_sessionmaker[AsyncSession], out: Path, fmt: str, *extra: str) -> int:
    argv = ["alert", "tracker", "--format", fmt, "--out", str(out), "--database-url", _url(sm)]
    return await asyncio.to_thread(main, [*argv, *extra])


@pytest.fixture
async def cases(any_db: async_sessionmaker[AsyncSession]) -> Cases:
    return await write_cases(any_db)


WINDOW = ("--procedure", "rutland", "--from", "2025-12-01", "--to", "2025-12-31")


async def test_csv_tracker_has_a_row_per_alert_and_neutralised_formulas(
    any_db: async_sessionmaker[AsyncSession],
    cases: Cases,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "tracker.csv"
    assert await _tracker(any_db, out, "csv", *WINDOW) == 0
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == COLUMNS
    printed = capsys.readouterr().out.strip()
    assert printed == f"{out}: {len(rows) - 1} alert(s)"
    by_id = {r[2]: dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]}
    a1, a0, injected = by_id[cases.a1], by_id[cases.a0], by_id[cases.injected]
    assert a1 == {
        "Raised": "2025-12-08 10:00",
        "Case reference": cases.case_a,
        "Alert (workflow id)": cases.a1,
        "Procedure": "rutland",
        "Raised by": "J. Smith",
        "Reason code": "statutory_visit_late",
        "Theme": "Statutory visit not undertaken within required timescale",
        "Serious or urgent": "no",
        "Start stage": "Stage 1: Team Manager",
        "Stages reached": A1_STAGES,
        "Responses in time": "2",
        "Responses late or missed": "1",
        "State": "finalised",
        "Current stage": "",
        "Finalised": "2025-12-23 15:00",
        "Finalised by": "J. Smith",
        "Open days": "15",
    }
    assert a0["Stages reached"] == "Team Manager: due 8 Dec 17:00, responded 10 Dec 12:00 (late)"
    assert (a0["Responses in time"], a0["Responses late or missed"]) == ("0", "1")
    assert a0["State"] == "awaiting the chair's decision"
    assert a0["Current stage"] == "Stage 1: Team Manager"
    assert a0["Finalised"] == ""
    today = datetime.now(ZoneInfo("Europe/London")).date()
    assert int(a0["Open days"]) == (today - date(2025, 12, 1)).days
    # Oldest first.
    ids = [r[2] for r in rows[1:]]
    assert ids.index(cases.a0) < ids.index(cases.injected) < ids.index(cases.a1)
    # Every text a spreadsheet would run as a formula is inert.
    assert injected["Raised by"] == "'" + HYPERLINK
    assert injected["Finalised by"] == "'" + SUM
    assert injected["Theme"] == "'" + MINUS
    assert injected["Reason code"].startswith("'+cmd")
    for row in rows[1:]:
        assert not any(cell[:1] in "=+-@\t\r" and cell for cell in row), row


async def test_xlsx_tracker_has_a_bold_frozen_header_real_dates_and_inert_formulas(
    any_db: async_sessionmaker[AsyncSession],
    cases: Cases,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "tracker.xlsx"
    assert await _tracker(any_db, out, "xlsx", *WINDOW) == 0
    book = load_workbook(out)
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert tuple(header) == COLUMNS
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["J"].width >= 60  # the stages reached
    rows = {r[2].value: r for r in sheet.iter_rows(min_row=2)}
    assert capsys.readouterr().out.strip() == f"{out}: {len(rows)} alert(s)"
    a1 = {name: cell for name, cell in zip(COLUMNS, rows[cases.a1], strict=True)}
    raised = a1["Raised"]
    assert isinstance(raised.value, datetime) and raised.is_date
    assert raised.value == datetime(2025, 12, 8, 10, 0)
    assert "yyyy" in raised.number_format
    assert a1["Finalised"].value == datetime(2025, 12, 23, 15, 0)
    assert a1["Stages reached"].value == A1_STAGES
    assert (a1["Responses in time"].value, a1["Responses late or missed"].value) == (2, 1)
    assert a1["Open days"].value == 15
    injected = {name: cell for name, cell in zip(COLUMNS, rows[cases.injected], strict=True)}
    assert injected["Raised by"].value == "'" + HYPERLINK
    assert injected["Finalised by"].value == "'" + SUM
    assert injected["Theme"].value == "'" + MINUS
    # Nothing in the workbook is a formula.
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


async def test_window_and_procedure_choose_the_alerts(
    any_db: async_sessionmaker[AsyncSession],
    cases: Cases,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "december-first-week.csv"
    code = await _tracker(
        any_db, out, "csv", "--from", "2025-12-01", "--to", "2025-12-07", "--procedure", "rutland"
    )
    assert code == 0
    with out.open(encoding="utf-8", newline="") as f:
        ids = [r[2] for r in list(csv.reader(f))[1:]]
    assert cases.a0 in ids and cases.injected in ids and cases.a1 not in ids
    out = tmp_path / "other.csv"
    assert await _tracker(any_db, out, "csv", "--procedure", "redbridge-2017", *WINDOW[2:]) == 0
    with out.open(encoding="utf-8", newline="") as f:
        assert not any(cases.case_a in r[1] for r in csv.reader(f))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--from", "1/12/2025"), "--from: '1/12/2025' is not a day"),
        (("--from", "2025-12-31", "--to", "2025-12-01"), "--from 2025-12-31 is after --to"),
        (("--procedure", "Rutland County!"), "--procedure: unknown procedure 'Rutland County!'"),
    ],
)
async def test_bad_arguments_exit_2_and_write_nothing(
    sqlite_sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: tuple[str, ...],
    message: str,
) -> None:
    out = tmp_path / "tracker.csv"
    assert await _tracker(sqlite_sessionmaker, out, "csv", *extra) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


async def test_bad_format_and_unwritable_out_exit_2(
    sqlite_sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as raised:
        await _tracker(sqlite_sessionmaker, tmp_path / "t.ods", "ods")
    assert raised.value.code == 2
    assert await _tracker(sqlite_sessionmaker, tmp_path / "nowhere" / "t.csv", "csv") == 2


async def test_unreadable_database_exits_1_and_leaves_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tracker.xlsx"
    (tmp_path / "never-migrated.db").touch()  # an empty SQLite database: no tables
    empty = f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}"
    argv = ["alert", "tracker", "--format", "xlsx", "--out", str(out), "--database-url", empty]
    assert await asyncio.to_thread(main, argv) == 1
    assert "no such table" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["never-migrated.db"]


async def test_a_missing_database_is_named_and_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "escalation.db"
    argv = ["alert", "tracker", "--format", "csv", "--out", str(tmp_path / "t.csv")]
    argv += ["--database-url", f"sqlite+aiosqlite:///{missing}"]
    assert await asyncio.to_thread(main, argv) == 1
    assert f"no records database at {missing}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_neutralised(text: str) -> None:
    assert neutralised(text) == "'" + text
    assert neutralised("Team Manager") == "Team Manager"
