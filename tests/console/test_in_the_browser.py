"""A contacts import with a bad row, and the tracker download, driven in Chromium (scripts off).

The other console tests post these through a signed-in HTTP client; here a person does
it: picks a file in the page's file input and presses Import, clicks the tracker's CSV
link and finds the file saved by the browser.
"""

from __future__ import annotations

import csv
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from records.schema import Contact, PracticeAlertRow
from starter.sdk import EscalationClient
from tests.browser import in_browser
from tests.console.support import REDBRIDGE, SUTTON, console_for, sign_in


@pytest.fixture
def cases(env: WorkflowEnvironment) -> EscalationClient:
    return EscalationClient(env.client, "console-in-the-browser")


async def test_a_contacts_file_with_a_bad_row_is_refused_in_the_browser(
    issuer: str,
    cases: EscalationClient,
    db,
    sqlite_url: str,
    browser: webdriver.Chrome,
    tmp_path: Path,
) -> None:
    agency = f"Redbridge Police {uuid.uuid4().hex[:6]}"
    upload = tmp_path / "contacts.csv"
    upload.write_text(
        "partnership,agency,role,name,email\n"
        f"{REDBRIDGE},{agency},line_manager,Dana Lee,dana@police.example.org\n"
        f"{SUTTON},{agency},line_manager,Ann Other,ann@sutton.example.org\n"
    )
    async with console_for(issuer, cases, db, sqlite_url) as console:

        def import_it() -> str:
            sign_in(browser, f"{console.url}/admin/contacts", "bm-redbridge")
            browser.find_element(By.ID, "file").send_keys(str(upload))
            browser.find_element(By.XPATH, "//button[normalize-space()='Import']").click()
            return str(
                WebDriverWait(browser, 30)
                .until(expected_conditions.presence_of_element_located((By.ID, "errors")))
                .text
            )

        errors = await in_browser(import_it)
    assert "contacts.csv was not imported" in errors
    assert f"line 3: partnership: '{SUTTON}' is not a partnership whose directory you keep" in (
        errors
    )
    async with db() as session:
        assert (await session.scalars(select(Contact).where(Contact.agency == agency))).all() == []


async def test_the_tracker_downloads_in_the_browser(
    issuer: str,
    cases: EscalationClient,
    db,
    sqlite_url: str,
    browser: webdriver.Chrome,
    tmp_path: Path,
) -> None:
    ref = f"RU-{uuid.uuid4().hex[:8]}-1"
    async with db() as session, session.begin():
        session.add(
            PracticeAlertRow(
                workflow_id=f"alert-{ref}-visits-01",
                case_reference=ref,
                procedure="rutland",
                reason_code="report_not_completed",
                reason_title="Report not completed",
                description="The conference report was not shared in time.",
                agreed_action="Share it before the review.",
                raised_by="J. Chair",
                raised_by_email="chair@rutland.example.org",
                raised_at=datetime(2031, 3, 3, 10, tzinfo=UTC),
                start_stage="team_manager",
                current_stage="team_manager",
            )
        )
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    async with console_for(issuer, cases, db, sqlite_url) as console:

        def download() -> Path:
            browser.execute_cdp_cmd(
                "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
            )
            sign_in(browser, f"{console.url}/alerts?from=2031-03-03&to=2031-03-03", "bm-rutland")
            browser.find_element(By.ID, "download-csv").click()
            WebDriverWait(browser, 30).until(
                lambda _: [p for p in downloads.glob("*.csv") if p.stat().st_size > 0]
            )
            [saved] = downloads.glob("*.csv")
            return saved

        saved = await in_browser(download)
    assert saved.name.startswith("practice-alert-tracker-")
    rows = list(csv.reader(saved.read_text(encoding="utf-8-sig").splitlines()))
    mine = [r for r in rows[1:] if ref in r]
    assert len(mine) == 1 and "Report not completed" in " ".join(mine[0])
