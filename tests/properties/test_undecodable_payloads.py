"""Whatever bytes and encoding a caller sends, a running case refuses them and runs on.

The payloads come from ``strategies.undecodable``: foreign or missing encodings, bytes
that are not JSON, JSON that is not an object. One case on the time-skipping server
takes every example as a signal (refused into ``rejected_inputs`` with a reason) and as
an update (refused to the caller with a reason); afterwards it is still at stage 1 with
its deadline unchanged, and its status answers (no workflow task is failing).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowUpdateFailedError
from temporalio.common import RawValue

from tests.properties.strategies import Undecodable, undecodable
from tests.workflows.support import at, running, start_payload

RAISED = at("2030-06-10T10:00:00+01:00")
DUE = at("2030-06-17T17:00:00+01:00")


def _raw(u: Undecodable) -> RawValue:
    return RawValue(
        Payload(metadata={} if u.encoding is None else {"encoding": u.encoding}, data=u.data)
    )


@pytest.fixture
async def case(env, db, mail):
    async with running(env, db, mail) as h:
        await h.sleep_until(RAISED)
        wid = await h.client.open(start_payload(RAISED))
        await mail.wait_for(1)
        yield h, wid, [0]


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=undecodable())
async def test_an_undecodable_payload_is_refused_and_the_case_runs_on(case, payload) -> None:
    h, wid, sent = case
    handle = h.env.client.get_workflow_handle(wid)
    await handle.signal("unresolved", _raw(payload))
    sent[0] += 1
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("unresolve", _raw(payload))
    assert "payload" in str(refused.value.cause)

    status = await h.status(wid)
    assert status.rejected_inputs_total == sent[0]
    assert status.rejected_inputs[-1].name == "unresolved"
    assert status.rejected_inputs[-1].error.startswith("payload")
    assert [(s.stage_id, s.due_at) for s in status.stages] == [("practitioners", DUE)]
