"""Silence up the whole Redbridge ladder, across Christmas 2026, deadlines to the minute."""

from __future__ import annotations

from datetime import timedelta

from models.decisions import Resolved
from tests.workflows.support import at, email_of, jump_to, running, start_payload

RAISED = at("2026-12-21T10:00:00+00:00")
# 25, 28 Dec 2026 and 1 Jan 2027 are bank holidays; each stage starts at the last one's deadline.
EXPECTED = [
    ("practitioners", "2026-12-21T10:00:00+00:00", "2026-12-30T17:00:00+00:00"),
    ("line_managers", "2026-12-30T17:00:00+00:00", "2027-01-07T17:00:00+00:00"),
    ("senior_managers", "2027-01-07T17:00:00+00:00", "2027-01-11T17:00:00+00:00"),
    ("lscb_chair", "2027-01-11T17:00:00+00:00", "2027-01-18T17:00:00+00:00"),
]


async def test_silence_climbs_every_stage_across_christmas(env, db, mail) -> None:
    # If the real clock is already past this date, the deadlines cascade at once and
    # must come out identical: every stage is counted from the last one's deadline.
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await h.sleep_until(at("2027-01-19T09:00:00+00:00"))
        status = await h.status(wid)

        assert status.state == "open"
        assert status.current_stage == "lscb_chair"
        assert [
            (s.stage_id, s.entered_at.isoformat(), s.due_at.isoformat()) for s in status.stages
        ] == EXPECTED
        assert [s.outcome for s in status.stages] == ["timeout", "timeout", "timeout", None]
        assert [s.left_at.isoformat() if s.left_at else None for s in status.stages] == [
            "2026-12-30T17:00:00+00:00",
            "2027-01-07T17:00:00+00:00",
            "2027-01-11T17:00:00+00:00",
            None,
        ]
        assert status.first_contact_due_at == at("2026-12-24T17:00:00+00:00")
        chair = status.stages[-1]
        assert chair.overdue_notified_at is not None
        assert chair.overdue_notified_at >= at("2027-01-18T17:00:00+00:00")

        overdue = [m for m in await mail.wait_for(5) if m["Subject"].find("Overdue") >= 0]
        assert len(overdue) == 1
        assert overdue[0]["Subject"].startswith(f"[{status.case_reference}] Overdue: Stage 4")
        assert email_of("partnership.business_manager") in overdue[0]["To"]
        assert email_of("partnership.vice_chair") in overdue[0]["To"]

        entered = [m["Subject"] for m in mail.messages if "action needed" in m["Subject"]]
        assert [s.split("] ")[1].split(":")[0] for s in entered] == [
            "Stage 1",
            "Stage 2",
            "Stage 3",
            "Stage 4",
        ]
        stage3 = next(m for m in mail.messages if "] Stage 3" in m["Subject"])
        assert email_of("partnership.business_manager") in stage3["Cc"]

        receipt = await h.client.resolve(
            wid, Resolved(by="H. Independent Chair", outcome="Recommendations issued")
        )
        assert receipt is not None and receipt.state == "closed"
        result = await h.client.handle(wid).result()
        assert result.state == "closed"
        kinds = await h.step_kinds(wid)
        assert kinds[0] == "opened" and kinds[-1] == "closed"
        assert kinds.count("stage_entered") == 4
        assert kinds.count("deadline_passed") == 4
