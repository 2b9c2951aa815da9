"""The PracticeAlert workflow on the time-skipping server, with real SMTP, SQLite and PostgreSQL.

Every path of a Rutland practice alert: a response in time then finalised; silence
up all six stages with every deadline to the minute; the chair starting at stage 3
or 4 when serious; refused starts (nothing started, no row, no email); finalisation
refused to others and before a response; malformed signals recorded while the alert
carries on.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from activities.email import SmtpConfig
from models.alerts import AlertResponse, Finalise, PracticeAlertStatus
from records.schema import AlertStep
from starter.alerts_sdk import PracticeAlertClient
from starter.sdk import DecisionRefused
from starter.smtp_sink import SmtpSink
from tests.workflows.support import at, jump_to, minute
from worker import create_worker

ROOT = Path(__file__).parents[2]
PACK_DIR = ROOT / "tests" / "fixtures" / "packs"
PROCEDURE = "rutland-alerts-test"
EXAMPLE: dict[str, Any] = json.loads(
    (ROOT / "examples" / "rutland--practice-alert.json").read_text()
)
RAISER = EXAMPLE["raised_by"]["email"]


def email_of(role: str) -> str:
    return str(next(p["email"] for p in EXAMPLE["people"] if p["role"] == role))


def addresses(message: Any, header: str) -> list[str]:
    return [a.addr_spec for a in message[header].addresses] if message[header] else []


TEAM_MANAGER = email_of("receiving.team_manager")
QA = email_of("partnership.qa_service")


def alert_payload(raised_at: str, **overrides: Any) -> dict[str, Any]:
    """The example alert under the test pack, with a fresh case reference."""
    payload = copy.deepcopy(EXAMPLE)
    payload["procedure"] = PROCEDURE
    payload["case_reference"] = f"CR-{uuid.uuid4().hex[:10]}"
    payload["alert_id"] = "a1"
    payload["raised_at"] = raised_at
    payload.update(overrides)
    return payload


@dataclass
class AlertHarness:
    env: WorkflowEnvironment
    client: PracticeAlertClient
    sink: SmtpSink
    db: async_sessionmaker[AsyncSession]

    async def status(self, workflow_id: str) -> PracticeAlertStatus:
        return await self.client.status(workflow_id)

    async def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        async with self.db() as session:
            return [tuple(r) for r in (await session.execute(text(sql), params)).all()]

    async def steps(self, workflow_id: str) -> list[tuple[Any, ...]]:
        return await self.rows(
            "SELECT kind, stage_id, in_time FROM alert_steps WHERE workflow_id = :w ORDER BY key",
            w=workflow_id,
        )


@asynccontextmanager
async def alerts_running(
    env: WorkflowEnvironment,
    db: async_sessionmaker[AsyncSession],
    sink: SmtpSink,
    pack_dir: Path = PACK_DIR,
) -> AsyncIterator[AlertHarness]:
    """A worker on a fresh task queue reading ``pack_dir``, with real activities."""
    queue = f"test-{uuid.uuid4()}"
    smtp = SmtpConfig(host="127.0.0.1", port=sink.port, mail_from="alerts@lscb.example.org")
    async with create_worker(env.client, queue, sessionmaker=db, smtp=smtp, pack_dir=pack_dir):
        client = PracticeAlertClient(env.client, queue, env.get_current_time, pack_dir)
        yield AlertHarness(env, client, sink, db)


RAISED = "2030-06-10T10:00:00+01:00"  # Monday, British Summer Time


async def test_response_in_time_then_finalised_by_the_raiser_only(env, any_db, mail) -> None:
    await jump_to(env, at(RAISED))
    async with alerts_running(env, any_db, mail) as h:
        payload = alert_payload(RAISED)
        wid = await h.client.raise_alert(payload)
        assert wid == f"alert-{payload['case_reference']}-a1"
        await jump_to(env, at("2030-06-10T10:05:00+01:00"))  # opened: validators now judge

        # Nothing to finalise before a response: refused (update) and recorded (signal).
        with pytest.raises(DecisionRefused, match="nothing to finalise yet: no response"):
            await h.client.finalise(wid, Finalise(by=RAISER, text="Closing"))
        await h.client.handle(wid).signal("finalised", {"by": RAISER, "text": "Closing"})
        # Malformed signals: recorded, the alert carries on.
        await h.client.handle(wid).signal("alert_response", {"by": "K. Team Manager"})
        await h.client.handle(wid).signal("alert_response", ["not", "an", "object"])

        await jump_to(env, at("2030-06-12T11:30:00+01:00"))
        receipt = await h.client.respond(
            wid,
            AlertResponse(
                by="K. Team Manager", text="Visit booked for Friday", stage="team_manager"
            ),
        )
        assert receipt is not None and receipt.state == "awaiting_finalisation"

        with pytest.raises(DecisionRefused, match="only the raising chair may finalise"):
            await h.client.finalise(wid, Finalise(by=TEAM_MANAGER, text="Done"))
        await h.client.handle(wid).signal("finalised", {"by": "K. Team Manager", "text": "x"})

        await jump_to(env, at("2030-06-13T09:00:00+01:00"))
        done = await h.client.finalise(wid, Finalise(by=RAISER.upper(), text="Visit seen; closed"))
        assert done is not None and done.state == "finalised"
        final = await h.client.handle(wid).result()

        with pytest.raises(DecisionRefused, match="is finalised; no further decisions"):
            await h.client.respond(wid, AlertResponse(by="K. Team Manager", text="More"))

    assert final.state == "finalised"
    assert final.alert_id == "a1"
    assert (final.reason_code, final.reason_title) == (
        "4",
        "Statutory visit not undertaken within required timescale",
    )
    assert [(s.stage_id, s.entered_at, s.due_at, s.outcome) for s in final.stages] == [
        ("team_manager", at(RAISED), at("2030-06-17T17:00:00+01:00"), "finalised")
    ]
    assert minute(final.stages[0].responded_at) == at("2030-06-12T11:30:00+01:00")
    assert final.stages[0].response_in_time is True
    assert [(e.kind, e.stage, e.by, e.in_time) for e in final.case_note] == [
        ("alert", "team_manager", "J. Independent Reviewing Officer", None),
        ("response", "team_manager", "K. Team Manager", True),
        ("finalised", "team_manager", "J. Independent Reviewing Officer", None),
    ]
    assert final.case_note[0].text.startswith(
        "Reason 4: Statutory visit not undertaken within required timescale. Statutory visits"
    )
    assert final.finalised_by == "J. Independent Reviewing Officer"
    assert [(r.name, r.error.split(":")[0]) for r in final.rejected_inputs] == [
        ("finalise", "nothing to finalise yet"),
        ("respond", "text"),
        ("respond", "payload"),
        ("finalise", "by"),
    ]
    assert "only the raising chair" in final.rejected_inputs[-1].error

    alert = await h.rows(
        "SELECT case_reference, procedure, reason_code, state, current_stage, start_stage, "
        "serious_or_urgent, finalised_by, raised_by_email FROM practice_alerts "
        "WHERE workflow_id = :w",
        w=wid,
    )
    assert alert == [
        (
            payload["case_reference"],
            PROCEDURE,
            "4",
            "finalised",
            "team_manager",
            "team_manager",
            False,
            "J. Independent Reviewing Officer",
            RAISER,
        )
    ]
    assert await h.steps(wid) == [
        ("raised", "team_manager", None),
        ("stage_entered", "team_manager", None),
        ("rejected_input", "team_manager", None),
        ("rejected_input", "team_manager", None),
        ("rejected_input", "team_manager", None),
        ("response", "team_manager", True),
        ("rejected_input", "team_manager", None),
        ("finalised", "team_manager", None),
    ]
    async with h.db() as session:
        response = [
            tuple(r)
            for r in await session.execute(
                select(AlertStep.actor, AlertStep.text, AlertStep.due_at).where(
                    AlertStep.workflow_id == wid, AlertStep.kind == "response"
                )
            )
        ]
    assert response == [
        ("K. Team Manager", "Visit booked for Friday", at("2030-06-17T16:00:00+00:00"))
    ]

    subjects = [m["Subject"] for m in mail.messages]
    case = payload["case_reference"]
    assert subjects == [
        f"[{case}] Practice alert at Stage 1: Team Manager: respond by "
        "Monday 17 June 2030, 17:00 (UTC+01:00)",
        f"[{case}] Practice alert response from Stage 1: Team Manager: finalise or escalate",
        f"[{case}] Practice alert finalised",
    ]
    first = mail.messages[0]
    assert addresses(first, "To") == [TEAM_MANAGER]
    assert addresses(first, "Cc") == [QA, RAISER]
    body = first.get_body(("plain",)).get_content()
    assert f"Case reference: {case}." in body
    assert "Reason code 4: Statutory visit not undertaken within required timescale." in body
    assert f"Description: {payload['description']}" in body
    assert f"Agreed action: {payload['agreed_action']}" in body
    assert "Deadline: Monday 17 June 2030, 17:00 BST." in body
    assert addresses(mail.messages[1], "To") == [RAISER]
    assert addresses(mail.messages[1], "Cc") == [TEAM_MANAGER]
    assert addresses(mail.messages[2], "To") == [RAISER]
    assert addresses(mail.messages[2], "Cc") == [TEAM_MANAGER]
    sent = await h.rows(
        "SELECT kind, status FROM notifications WHERE workflow_id = :w ORDER BY key", w=wid
    )
    assert sent == [("stage_entered", "sent"), ("resolved", "sent"), ("closed", "sent")]
