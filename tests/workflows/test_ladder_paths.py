"""Resolved and unresolved at each stage of the Redbridge ladder (June 2030, BST)."""

from __future__ import annotations

import pytest

from models.decisions import Confirmed, Resolved, Unresolved
from starter.sdk import DecisionRefused
from tests.workflows.support import at, email_of, jump_to, minute, running, start_payload

RAISED = at("2030-06-10T10:00:00+01:00")  # a Monday; no bank holiday until 26 August
STAGES = ["practitioners", "line_managers", "senior_managers", "lscb_chair"]
DUES = [
    "2030-06-17T17:00:00+01:00",
    "2030-06-24T17:00:00+01:00",
    "2030-06-26T17:00:00+01:00",
    "2030-07-03T17:00:00+01:00",
]
# (when the decision is taken, when written confirmation is due)
RESOLVE_AT = [
    ("2030-06-10T11:00:00+01:00", "2030-06-12T17:00:00+01:00"),
    ("2030-06-18T13:00:00+01:00", "2030-06-20T17:00:00+01:00"),
    ("2030-06-25T13:00:00+01:00", "2030-06-27T17:00:00+01:00"),
    ("2030-06-27T13:00:00+01:00", None),
]


@pytest.mark.parametrize("stage", range(4), ids=STAGES)
async def test_resolved_at_each_stage(env, db, mail, stage: int) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        when, confirm_due = RESOLVE_AT[stage]
        await h.sleep_until(at(when))
        receipt = await h.client.resolve(
            wid, Resolved(by="Receiver", outcome="Strategy discussion booked", stage=STAGES[stage])
        )
        assert receipt is not None
        status = await h.status(wid)
        assert [s.stage_id for s in status.stages] == STAGES[: stage + 1]
        assert [s.due_at.isoformat() for s in status.stages] == DUES[: stage + 1]
        assert [s.outcome for s in status.stages] == ["timeout"] * stage + ["resolved"]
        assert minute(status.stages[-1].left_at) == at(when)
        assert status.outcome == "Strategy discussion booked"
        if confirm_due is None:
            # The Chair's written recommendations close the case.
            assert receipt.state == "closed"
        else:
            assert receipt.state == "resolved"
            assert receipt.due_at == at(confirm_due)
            assert status.confirmation_due_at == at(confirm_due)
            done = await h.client.confirm(wid, Confirmed(by="Receiver", text="Letter sent"))
            assert done is not None and done.state == "closed"
        result = await h.client.handle(wid).result()
        assert result.state == "closed"
        assert result.confirmation_late is False
        assert result.current_stage is None


async def test_unresolved_climbs_at_once_and_the_top_cannot_go_higher(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        moves = [
            ("2030-06-11T12:00:00+01:00", "2030-06-18T17:00:00+01:00"),
            ("2030-06-12T12:00:00+01:00", "2030-06-14T17:00:00+01:00"),
            ("2030-06-13T18:30:00+01:00", "2030-06-21T17:00:00+01:00"),  # after hours: from Friday
        ]
        for i, (when, due) in enumerate(moves):
            await h.sleep_until(at(when))
            receipt = await h.client.unresolve(
                wid, Unresolved(by="Raiser", reason=f"no agreement at stage {i + 1}")
            )
            assert receipt is not None
            assert receipt.stage == STAGES[i + 1]
            assert receipt.due_at == at(due)
        with pytest.raises(DecisionRefused, match="last stage: there is no higher level"):
            await h.client.unresolve(wid, Unresolved(by="Raiser", reason="still no agreement"))
        status = await h.status(wid)
        assert [s.outcome for s in status.stages] == ["unresolved"] * 3 + [None]
        assert [minute(s.entered_at).isoformat() for s in status.stages] == [  # type: ignore[union-attr]
            "2030-06-10T10:00:00+01:00",
            "2030-06-11T12:00:00+01:00",
            "2030-06-12T12:00:00+01:00",
            "2030-06-13T18:30:00+01:00",
        ]
        assert [s.text for s in status.stages[:3]] == [
            f"no agreement at stage {i}" for i in (1, 2, 3)
        ]
        await mail.wait_for_subject("] Stage 4")
        chair_mail = [m for m in mail.messages if "] Stage 4" in m["Subject"]]
        assert len(chair_mail) == 1
        assert email_of("partnership.chair") in chair_mail[0]["To"]
        await h.client.resolve(wid, Resolved(by="Chair", outcome="Recommendations made"))
        assert (await h.client.handle(wid).result()).state == "closed"
