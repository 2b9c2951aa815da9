"""Milestones inside a stage: planned, reminded, met or missed, never escalating the stage.

Redbridge 4.4: the receiver "must speak to the concerned professional within 3 working
days", inside stage 1's five. SAfE appendix 2: the pit stop meeting is set "aiming for 2
weeks from the referral point", inside the Principal Officer review. Deadlines to the
minute on the time-skipping server.
"""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from models.decisions import MilestoneMet, Unresolved
from starter.sdk import DecisionRefused
from tests.faults.stack import eventually
from tests.fixtures.harness import steps
from tests.workflows.support import at, email_of, jump_to, minute, running, start_payload

RAISED = at("2026-12-07T10:00:00+00:00")  # Monday
FIRST_CONTACT = at("2026-12-10T17:00:00+00:00")  # 3 working days: Thursday
STAGE_1_DUE = at("2026-12-14T17:00:00+00:00")


async def test_a_first_contact_made_in_time_is_recorded(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await mail.wait_for(1)
        [m] = (await h.client.status(wid)).stages[0].milestones
        assert (m.id, m.due_at, m.met_at) == ("first_contact", FIRST_CONTACT, None)
        assert m.basis.startswith("3 working days (Redbridge")
        body = mail.messages[0].get_body(preferencelist=("plain",)).get_content()
        assert "First contact with the raising professional by Thursday 10 December 2026" in body

        await jump_to(env, at("2026-12-09T14:00:00+00:00"))
        receipt = await h.client.milestone_met(
            wid,
            MilestoneMet(by="B. Social Worker", milestone="first_contact", text="Phoned the DSL"),
        )
        assert receipt is not None and receipt.state == "open"
        with pytest.raises(DecisionRefused, match="'first_contact' was already met"):
            await h.client.milestone_met(
                wid, MilestoneMet(by="B. Social Worker", milestone="first_contact")
            )
        with pytest.raises(DecisionRefused, match="'pit_stop' is not a milestone of this stage"):
            await h.client.milestone_met(
                wid, MilestoneMet(by="B. Social Worker", milestone="pit_stop")
            )
        await jump_to(env, at("2026-12-11T09:00:00+00:00"))  # past its deadline: nothing sent
        [m] = (await h.client.status(wid)).stages[0].milestones
        assert (minute(m.met_at), m.met_by, m.overdue_notified_at) == (
            at("2026-12-09T14:00:00+00:00"),
            "B. Social Worker",
            None,
        )

        async def recorded() -> None:
            [row] = await steps(h, wid, "milestone_met")
            assert (row.actor, row.text, row.data["late"]) == (
                "B. Social Worker",
                "First contact with the raising professional: Phoned the DSL",
                "false",
            )

        await eventually(recorded, timeout=10, every=0.05)
    assert not [m for m in mail.messages if "Missed" in str(m["Subject"])]


async def test_a_missed_first_contact_is_told_and_the_stage_goes_on(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await jump_to(env, at("2026-12-10T17:01:00+00:00"))
        status = await h.client.status(wid)
        assert status.current_stage == "practitioners"
        assert status.stages[0].due_at == STAGE_1_DUE
        [m] = status.stages[0].milestones
        assert minute(m.overdue_notified_at) == at("2026-12-10T17:00:00+00:00")

        def missed() -> list[Any]:
            return [
                x
                for x in mail.messages
                if str(x["Subject"]).startswith(f"[{status.case_reference}] Missed")
            ]

        async def told() -> None:
            [notice] = missed()
            assert (
                "First contact with the raising professional was due Thursday 10 December"
                in str(notice["Subject"])
            )

        await eventually(told, timeout=10, every=0.05)
        [notice] = missed()
        recipients = {
            a.addr_spec
            for header in ("To", "Cc")
            if notice[header]
            for a in notice[header].addresses
        }
        assert email_of("receiving.practitioner") in recipients
        assert email_of("raising.practitioner") in recipients
        # Reminded on its last day, before it was missed.
        assert [x for x in mail.messages if "Reminder: First contact" in str(x["Subject"])]
        [row] = await steps(h, wid, "milestone_missed")
        assert row.due_at == FIRST_CONTACT
        # Met late: recorded as late; the stage is unchanged.
        await h.client.milestone_met(
            wid, MilestoneMet(by="B. Social Worker", milestone="first_contact")
        )
        status = await h.client.status(wid)
        assert [(s.stage_id, s.due_at) for s in status.stages] == [("practitioners", STAGE_1_DUE)]


def _safe(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (
            Path(__file__).parents[2] / "examples" / "north-lincolnshire-safe-2018--individual.json"
        ).read_text()
    )
    payload = copy.deepcopy(data)
    payload.update(
        case_reference=f"NL-9{uuid.uuid4().hex[:7]}",
        disagreement_id="m1",
        raised_at=RAISED.isoformat(),
    )
    payload.pop("disagreement_arose_at", None)
    payload.update(overrides)
    return payload


async def test_the_pit_stop_aims_for_two_calendar_weeks_from_the_referral(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(_safe())
        await mail.wait_for(1)
        for by in ("A. Practitioner", "B. Manager"):
            await h.client.unresolve(wid, Unresolved(by=by, reason="No agreement"))
        status = await h.client.status(wid)
        review = status.stages[-1]
        assert review.stage_id == "principal_officer_review"
        [m] = review.milestones
        # Referred on Monday 7 December: two calendar weeks end on Monday 21 December.
        assert (m.id, m.due_at) == ("review_meeting", at("2026-12-21T17:00:00+00:00"))
        assert m.basis.startswith("2 weeks (")
