"""Written confirmation, immediate risk, shortened timescales and refused decisions."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError

from models.decisions import Confirmed, ImmediateRisk, Resolved, ShortenTimescale, Unresolved
from starter.sdk import DecisionRefused
from tests.workflows.support import at, email_of, jump_to, minute, running, start_payload

RAISED = at("2030-06-10T10:00:00+01:00")  # Monday


async def test_late_confirmation_reminds_and_is_recorded(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await h.sleep_until(at("2030-06-10T11:00:00+01:00"))
        await h.client.resolve(wid, Resolved(by="Receiver", outcome="Section 47 agreed"))
        await h.sleep_until(at("2030-06-13T10:00:00+01:00"))
        status = await h.status(wid)
        assert status.state == "resolved"
        assert status.confirmation_due_at == at("2030-06-12T17:00:00+01:00")
        assert status.confirmation_late is True
        await mail.wait_for(3)
        late = [m for m in mail.messages if "Written confirmation overdue" in m["Subject"]]
        assert len(late) == 1
        assert email_of("receiving.practitioner") in late[0]["To"]
        assert email_of("raising.practitioner") in late[0]["Cc"]
        await h.client.confirm(wid, Confirmed(by="Receiver", text="Outcome letter"))
        result = await h.client.handle(wid).result()
        assert result.state == "closed"
        assert result.confirmation_late is True
        assert minute(result.confirmed_at) == at("2030-06-13T10:00:00+01:00")
        kinds = await h.step_kinds(wid)
        assert kinds == [
            "opened",
            "stage_entered",
            "decision",
            "stage_left",
            "confirmation_due",
            "confirmation_late",
            "confirmed",
            "closed",
        ]


async def test_immediate_risk_at_start_goes_to_line_managers_same_day(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED, immediate_risk=True))
        await h.sleep_until(at("2030-06-10T10:01:00+01:00"))
        status = await h.status(wid)
        assert status.immediate_risk is True
        assert [(s.stage_id, s.entered_at, s.due_at) for s in status.stages] == [
            ("line_managers", RAISED, at("2030-06-17T17:00:00+01:00"))
        ]
        first = (await mail.wait_for(1))[0]
        assert "] Stage 2: line managers" in first["Subject"]
        assert email_of("receiving.line_manager") in first["To"]


async def test_immediate_risk_signal_escalates_now(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await h.sleep_until(at("2030-06-11T12:00:00+01:00"))
        await h.client.raise_immediate_risk(
            wid, ImmediateRisk(by="Raiser", reason="Disclosure this morning"), acknowledged=False
        )
        await h.sleep_until(at("2030-06-11T12:01:00+01:00"))
        status = await h.status(wid)
        assert status.immediate_risk is True
        assert [s.outcome for s in status.stages] == ["immediate_risk", None]
        assert minute(status.stages[1].entered_at) == at("2030-06-11T12:00:00+01:00")
        assert status.stages[1].due_at == at("2030-06-18T17:00:00+01:00")
        # Already at the immediate-risk stage: recorded and told, but it does not move.
        receipt = await h.client.raise_immediate_risk(
            wid, ImmediateRisk(by="Raiser", reason="again")
        )
        assert receipt is not None and receipt.stage == "line_managers"


async def test_child_timescale_at_start_caps_every_stage(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED, child_timescale_working_days=1))
        await h.sleep_until(at("2030-06-14T09:00:00+01:00"))
        status = await h.status(wid)
        assert [(s.stage_id, s.due_at.isoformat(), s.capped) for s in status.stages] == [
            ("practitioners", "2030-06-11T17:00:00+01:00", True),
            ("line_managers", "2030-06-12T17:00:00+01:00", True),
            ("senior_managers", "2030-06-13T17:00:00+01:00", True),
            ("lscb_chair", "2030-06-14T17:00:00+01:00", True),
        ]


async def test_shorten_by_date_then_silence(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await h.sleep_until(at("2030-06-10T11:00:00+01:00"))
        receipt = await h.client.shorten(
            wid,
            ShortenTimescale(
                by="Raiser",
                reason="Child discharged Wednesday",
                due_at=at("2030-06-12T12:00:00+01:00"),
            ),
        )
        assert receipt is not None and receipt.due_at == at("2030-06-12T12:00:00+01:00")
        await h.sleep_until(at("2030-06-12T12:05:00+01:00"))
        status = await h.status(wid)
        assert status.deadline_changes[0].old_due_at == at("2030-06-17T17:00:00+01:00")
        assert status.deadline_changes[0].new_due_at == at("2030-06-12T12:00:00+01:00")
        assert status.deadline_changes[0].reason == "Child discharged Wednesday"
        assert [
            (s.stage_id, s.entered_at.isoformat(), s.due_at.isoformat()) for s in status.stages
        ] == [
            ("practitioners", "2030-06-10T10:00:00+01:00", "2030-06-12T12:00:00+01:00"),
            ("line_managers", "2030-06-12T12:00:00+01:00", "2030-06-19T17:00:00+01:00"),
        ]
        changed = [m for m in mail.messages if "Deadline brought forward" in m["Subject"]]
        assert len(changed) == 1


async def test_shorten_by_working_days_applies_to_later_stages(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await h.client.shorten(wid, ShortenTimescale(by="Raiser", reason="risk", working_days=2))
        await h.sleep_until(at("2030-06-12T18:00:00+01:00"))
        status = await h.status(wid)
        assert status.child_timescale_working_days == 2
        assert [s.due_at.isoformat() for s in status.stages] == [
            "2030-06-12T17:00:00+01:00",
            "2030-06-14T17:00:00+01:00",
        ]


async def test_lengthening_is_refused_with_the_reason(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await h.sleep_until(at("2030-06-10T10:01:00+01:00"))
        with pytest.raises(DecisionRefused, match="due_at: a timescale can only be shortened"):
            await h.client.shorten(
                wid,
                ShortenTimescale(
                    by="X", reason="more time", due_at=at("2030-06-20T17:00:00+01:00")
                ),
            )
        with pytest.raises(DecisionRefused, match="can only be shortened"):
            await h.client.shorten(
                wid, ShortenTimescale(by="X", reason="more time", working_days=9)
            )
        await h.client.shorten(
            wid,
            ShortenTimescale(by="X", reason="more time", working_days=8),
            acknowledged=False,
        )
        await h.sleep_until(at("2030-06-10T10:30:00+01:00"))
        status = await h.status(wid)
        assert status.stages[0].due_at == at("2030-06-17T17:00:00+01:00")
        assert status.deadline_changes == []
        assert [r.name for r in status.rejected_inputs] == [
            "shorten_timescale",
            "shorten_timescale",
        ]
        assert "can only be shortened" in status.rejected_inputs[-1].error


async def test_malformed_signals_are_recorded_and_ignored(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        handle = h.client.handle(wid)
        await handle.signal("resolved", {"by": "Receiver"})
        await handle.signal("resolved", "yes")
        await handle.signal("unresolved", {"by": "", "reason": "x"})
        await handle.signal("resolved", {"by": "R", "outcome": "ok", "stage": "lscb_chair"})
        await handle.signal("confirmed", {"by": "R"})
        await h.sleep_until(at("2030-06-10T10:10:00+01:00"))
        status = await h.status(wid)
        assert status.state == "open" and status.current_stage == "practitioners"
        errors = [(r.name, r.error) for r in status.rejected_inputs]
        assert errors[0] == ("resolved", "outcome: is required")
        assert errors[1] == ("resolved", "payload: must be an object")
        assert errors[2][0] == "unresolved" and errors[2][1].startswith("by: must not be empty")
        assert errors[3] == (
            "resolved",
            "stage: the case is at stage 'practitioners', not 'lscb_chair'",
        )
        assert errors[4] == ("confirmed", "nothing to confirm: the case has not been resolved")
        assert status.rejected_inputs[0].payload == '{"by":"Receiver"}'
        # Extra fields are allowed, and the case still works after the noise.
        await handle.signal("resolved", {"by": "R", "outcome": "agreed", "case_system_id": 42})
        await h.sleep_until(at("2030-06-10T10:20:00+01:00"))
        assert (await h.status(wid)).state == "resolved"
        kinds = await h.step_kinds(wid)
        assert kinds.count("rejected_input") == 5


async def test_update_validators_refuse_with_a_clear_message(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await h.sleep_until(at("2030-06-10T10:01:00+01:00"))
        with pytest.raises(DecisionRefused, match="stage: the case is at stage 'practitioners'"):
            await h.client.resolve(wid, Resolved(by="R", outcome="x", stage="line_managers"))
        with pytest.raises(DecisionRefused, match="nothing to confirm"):
            await h.client.confirm(wid, Confirmed(by="R"))
        with pytest.raises(WorkflowUpdateFailedError):
            await h.client.handle(wid).execute_update("resolve", {"by": "R"})
        await h.client.resolve(wid, Resolved(by="R", outcome="agreed"))
        with pytest.raises(DecisionRefused, match="awaits written confirmation"):
            await h.client.unresolve(wid, Unresolved(by="R", reason="changed my mind"))
        await h.client.confirm(wid, Confirmed(by="R"))
        await h.client.handle(wid).result()
        status = await h.status(wid)
        assert status.rejected_inputs == []  # validator refusals never reach history


async def test_a_decision_on_a_closed_case_is_refused_with_the_reason(env, db, mail) -> None:
    """The SDK says the case is closed, as an Update, as a signal and for a calendar change."""
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await h.client.resolve(wid, Resolved(by="Receiver", outcome="Section 47 agreed"))
        await h.client.confirm(wid, Confirmed(by="Receiver", text="Outcome letter"))
        await h.client.handle(wid).result()
        before = await h.step_kinds(wid)
        closed = f"the case '{wid}' is closed; no further decisions or calendar changes"
        with pytest.raises(DecisionRefused, match=closed):
            await h.client.unresolve(wid, Unresolved(by="Receiver", reason="Changed my mind"))
        with pytest.raises(DecisionRefused, match=closed):
            await h.client.confirm(wid, Confirmed(by="Receiver", text="Again"), acknowledged=False)
        with pytest.raises(DecisionRefused, match=closed):
            await h.client.change_calendar(
                wid, {"closure_days": ["2030-06-14"], "reason": "Office closed", "by": "Admin"}
            )
        assert await h.step_kinds(wid) == before
