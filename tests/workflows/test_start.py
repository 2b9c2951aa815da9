"""Bad start requests: a clear error, and nothing started, written or sent."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from models.start import StartDisagreement
from starter.sdk import DuplicateDisagreement, InvalidRequest, workflow_id_for
from tests.workflows.support import EXAMPLE, at, jump_to, running, start_payload

RAISED = at("2030-06-10T10:00:00+01:00")


async def _nothing_happened(h, case_reference: str) -> None:
    rows = await h.rows(
        "SELECT count(*) FROM disagreements WHERE case_reference = :c", c=case_reference
    )
    steps = await h.rows("SELECT count(*) FROM steps WHERE case_reference = :c", c=case_reference)
    assert rows[0][0] == 0 and steps[0][0] == 0
    assert [m for m in h.sink.messages if case_reference in m["Subject"]] == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"procedure": "nowhere-2020"}, "procedure: unknown procedure 'nowhere-2020'"),
        ({"case_reference": "Jane Doe"}, "case_reference: letters, digits and . _ - only"),
        ({"people": EXAMPLE["people"][:1]}, "people: nobody holds 'receiving.practitioner'"),
        (
            {"raised_at": "2030-06-11T10:00:00+01:00"},
            "raised_at: 2030-06-11T10:00:00+01:00 is in the future",
        ),
        ({"nature": "  "}, "nature: must not be empty"),
        ({"immediate_rsik": True}, "immediate_rsik: is not a field of this request (a typo?)"),
        (
            {"child_timescale_working_days": -1},
            "child_timescale_working_days: must be at least 0",
        ),
        (
            {"child_timescale_working_days": "5"},
            "child_timescale_working_days: must be a whole number",
        ),
        (
            {"child_timescale_working_days": True},
            "child_timescale_working_days: must be a whole number",
        ),
        ({"immediate_risk": "yes"}, "immediate_risk: must be true or false"),
    ],
)
async def test_invalid_start_is_refused_before_anything_starts(
    env, db, mail, change, expected
) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        payload = start_payload(RAISED)
        payload.update(change)
        case = payload["case_reference"]
        with pytest.raises(InvalidRequest) as info:
            await h.client.open(payload, now=RAISED)
        assert any(e.startswith(expected) for e in info.value.errors), info.value.errors
        if " " not in case:
            with pytest.raises(RPCError, match="not found"):
                await h.client.handle(workflow_id_for(case, "d1")).describe()
            await _nothing_happened(h, case)


async def test_raw_start_from_another_language_fails_cleanly(env, db, mail) -> None:
    """A client bypassing the SDK gets a failed workflow naming the problem, and no side effect."""
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        payload = start_payload(RAISED, people=EXAMPLE["people"][:1])
        handle = await env.client.start_workflow(
            "Disagreement",
            payload,
            id=f"raw-{payload['case_reference']}",
            task_queue=h.client.task_queue,
        )
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
        cause = info.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == "InvalidStartRequest"
        assert "people: nobody holds 'receiving.practitioner'" in cause.message
        await _nothing_happened(h, payload["case_reference"])


async def test_duplicate_start_is_refused(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        payload = start_payload(RAISED)
        wid = await h.client.open(payload)
        assert wid == f"disagreement-{payload['case_reference']}-d1"
        with pytest.raises(
            DuplicateDisagreement, match=r"disagreement_id: a disagreement .* already exists"
        ):
            await h.client.open(payload)


async def test_generated_suffix_keeps_disagreements_apart(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        payload = start_payload(RAISED)
        payload.pop("disagreement_id")
        first = await h.client.open(payload)
        second = await h.client.open(payload)
        assert first != second
        assert first.startswith(f"disagreement-{payload['case_reference']}-")


def test_start_payload_json_schema_is_plain_json() -> None:
    schema = StartDisagreement.model_json_schema()
    assert set(schema["required"]) >= {"procedure", "case_reference", "raised_at", "people"}
