"""A small quarter of casework run on the time-skipping server, for the record and report tests.

Four Redbridge disagreements and two Rutland practice alerts, autumn 2030, into a
database of their own (SQLite or PostgreSQL), so the quarter's figures are exact:

- D (case X, raised Mon 30 Sep, Q3): silence up all four stages, each deadline
  missed; the Chair resolves on Mon 4 Nov 09:00 (no confirmation at the Chair).
- A (case X again, Mon 4 Nov 10:00): resolved at stage 1 on Wed 6 Nov, confirmed
  in time on Thu 7 Nov.
- B (Mon 4 Nov): stage 1 times out Mon 11 Nov 17:00; resolved at stage 2 on
  Thu 14 Nov; confirmed late on Tue 19 Nov (due Mon 18 Nov 17:00). B's receiving
  line manager's address is refused by the relay (550): the others get their
  emails, the Business Manager is told.
- C (Mon 4 Nov): unresolved Tue 5 Nov; stage 2 times out Tue 12 Nov 17:00;
  resolved at stage 3 Wed 13 Nov; never confirmed (due Fri 15 Nov 17:00).
- Alert 1 (statutory_visit_late, Mon 4 Nov): answered in time Wed 6 Nov, finalised Thu 7 Nov.
- Alert 2 (assessment_late, Mon 4 Nov): stage 1 silent past Mon 11 Nov 17:00 (it waits);
  the chair sends it up on Tue 12 Nov 10:00 and the Service Manager answers in time that
  day; not finalised.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.contrib.pydantic import pydantic_data_converter

from activities.email import SmtpConfig
from models.alerts import AlertResponse, Finalise, NotSatisfied
from models.decisions import Confirmed, Resolved, Unresolved
from records.db import make_sessionmaker
from starter.alerts_sdk import PracticeAlertClient
from starter.sdk import EscalationClient
from starter.smtp_sink import SmtpSink
from starter.testing import start_time_skipping
from tests.workflows.support import at, jump_to, start_payload
from worker import create_worker

ROOT = Path(__file__).parents[2]
GONE = "left.in.2029@council.example.org"
ALERT = json.loads((ROOT / "examples" / "rutland--practice-alert.json").read_text())


@dataclass
class Quarter:
    """What the scenario left behind."""

    url: str
    case_x: str
    ids: dict[str, str]
    case_b: str


def _alert(raised: str, reason: str) -> dict[str, Any]:
    payload = copy.deepcopy(ALERT)
    payload.update(
        case_reference=f"CR-9{uuid.uuid4().hex[:9]}",
        alert_id="a1",
        raised_at=raised,
        reason_code=reason,
    )
    return payload


async def run_quarter(url: str, sink: SmtpSink) -> Quarter:
    """Run every case to Wed 20 Nov 2030 09:00 and return the ids."""
    env = await start_time_skipping(pydantic_data_converter)
    db = make_sessionmaker(url)
    queue = f"report-{uuid.uuid4()}"
    smtp = SmtpConfig(host="127.0.0.1", port=sink.port, mail_from="escalations@lscb.example.org")
    try:
        async with create_worker(env.client, queue, sessionmaker=db, smtp=smtp):
            c = EscalationClient(env.client, queue, env.get_current_time)
            alerts = PracticeAlertClient(env.client, queue, env.get_current_time)
            raiser = ALERT["raised_by"]["email"]
            ids: dict[str, str] = {}

            d_raised = at("2030-09-30T10:00:00+01:00")
            await jump_to(env, d_raised)
            d = start_payload(d_raised, disagreement_id="d0")
            case_x = d["case_reference"]
            ids["D"] = await c.open(d)

            await jump_to(env, at("2030-11-04T09:00:00+00:00"))
            await c.resolve(
                ids["D"], Resolved(by="H. Independent Chair", outcome="Recommendations issued")
            )

            raised = at("2030-11-04T10:00:00+00:00")
            await jump_to(env, raised)
            ids["A"] = await c.open(
                start_payload(raised, case_reference=case_x, disagreement_id="d1")
            )
            b = start_payload(raised)
            for person in b["people"]:
                if person["role"] == "receiving.line_manager":
                    person["email"] = GONE
            sink.faults.refused_recipients = {GONE}
            ids["B"] = await c.open(b)
            ids["C"] = await c.open(start_payload(raised))
            ids["alert1"] = await alerts.raise_alert(
                _alert(raised.isoformat(), "statutory_visit_late")
            )
            ids["alert2"] = await alerts.raise_alert(_alert(raised.isoformat(), "assessment_late"))

            await jump_to(env, at("2030-11-05T10:00:00+00:00"))
            await c.unresolve(
                ids["C"], Unresolved(by="B. Social Worker", reason="Threshold not met in our view")
            )
            await jump_to(env, at("2030-11-06T11:00:00+00:00"))
            await c.resolve(
                ids["A"], Resolved(by="B. Social Worker", outcome="Strategy discussion agreed")
            )
            await alerts.respond(
                ids["alert1"], AlertResponse(by="K. Team Manager", text="Visit booked")
            )
            await jump_to(env, at("2030-11-07T10:00:00+00:00"))
            await c.confirm(ids["A"], Confirmed(by="B. Social Worker", text="Letter of 7 November"))
            await alerts.finalise(ids["alert1"], Finalise(by=raiser, text="Visit seen; closed"))
            await jump_to(env, at("2030-11-12T10:00:00+00:00"))
            await alerts.not_satisfied(
                ids["alert2"], NotSatisfied(by=raiser, reason="No response by the deadline")
            )
            await alerts.respond(
                ids["alert2"], AlertResponse(by="L. Service Manager", text="Assessment due Friday")
            )
            await jump_to(env, at("2030-11-13T15:00:00+00:00"))
            await c.resolve(
                ids["C"], Resolved(by="F. Service Manager", outcome="Section 47 enquiry to start")
            )
            await jump_to(env, at("2030-11-14T12:00:00+00:00"))
            await c.resolve(
                ids["B"],
                Resolved(by="D. Team Manager", outcome="Early help plan with school review"),
            )
            await jump_to(env, at("2030-11-19T10:00:00+00:00"))
            await c.confirm(ids["B"], Confirmed(by="D. Team Manager", text="Email of 19 November"))
            await jump_to(env, at("2030-11-20T09:00:00+00:00"))
            for key in ("A", "B", "D"):
                await c.handle(ids[key]).result()
            status = await c.status(ids["C"])
            assert status.state == "resolved" and status.confirmation_late
    finally:
        sink.clear()
        await env.shutdown()
        await db.kw["bind"].dispose()
    return Quarter(url, case_x, ids, b["case_reference"])
