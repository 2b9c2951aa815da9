"""No payload can stall a case: what the workflow cannot decode is refused and recorded.

Issue "No input can stop a case" (2): a signal whose payload had an encoding the
converter did not know, or that the worker's codec could not decrypt (a client whose
key list was in the wrong order after a rotation), raised while the worker decoded the
activation: every workflow task failed and was retried for ever, no deadline fired and
``status`` timed out. Now each such payload is refused into ``rejected_inputs`` and the
record (a signal) or refused to the caller with the reason (an update), and the case's
deadlines still fire on time.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from codec.aes import new_key_spec
from models.decisions import Resolved
from starter.connect import data_converter
from starter.sdk import EscalationClient
from tests.fixtures.harness import steps
from tests.workflows.alert_support import alert_payload, alerts_running
from tests.workflows.support import at, jump_to, running, start_payload
from workflows.inputs import MAX_PAYLOAD_BYTES

RAISED = at("2030-06-10T10:00:00+01:00")
DUE_1 = at("2030-06-17T17:00:00+01:00")
DUE_2 = at("2030-06-24T17:00:00+01:00")


def _payload(encoding: bytes, data: bytes) -> RawValue:
    return RawValue(Payload(metadata={"encoding": encoding}, data=data))


UNDECODABLE: list[tuple[RawValue, str]] = [
    (_payload(b"binary/encrypted", b"\x00\x01 sealed"), "encoding 'binary/encrypted' is not JSON"),
    (_payload(b"binary/null", b""), "encoding 'binary/null' is not JSON"),
    (_payload(b"json/protobuf", b"{}"), "encoding 'json/protobuf' is not JSON"),
    (RawValue(Payload(metadata={}, data=b"{}")), "encoding '(none)' is not JSON"),
    (_payload(b"json/plain", b"\xff\xfe{not json"), "payload"),
    (_payload(b"json/plain", b"[1, 2, 3]"), "payload"),
    (
        _payload(
            b"json/plain", json.dumps({"by": "x", "outcome": "y" * MAX_PAYLOAD_BYTES}).encode()
        ),
        f"a decision is at most {MAX_PAYLOAD_BYTES:,} bytes",
    ),
]
"""Payloads no decision can be read from, and what the refusal says."""


async def test_undecodable_signals_are_refused_and_the_deadline_still_fires(env, db, mail) -> None:
    async with running(env, db, mail) as h:
        await h.sleep_until(RAISED)
        wid = await h.client.open(start_payload(RAISED))
        handle = h.env.client.get_workflow_handle(wid)
        for raw, _ in UNDECODABLE:
            await handle.signal("resolved", raw)
            await handle.signal("unresolved", raw)

        status = await h.status(wid)  # answers: no workflow task is failing
        assert status.rejected_inputs_total == 2 * len(UNDECODABLE)
        for (_, reason), refused in zip(UNDECODABLE, status.rejected_inputs[::2], strict=True):
            assert refused.name == "resolved" and reason in refused.error
        assert all(len(r.payload) <= 500 for r in status.rejected_inputs)

        await jump_to(env, at("2030-06-18T09:00:00+01:00"))
        status = await h.status(wid)
        assert [(s.stage_id, s.entered_at, s.due_at) for s in status.stages] == [
            ("practitioners", RAISED, DUE_1),
            ("line_managers", DUE_1, DUE_2),
        ]
        rows = await steps(h, wid, "rejected_input")
        assert len(rows) == 2 * len(UNDECODABLE)
        assert all(r.text and ("payload" in r.text) for r in rows)


@pytest.mark.parametrize(("raw", "reason"), UNDECODABLE)
async def test_undecodable_updates_are_refused_with_the_reason(
    env, db, mail, raw: RawValue, reason: str
) -> None:
    async with running(env, db, mail) as h:
        await h.sleep_until(RAISED)
        wid = await h.client.open(start_payload(RAISED))
        await mail.wait_for(1)  # open at stage 1
        handle = h.env.client.get_workflow_handle(wid)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update("resolve", raw)
        assert reason in str(refused.value.cause)
        # A refusal is final: no client (the Temporal CLI included) should retry it.
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError) and cause.non_retryable
        status = await h.status(wid)
        assert (status.state, status.current_stage, status.outcome) == (
            "open",
            "practitioners",
            None,
        )


def _client(env: Any, keys: str) -> Client:
    return Client(**{**env.client.config(), "data_converter": data_converter(keys)})


async def test_a_signal_the_worker_cannot_decrypt_is_refused_not_retried_for_ever(
    env, db, mail
) -> None:
    """A case system rotated its key before the workers had it (new key first)."""
    old, new = new_key_spec("k1"), new_key_spec("k2")
    workers = _client(env, old)
    rotated_early = _client(env, f"{new},{old}")
    await jump_to(env, RAISED)
    # A worker and a case system on the old key, and one case system already on the new one.
    async with running(_Env(env, workers), db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await mail.wait_for(1)  # open at stage 1
        early = EscalationClient(rotated_early, h.client.task_queue, env.get_current_time)
        await early.handle(wid).signal("resolved", {"by": "A. Teacher", "outcome": "Agreed"})
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await rotated_early.get_workflow_handle(wid).execute_update(
                "resolve", {"by": "A. Teacher", "outcome": "Agreed"}
            )
        assert "could not be decrypted" in str(refused.value.cause)
        assert "key id 'k2'" in str(refused.value.cause)

        status = await h.status(wid)
        assert status.current_stage == "practitioners"
        [signal] = status.rejected_inputs
        assert signal.name == "resolved" and "could not be decrypted" in signal.error

        # A client with the right key is heard at once: the case was never stuck.
        receipt = await h.client.resolve(wid, Resolved(by="B. Social Worker", outcome="Agreed"))
        assert receipt is not None and receipt.state == "resolved"


class _Env:
    """The test environment seen through another client (another data converter)."""

    def __init__(self, env: Any, client: Client) -> None:
        self._env, self.client = env, client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)


async def test_a_practice_alert_refuses_undecodable_signals_and_updates(env, db, mail) -> None:
    raised = "2030-06-10T10:00:00+01:00"
    await jump_to(env, at(raised))
    async with alerts_running(env, db, mail) as h:
        wid = await h.client.raise_alert(alert_payload(raised))
        await jump_to(env, at("2030-06-10T10:05:00+01:00"))
        handle = h.env.client.get_workflow_handle(wid)
        for raw, _ in UNDECODABLE:
            await handle.signal("alert_response", raw)
        for update in ("respond", "finalise", "escalate"):
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update(update, UNDECODABLE[0][0])
            assert "encoding 'binary/encrypted' is not JSON" in str(refused.value.cause)
        status = await h.status(wid)
        assert status.rejected_inputs_total == len(UNDECODABLE)
        assert status.state == "open" and status.current_stage == "team_manager"


@pytest.mark.parametrize("workflow", ["Disagreement", "PracticeAlert"])
@pytest.mark.parametrize(
    ("start", "reason"),
    [
        ({"procedure": "redbridge-2017", "nature": 5}, "case_reference: is required"),
        (UNDECODABLE[0][0], "encoding 'binary/encrypted' is not JSON"),
        (_payload(b"json/plain", b"not json"), "payload:"),
    ],
)
async def test_an_unreadable_start_fails_the_start_at_once_and_writes_nothing(
    env, db, mail, workflow: str, start: Any, reason: str
) -> None:
    """Before, a start the typed argument could not take failed every workflow task for
    ever: the case neither opened nor failed, and no record showed it."""
    from temporalio.client import WorkflowFailureError

    async with running(env, db, mail) as h:
        wid = f"{workflow.lower()}-CR-1-{workflow[:3]}"
        handle = await h.env.client.start_workflow(
            workflow, start, id=wid, task_queue=h.client.task_queue
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
        cause = failed.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == "InvalidStartRequest"
        assert cause.message.startswith("invalid start request: ") and reason in cause.message
        assert await h.rows("SELECT key FROM steps WHERE workflow_id = :w", w=wid) == []
    assert mail.messages == []


async def test_a_refused_decision_is_final_not_retryable(env, db, mail) -> None:
    """The Temporal CLI showed refusals as 'retryable: true'; a refusal never changes by
    retrying it, so it says so (issue 16)."""
    async with running(env, db, mail) as h:
        await h.sleep_until(RAISED)
        wid = await h.client.open(start_payload(RAISED))
        await mail.wait_for(1)
        handle = h.env.client.get_workflow_handle(wid)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                "resolve", {"by": "Chair", "outcome": "Agreed", "stage": "lscb_chair"}
            )
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == "DecisionRefused"
        assert cause.non_retryable and "not 'lscb_chair'" in cause.message
