"""The workflow's emails carry each acting person's decision link, end to end.

With the decision page configured, the case's own emails (stage entered, reminder,
resolution) reach each person who must act with a link for them, this case and
this stage, checked with the page's own verification; copies carry none, and an
adjourned conference (which waits for 'conference_reconvened') asks for no link.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta

from activities.email_links import DecisionLinks
from activities.smtp import SmtpConfig
from models.alerts import AlertResponse
from models.decisions import Resolved, Unresolved
from starter.alerts_sdk import PracticeAlertClient
from starter.sdk import EscalationClient
from starter.smtp_sink import ReceivedMail
from tests.fixtures.harness import payload as conference_payload
from tests.fixtures.harness import running_packs
from tests.workflows.alert_support import PACK_DIR as ALERT_PACKS
from tests.workflows.alert_support import RAISER as ALERT_RAISER
from tests.workflows.alert_support import TEAM_MANAGER, alert_payload
from tests.workflows.support import at, email_of, jump_to, start_payload
from web.links import LinkClaims, verify
from worker import create_worker

SECRET = "workflow-link-secret-0123456789"
TOKEN = re.compile(r"https://decide\.lscb\.example/d/([A-Za-z0-9_.-]+)")
RAISED = at("2026-12-07T10:00:00+00:00")


def claims(mail: ReceivedMail) -> list[LinkClaims]:
    text = mail.message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    return [verify(t, SECRET, RAISED) for t in TOKEN.findall(text)]


async def test_stage_emails_carry_each_acting_persons_own_link(env, db, mail) -> None:
    await jump_to(env, RAISED)
    queue = f"test-{uuid.uuid4()}"
    smtp = SmtpConfig(
        host="127.0.0.1",
        port=mail.port,
        mail_from="escalations@lscb.example.org",
        links=DecisionLinks(SECRET, "https://decide.lscb.example/", 14),
    )
    async with create_worker(env.client, queue, sessionmaker=db, smtp=smtp):
        client = EscalationClient(env.client, queue, env.get_current_time)
        wid = await client.open(start_payload(RAISED))
        holders = [email_of("raising.practitioner"), email_of("receiving.practitioner")]
        await mail.wait_for(2)
        entered = [m for m in mail.received if "action needed" in m.message["Subject"]]
        assert sorted(m.rcpt_tos[0] for m in entered) == sorted(holders)
        for m in entered:
            [c] = claims(m)
            assert (c.workflow_id, c.stage, c.email, c.action) == (
                wid,
                "practitioners",
                m.rcpt_tos[0].lower(),
                "decide",
            )
            assert c.expires_at == at("2026-12-14T17:00:00+00:00") + timedelta(days=14)

        await client.resolve(wid, Resolved(by="B. Social Worker", outcome="Plan agreed"))
        await mail.wait_for(4)  # the confirmer's own message, and the raising side's copy
        [own] = [
            m
            for m in mail.received
            if "confirm in writing" in m.message["Subject"]
            and m.rcpt_tos == [email_of("receiving.practitioner")]
        ]
        [c] = claims(own)
        assert (c.stage, c.action) == ("practitioners", "confirm")
        copies = [
            m
            for m in mail.received
            if "confirm in writing" in m.message["Subject"]
            and m.rcpt_tos != [email_of("receiving.practitioner")]
        ]
        assert copies and all(claims(m) == [] for m in copies)


async def test_an_adjourned_conference_asks_for_no_decision_link(env, db, mail) -> None:
    await jump_to(env, RAISED)
    links = DecisionLinks(SECRET, "https://decide.lscb.example/", 14)
    async with running_packs(env, db, mail, links=links) as h:
        adjourned = await h.client.open(conference_payload(RAISED, ladder="adjourned_only"))
        individual = await h.client.open(conference_payload(RAISED, disagreement_id="c2"))
        await mail.wait_for(3)
        # Past the adjournment's halfway reminder: still no link to a decision it cannot take.
        await h.sleep_until(RAISED + timedelta(days=9))

    def of(wid: str) -> list[ReceivedMail]:
        case = wid.removeprefix("disagreement-").rsplit("-", 1)[0]
        return [m for m in mail.received if f"[{case}]" in str(m.message["Subject"])]

    assert of(adjourned) and all(claims(m) == [] for m in of(adjourned))
    assert any(claims(m) for m in of(individual))


async def test_a_practice_alert_asks_its_stage_for_a_response_by_link(env, db, mail) -> None:
    """The stage that must respond gets its own 'respond' link; the copies (the raising
    chair among them) get none, nor does the raiser's later request to finalise."""
    await jump_to(env, RAISED)
    queue = f"test-{uuid.uuid4()}"
    smtp = SmtpConfig(
        host="127.0.0.1",
        port=mail.port,
        mail_from="alerts@lscb.example.org",
        links=DecisionLinks(SECRET, "https://decide.lscb.example/", 14),
    )
    async with create_worker(env.client, queue, sessionmaker=db, smtp=smtp, pack_dir=ALERT_PACKS):
        alerts = PracticeAlertClient(env.client, queue, env.get_current_time, ALERT_PACKS)
        wid = await alerts.raise_alert(alert_payload(RAISED.isoformat()))
        await mail.wait_for(2)
        raised = [m for m in mail.received if "Practice alert at" in m.message["Subject"]]
        [own] = [m for m in raised if m.rcpt_tos == [TEAM_MANAGER]]
        [c] = claims(own)
        assert (c.workflow_id, c.stage, c.email, c.action) == (
            wid,
            "team_manager",
            TEAM_MANAGER.lower(),
            "respond",
        )
        assert c.expires_at == at("2026-12-14T17:00:00+00:00") + timedelta(days=14)
        copies = [m for m in raised if m.rcpt_tos != [TEAM_MANAGER]]
        assert copies and all(claims(m) == [] for m in copies)
        assert any(ALERT_RAISER in m.rcpt_tos for m in copies)

        await alerts.respond(wid, AlertResponse(by="T. Manager", text="Visit arranged"))
        response = await mail.wait_for_subject("finalise or escalate")
        [asked] = [m for m in mail.received if m.message is response]
        assert claims(asked) == []  # the chair finalises in the case system, not by link


async def test_an_overdue_notice_links_only_the_chair_who_decides(env, db, mail) -> None:
    """Issue 12 (5): the Chair's missed deadline is told *to* the Business Manager and the
    Vice Chair with the Chair copied; only the Chair decides, so only the Chair's copy
    carries a link (they all got one, or the wrong ones, before)."""
    await jump_to(env, RAISED)
    queue = f"test-{uuid.uuid4()}"
    smtp = SmtpConfig(
        host="127.0.0.1",
        port=mail.port,
        mail_from="escalations@lscb.example.org",
        links=DecisionLinks(SECRET, "https://decide.lscb.example/", 14),
    )
    async with create_worker(env.client, queue, sessionmaker=db, smtp=smtp):
        client = EscalationClient(env.client, queue, env.get_current_time)
        wid = await client.open(start_payload(RAISED, immediate_risk=True))
        for by in ("C. Line Manager", "E. Senior Manager"):
            await client.unresolve(wid, Unresolved(by=by, reason="Not agreed"))
        status = await client.status(wid)
        assert status.current_stage == "lscb_chair"
        await jump_to(env, status.stages[-1].due_at + timedelta(hours=1))
        chair, bm, vice = (
            email_of("partnership.chair"),
            email_of("partnership.business_manager"),
            email_of("partnership.vice_chair"),
        )

        def overdue() -> list[ReceivedMail]:
            return [m for m in mail.received if "Overdue" in str(m.message["Subject"])]

        for _ in range(200):
            if len(overdue()) >= 2:
                break
            await asyncio.sleep(0.05)
    notices = overdue()
    [own] = [m for m in notices if m.rcpt_tos == [chair]]
    [c] = claims(own)
    assert (c.workflow_id, c.stage, c.email, c.action) == (wid, "lscb_chair", chair, "decide")
    others = [m for m in notices if m is not own]
    assert sorted(r for m in others for r in m.rcpt_tos) == sorted([bm, vice])
    assert all(claims(m) == [] for m in others)
