"""The missed-response notice gives the raising chair a link to exactly their choices.

Rutland's alert stage misses its deadline and waits; the overdue email to the raising
chair (and only to the chair) carries a personal link. The page offers sending it up,
and, as the alert is serious or urgent, straight to Head of Service or Director for
People; no finalisation before a response. Posted, it is the alert's own decision; the
link is then used. Real worker, time-skipping server, real aiohttp app and SDK client.
"""

from __future__ import annotations

import re
import uuid

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from activities.email_links import DecisionLinks
from activities.smtp import SmtpConfig
from starter.alerts_sdk import PracticeAlertClient
from starter.sdk import EscalationClient
from tests.workflows.alert_support import RAISER, alert_payload
from tests.workflows.support import at, jump_to
from web.app import create_app
from web.links import verify
from worker import create_worker

SECRET = "chair-link-test-secret-0123456789abc"
BASE = "https://decide.lscb.example/"
TOKEN = re.compile(r"https://decide\.lscb\.example/d/([A-Za-z0-9_.-]+)")
RAISED = "2030-06-10T10:00:00+01:00"
NOW = at("2030-06-18T10:00:00+01:00")


async def test_the_chair_escalates_a_silent_alert_from_the_overdue_notice(env, db, mail) -> None:
    await jump_to(env, at(RAISED))
    queue = f"test-{uuid.uuid4()}"
    smtp = SmtpConfig(
        host="127.0.0.1",
        port=mail.port,
        mail_from="alerts@lscb.example.org",
        links=DecisionLinks(SECRET, BASE, 14),
    )
    async with create_worker(env.client, queue, sessionmaker=db, smtp=smtp):
        alerts = PracticeAlertClient(env.client, queue, env.get_current_time)
        wid = await alerts.raise_alert(
            alert_payload(RAISED, procedure="rutland", serious_or_urgent=True)
        )
        await jump_to(env, at("2030-06-18T09:00:00+01:00"))
        overdue = await mail.wait_for_subject("Overdue: practice alert")
        assert overdue["To"] and RAISER in str(overdue["To"])
        notices = [m for m in mail.received if "Overdue" in str(m.message["Subject"])]
        with_links = [
            m for m in notices if TOKEN.search(m.message.get_body(("plain",)).get_content())
        ]
        assert [m.rcpt_tos for m in with_links] == [[RAISER]]  # the team manager's copy: none
        token = TOKEN.search(with_links[0].message.get_body(("plain",)).get_content())
        assert token is not None
        claims = verify(token.group(1), SECRET, NOW)
        assert (claims.workflow_id, claims.stage, claims.email, claims.action) == (
            wid,
            "team_manager",
            RAISER,
            "chair",
        )

        server = TestServer(
            create_app(
                EscalationClient(env.client, queue, env.get_current_time), SECRET, lambda: NOW
            )
        )
        await server.start_server()
        try:
            link = str(server.make_url(f"/d/{token.group(1)}"))
            async with ClientSession() as http:
                async with http.get(link) as r:
                    page = await r.text()
                    assert r.status == 200
                    assert 'id="escalate"' in page and 'id="finalise"' not in page
                    assert "Stage 4: Director for People" in page
                form = {
                    "decision": "escalate",
                    "reason": "No response; the child is at risk tonight",
                    "to_stage": "director_for_people",
                }
                async with http.post(link, data=form) as r:
                    assert r.status == 200, await r.text()
                    result = re.search(r'id="result"[^>]*><p>(.*?)</p>', await r.text(), re.S)
                # What happens next, in plain words: where the alert is, who, by when.
                assert result is not None
                assert " ".join(result.group(1).split()) == (
                    "Recorded. The practice alert is now at Stage 4: Director for People; "
                    "Director for People (N. Director for People) must respond by "
                    "Tuesday 25 June 2030, 17:00 BST."
                )
                async with http.get(link) as r:
                    assert r.status == 410
        finally:
            await server.close()
        status = await alerts.status(wid)
        assert [(s.stage_id, s.outcome) for s in status.stages] == [
            ("team_manager", "not_satisfied"),
            ("director_for_people", None),
        ]
        assert status.stages[0].response_in_time is False
