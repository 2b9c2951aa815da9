"""``ESCALATION_LOG_FORMAT=json``: one JSON object per line, naming the case, never a person.

The worker's activities log through their module loggers; the ``CaseLogContext``
interceptor gives each line written inside an activity the case reference of the
activity's argument, and the formatter adds the workflow id from the SDK.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.email import SmtpConfig
from starter.sdk import EscalationClient
from starter.smtp_sink import SmtpSink
from telemetry.logs import CaseLogContext, JsonLines, case_reference_of, configure_logging
from tests.activities.support import disagreement, new_case, notification
from tests.faults.stack import eventually
from tests.workflows.support import EXAMPLE, start_payload
from worker import create_worker


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the process logs at INFO, as JSON lines."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_line_outside_any_case_is_json_with_time_level_logger_message() -> None:
    record = logging.LogRecord(
        "escalation.worker", logging.WARNING, __file__, 1, "a %s", ("b",), None
    )
    entry = json.loads(JsonLines().format(record))
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "escalation.worker"
    assert entry["message"] == "a b"
    assert entry["time"].endswith("+00:00")
    assert "workflow_id" not in entry and "case_reference" not in entry


def test_configure_logging_json_sets_the_formatter() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        configure_logging("json")
        assert isinstance(root.handlers[-1].formatter, JsonLines)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_the_case_reference_is_found_in_every_kind_of_argument() -> None:
    wid, case = new_case()
    assert case_reference_of(disagreement(wid, case)) == case
    assert case_reference_of(notification(wid, case)) == case
    assert case_reference_of("not a case") is None


async def test_an_activitys_lines_name_its_workflow_and_case_never_a_person(
    env: WorkflowEnvironment, db, mail: SmtpSink, lines: io.StringIO
) -> None:
    queue = f"logs-{uuid.uuid4().hex[:8]}"
    smtp = SmtpConfig(host="127.0.0.1", port=mail.port, mail_from="escalations@lscb.example.org")
    payload = start_payload(datetime(2026, 11, 20, 10, tzinfo=UTC))
    async with create_worker(
        env.client, queue, sessionmaker=db, smtp=smtp, interceptors=[CaseLogContext()]
    ):
        cases = EscalationClient(env.client, queue, env.get_current_time)
        wid = await cases.open(payload)
        await mail.wait_for(1)

        async def written() -> list[dict[str, Any]]:
            # The record is written beside the timeline: the email may arrive first.
            entries = [json.loads(line) for line in lines.getvalue().splitlines()]
            found = [e for e in entries if e["message"].startswith("recorded disagreement")]
            assert found, entries
            return found

        recorded = await eventually(written, timeout=10, every=0.05)
    entries = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert recorded[0]["workflow_id"] == wid
    assert recorded[0]["case_reference"] == payload["case_reference"]
    assert recorded[0]["logger"] == "activities.records"
    names = [p["name"] for p in EXAMPLE["people"]]
    for entry in entries:
        assert not any(name in json.dumps(entry) for name in names), entry
