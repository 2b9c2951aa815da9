"""No input can stop, kill or silently stall a case: items 1 to 3 of the issue, on the dev server.

Each was reproduced on ``escalation dev`` before the fix; these tests run the same
faults against the real dev server (its blob size limit, a real codec, real history
limits) with the real worker, records and SMTP sink:

1. An oversized decision: over the server's blob limit it is refused at the door;
   under it, the workflow refuses it (a decision is at most 64 KiB). The case runs on.
   Before, its copies in the worker's reply passed the 4 MB gRPC limit and the server
   terminated the case.
2. A payload with an unknown encoding, or one the worker cannot decrypt (a case system
   rotated its key before the workers had it), is refused and recorded; ``status``
   answers at once. Before, every workflow task failed for ever.
3. A flood of large refused signals: the case continues as new (several times) and a
   decision sent afterwards by workflow id is applied. Before, the history grew until
   Temporal terminated the case.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.common import RawValue
from temporalio.service import RPCError

from activities.email import SmtpConfig
from codec.aes import new_key_spec
from models.decisions import Confirmed, Resolved
from records.db import make_sessionmaker, upgrade
from starter.connect import ConnectionOptions, connect
from starter.devstack import BLOB_SIZE_LIMIT_ERROR_BYTES, DevServer, start_dev_server_on_free_ports
from starter.sdk import EscalationClient
from starter.smtp_sink import SmtpSink
from tests.faults.stack import eventually
from tests.workflows.support import start_payload
from worker import create_worker

OLD_KEY, NEW_KEY = new_key_spec("k1"), new_key_spec("k2")


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevServer]:
    dev = await start_dev_server_on_free_ports(tmp_path_factory.mktemp("no-input-stops"))
    try:
        yield dev
    finally:
        await dev.stop()


@pytest.fixture
async def records(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"
    await upgrade(url)
    sessionmaker = make_sessionmaker(url)
    yield sessionmaker
    await sessionmaker.kw["bind"].dispose()


async def _client(server: DevServer, keys: str) -> Client:
    return await connect(options=ConnectionOptions(address=server.address, codec_keys=keys))


@pytest.fixture
async def case(
    server: DevServer, records: async_sessionmaker[AsyncSession], mail: SmtpSink
) -> AsyncIterator[tuple[EscalationClient, str]]:
    """A Redbridge case open at stage 1 on an encrypted worker (old key)."""
    client = await _client(server, OLD_KEY)
    queue = f"inputs-{uuid.uuid4().hex[:8]}"
    smtp = SmtpConfig(host="127.0.0.1", port=mail.port, mail_from="escalations@lscb.example.org")
    async with create_worker(client, queue, sessionmaker=records, smtp=smtp):
        cases = EscalationClient(client, queue)
        wid = await cases.open(start_payload(datetime.now(UTC) - timedelta(minutes=1)))
        await mail.wait_for(1)  # the stage 1 email: the case is open
        yield cases, wid


async def _running_at_stage_1(cases: EscalationClient, wid: str) -> None:
    handle = cases.handle(wid)
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    status = await cases.status(wid)
    assert (status.state, status.current_stage, status.outcome) == ("open", "practitioners", None)


async def test_an_oversized_decision_is_refused_and_the_case_runs_on(
    case: tuple[EscalationClient, str],
) -> None:
    cases, wid = case
    handle = cases.handle(wid)
    huge = {"by": "B. Social Worker", "outcome": "x", "outstanding": "x" * 1_500_000}
    with pytest.raises(RPCError, match=r"(?i)blob"):
        await handle.signal("resolved", huge)
    # (An *update* over the server's blob limit is not size-checked by the server: the
    # worker's SDK will not upload a reply echoing it, the update fails after about 20 s and
    # the case runs on. Seen on this dev server; not repeated here, for the suite's time.)

    # Under the server's limit, over any decision's: the workflow refuses it with the reason.
    large = {"by": "B. Social Worker", "outcome": "x", "outstanding": "\u0001" * 60_000}
    assert 64 * 1024 < len(json.dumps(large)) < BLOB_SIZE_LIMIT_ERROR_BYTES  # \u0001: 6 bytes
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("resolve", large)
    assert "a decision is at most 65,536 bytes" in str(refused.value.cause)
    await handle.signal("resolved", large)

    async def recorded() -> None:
        status = await cases.status(wid)
        assert [r.name for r in status.rejected_inputs] == ["resolved"]

    await eventually(recorded, timeout=10)
    await _running_at_stage_1(cases, wid)
    receipt = await cases.resolve(wid, Resolved(by="B. Social Worker", outcome="Plan agreed"))
    assert receipt is not None and receipt.state == "resolved"


async def test_undecodable_and_undecryptable_payloads_are_refused_at_once(
    server: DevServer, case: tuple[EscalationClient, str]
) -> None:
    cases, wid = case
    unknown = RawValue(Payload(metadata={"encoding": b"binary/encrypted"}, data=b"\x00sealed"))
    await cases.handle(wid).signal("resolved", unknown)
    rotated_early = await _client(server, f"{NEW_KEY},{OLD_KEY}")
    await rotated_early.get_workflow_handle(wid).signal(
        "unresolved", {"by": "A. Teacher", "reason": "No"}
    )
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await rotated_early.get_workflow_handle(wid).execute_update(
            "unresolve", {"by": "A. Teacher", "reason": "No"}
        )
    assert "could not be decrypted" in str(refused.value.cause)

    async def recorded() -> None:
        status = await cases.status(wid)  # answers: no workflow task is failing
        assert [(r.name, r.error.split(":")[0]) for r in status.rejected_inputs] == [
            ("resolved", "payload"),
            ("unresolved", "payload"),
        ]
        assert "encoding 'binary/encrypted' is not JSON" in status.rejected_inputs[0].error
        assert "key id 'k2'" in status.rejected_inputs[1].error

    await eventually(recorded, timeout=10)
    history = await cases.handle(wid).fetch_history()
    assert not [
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]
    await _running_at_stage_1(cases, wid)


async def test_a_flood_of_large_signals_continues_the_case_as_new(
    case: tuple[EscalationClient, str],
    records: async_sessionmaker[AsyncSession],
    mail: SmtpSink,
) -> None:
    cases, wid = case
    handle = cases.handle(wid)
    first_run = (await handle.describe()).run_id
    flood = 30
    for n in range(flood):  # 30 x 400 KB: 12 MB, a quarter of Temporal's 50 MB history limit
        await handle.signal("resolved", {"by": f"Flood {n}", "outcome": "y" * 400_000})

    async def all_refused() -> None:
        status = await cases.status(wid)
        assert status.rejected_inputs_total == flood

    await eventually(all_refused, timeout=30)

    async def continued() -> None:
        described = await handle.describe()
        assert described.run_id != first_run
        assert described.status == WorkflowExecutionStatus.RUNNING

    await eventually(continued, timeout=30)
    await _running_at_stage_1(cases, wid)

    # Decisions by workflow id reach the latest run; the case completes.
    await cases.resolve(wid, Resolved(by="B. Social Worker", outcome="Plan agreed"))
    await cases.confirm(wid, Confirmed(by="B. Social Worker", text="Letter sent"))
    final = await handle.result()
    assert (final.state, final.outcome, final.rejected_inputs_total) == (
        "closed",
        "Plan agreed",
        flood,
    )

    async def rows() -> Counter[str]:
        async with records() as session:
            kinds = Counter(
                r[0]
                for r in await session.execute(
                    text("SELECT kind FROM steps WHERE workflow_id = :w"), {"w": wid}
                )
            )
        assert kinds["closed"] == 1
        return kinds

    kinds = await eventually(rows, timeout=15)
    assert kinds["opened"] == 1 and kinds["stage_entered"] == 1
    assert kinds["rejected_input"] == flood  # under 50 a run: one row each
    ids = [m["Message-ID"] for m in mail.messages]
    assert len(ids) == len(set(ids))
