"""The search attributes and UI texts built from a case's status, and their upsert on the test server."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from temporalio.worker import Worker

from models.status import DisagreementStatus, StageStatus
from starter.visibility import register_search_attributes
from tests.integration.visibility_standin import Probe, StandIn
from workflows.search_attributes import (
    NEXT_DEADLINE,
    STATE,
    attribute_updates,
    current_details,
    registration,
    static_summary,
)

HOLDERS = ["Senior manager, raising agency (E. Lead)", "Senior manager, receiving agency (F. SM)"]


def _stage(i: int, stage_id: str, title: str, entered: str, due: str, **kw: Any) -> StageStatus:
    return StageStatus(
        stage_id=stage_id,
        title=title,
        index=i,
        holders=HOLDERS if i == 2 else ["Practitioner (A. Teacher)"],
        entered_at=datetime.fromisoformat(entered),
        due_at=datetime.fromisoformat(due),
        timescale_working_days=2,
        **kw,
    )


def _status(**kw: Any) -> DisagreementStatus:
    base: dict[str, Any] = {
        "workflow_id": "disagreement-CR-2026-00417-d1",
        "case_reference": "CR-2026-00417",
        "procedure": "redbridge-2017",
        "procedure_title": "Redbridge LSCB Resolution and Escalation Policy",
        "partnership": "Redbridge LSCB",
        "ladder": "main",
        "state": "open",
        "current_stage": "senior_managers",
        "current_stage_title": "Stage 3: senior managers",
        "raised_at": datetime.fromisoformat("2026-12-07T10:00:00+00:00"),
        "stages": [
            _stage(
                0, "practitioners", "Stage 1", "2026-12-07T10:00+00:00", "2026-12-14T17:00+00:00"
            ),
            _stage(
                1, "line_managers", "Stage 2", "2026-12-14T17:00+00:00", "2026-12-21T17:00+00:00"
            ),
            _stage(
                2,
                "senior_managers",
                "Stage 3: senior managers",
                "2026-12-21T17:00+00:00",
                "2026-12-23T17:00+00:00",
            ),
        ],
    }
    base.update(kw)
    return DisagreementStatus.model_validate(base)


def _values(status: DisagreementStatus, now: str) -> dict[str, Any]:
    return {u.key.name: u.value for u in attribute_updates(status, datetime.fromisoformat(now))}


def test_open_case_before_its_deadline() -> None:
    assert _values(_status(), "2026-12-22T09:00+00:00") == {
        "EscalationProcedure": "redbridge-2017",
        "EscalationPartnership": "Redbridge LSCB",
        "EscalationStage": "senior_managers",
        "EscalationState": "open",
        "EscalationNextDeadline": datetime.fromisoformat("2026-12-23T17:00+00:00"),
        "EscalationOverdue": False,
        "EscalationImmediateRisk": False,
        "EscalationCaseRef": "CR-2026-00417",
    }


@pytest.mark.parametrize(
    ("now", "notified", "overdue"),
    [
        ("2026-12-23T16:59+00:00", False, False),
        ("2026-12-23T17:00+00:00", False, True),
        ("2026-12-22T09:00+00:00", True, True),
    ],
)
def test_overdue_from_the_deadline_or_the_recorded_overdue(
    now: str, notified: bool, overdue: bool
) -> None:
    status = _status()
    if notified:
        status.stages[-1].overdue_notified_at = datetime.fromisoformat("2026-12-21T17:00+00:00")
    assert _values(status, now)["EscalationOverdue"] is overdue


def test_resolved_case_works_to_the_confirmation_deadline() -> None:
    status = _status(
        state="resolved",
        current_stage=None,
        current_stage_title=None,
        confirmation_due_at=datetime.fromisoformat("2026-12-29T17:00+00:00"),
        immediate_risk=True,
    )
    values = _values(status, "2026-12-24T10:00+00:00")
    assert values["EscalationStage"] == "senior_managers"
    assert values["EscalationState"] == "resolved"
    assert values["EscalationNextDeadline"] == datetime.fromisoformat("2026-12-29T17:00+00:00")
    assert values["EscalationOverdue"] is False
    assert values["EscalationImmediateRisk"] is True
    late = status.model_copy(update={"confirmation_late": True})
    assert _values(late, "2026-12-24T10:00+00:00")["EscalationOverdue"] is True
    assert current_details(status, "Europe/London", 4) == (
        "Resolved at **Stage 3: senior managers** (3 of 4); awaiting the written confirmation."
        "\n\nWho must act: " + ", ".join(HOLDERS) + "\n\nConfirmation due: Tuesday 29 December"
        " 2026, 17:00 GMT\n\nImmediate risk of significant harm declared."
    )


def test_closed_case_has_no_deadline_and_is_never_overdue() -> None:
    status = _status(state="closed", current_stage=None, outcome="Section 47 agreed")
    values = _values(status, "2027-03-01T10:00+00:00")
    assert "EscalationNextDeadline" not in values  # kept, never unset (see attribute_updates)
    assert values["EscalationOverdue"] is False
    assert values["EscalationState"] == "closed"
    assert (
        current_details(status, "Europe/London")
        == "**Closed.** The agreed outcome and the whole written record are in the case record."
    )


def test_details_show_stage_who_acts_and_the_local_deadline() -> None:
    assert current_details(_status(), "Europe/London", 4) == (
        "**Stage 3: senior managers** (3 of 4)\n\nWho must act: "
        + ", ".join(HOLDERS)
        + "\n\nDeadline: Wednesday 23 December 2026, 17:00 GMT"
    )
    summer = _status()
    summer.stages[-1].due_at = datetime.fromisoformat("2027-06-16T16:00+00:00")
    assert current_details(summer, "Europe/London").endswith(
        "Deadline: Wednesday 16 June 2027, 17:00 BST"
    )


def test_summary_names_the_case_by_reference_only() -> None:
    assert (
        static_summary("CR-2026-00417", "Redbridge LSCB Escalation Policy", "Redbridge LSCB")
        == "Case CR-2026-00417: Redbridge LSCB Escalation Policy (Redbridge LSCB)"
    )


def test_registration_types() -> None:
    assert registration() == {
        "EscalationProcedure": "Keyword",
        "EscalationPartnership": "Keyword",
        "EscalationStage": "Keyword",
        "EscalationState": "Keyword",
        "EscalationNextDeadline": "Datetime",
        "EscalationOverdue": "Bool",
        "EscalationImmediateRisk": "Bool",
        "EscalationCaseRef": "Keyword",
    }


async def test_the_time_skipping_server_takes_the_upserts_once_registered(env) -> None:
    """What the workflow's tests need once it upserts: register on the test server first."""
    # The env fixture may already have registered them: either way the call succeeds...
    lines = await register_search_attributes(env.client, "default")
    assert [line.rsplit(" ", 2)[-2] for line in lines] == list(registration())
    # ...and a second call is a no-op, as on a real cluster.
    again = await register_search_attributes(env.client, "default")
    assert again == [f"already registered {n} ({k})" for n, k in registration().items()]
    status = _status()
    status.stages[-1].due_at = datetime.fromisoformat("2099-01-05T17:00+00:00")
    async with Worker(env.client, task_queue="sa-probe", workflows=[StandIn]):
        handle = await env.client.start_workflow(
            StandIn.run, Probe(status=status), id=status.workflow_id, task_queue="sa-probe"
        )
        for _ in range(100):
            attrs = (await handle.describe()).typed_search_attributes
            if len(attrs) == 8:
                break
            await asyncio.sleep(0.05)
        assert {pair.key.name: pair.value for pair in attrs} == _values(
            status, "2098-01-01T00:00+00:00"
        )
        await handle.terminate("test over")
        closed = _status(workflow_id="closed-case", state="closed", current_stage=None)
        done = await env.client.start_workflow(
            StandIn.run, Probe(status=closed), id="closed-case", task_queue="sa-probe"
        )
        for _ in range(100):
            attrs = (await done.describe()).typed_search_attributes  # readable: nothing unset
            if attrs.get(STATE) == "closed":
                break
            await asyncio.sleep(0.05)
        assert attrs.get(STATE) == "closed" and attrs.get(NEXT_DEADLINE) is None
        await done.terminate("test over")


def test_a_name_in_the_details_is_shown_as_itself_never_as_markdown() -> None:
    status = _status()
    status.stages[-1].holders = ["Chair ([click](https://evil.example) <b>*x*</b> `y`|z)"]
    details = current_details(status, "Europe/London")
    assert (
        "Who must act: Chair (\\[click\\](https://evil.example) \\<b\\>\\*x\\*\\</b\\> \\`y\\`\\|z)"
        in details
    )


def test_details_say_when_the_case_is_overdue() -> None:
    """The Web UI's details tell an admin what has passed, not only the deadline."""
    waiting = _status()
    waiting.stages[-1].overdue_notified_at = datetime.fromisoformat("2026-12-23T17:00+00:00")
    assert current_details(waiting, "Europe/London", 4).endswith(
        "Deadline: Wednesday 23 December 2026, 17:00 GMT\n\n**Overdue**: the deadline passed; "
        "the people named were told and the case keeps waiting for a decision."
    )
    breached = waiting.model_copy(update={"adjournment_breached": True})
    assert current_details(breached, "Europe/London").endswith(
        "**Overdue**: the adjourned conference did not reconvene in time."
    )
    late = _status(
        state="resolved",
        confirmation_due_at=datetime.fromisoformat("2026-12-29T17:00+00:00"),
        confirmation_late=True,
    )
    assert current_details(late, "Europe/London").endswith(
        "Confirmation due: Tuesday 29 December 2026, 17:00 GMT\n\n"
        "**Overdue**: the written confirmation is late."
    )
    assert "Overdue" not in current_details(_status(), "Europe/London")
