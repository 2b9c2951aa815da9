"""The dev server refuses an oversized payload at the door, and the workflow goes on.

``escalation dev`` (and every test and benchmark dev server) starts Temporal with
``limit.blobSize.Error`` well under the 4 MiB gRPC message limit
(``starter/devstack.py``). A signal over it is refused by the server before it
reaches the workflow: the sender gets an error naming the size, and the running
workflow neither sees it nor stops. Without the limit, a ~1 MB decision copied
into an update's answer and two activity inputs took a worker's reply past the
gRPC limit and the server terminated the case.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from temporalio import workflow

# The sandbox re-imports this module to run the probe: the test's own imports pass through.
with workflow.unsafe.imports_passed_through():
    import pytest
    from temporalio.client import Client, WorkflowExecutionStatus
    from temporalio.service import RPCError
    from temporalio.worker import Worker

    from starter.connect import ConnectionOptions, connect
    from starter.devstack import (
        BLOB_SIZE_LIMIT_ERROR_BYTES,
        BLOB_SIZE_LIMIT_WARN_BYTES,
        DevServer,
        dev_server_args,
        start_dev_server_on_free_ports,
    )


@workflow.defn(name="BlobLimitProbe")
class BlobLimitProbe:
    """Counts the texts signalled to it until told to finish."""

    def __init__(self) -> None:
        self.lengths: list[int] = []
        self.finished = False

    @workflow.run
    async def run(self) -> list[int]:
        await workflow.wait_condition(lambda: self.finished)
        return self.lengths

    @workflow.signal
    def note(self, text: str) -> None:
        self.lengths.append(len(text))

    @workflow.signal
    def finish(self) -> None:
        self.finished = True

    @workflow.query
    def seen(self) -> list[int]:
        return self.lengths


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevServer]:
    dev = await start_dev_server_on_free_ports(
        tmp_path_factory.mktemp("blob-limit"), search_attributes=False
    )
    try:
        yield dev
    finally:
        await dev.stop()


def test_the_limits_are_well_under_the_grpc_limit_and_passed_to_the_server(tmp_path) -> None:
    assert BLOB_SIZE_LIMIT_WARN_BYTES < BLOB_SIZE_LIMIT_ERROR_BYTES <= 4 * 1024 * 1024 // 4
    args = dev_server_args(tmp_path)
    values = [args[i + 1] for i, a in enumerate(args) if a == "--dynamic-config-value"]
    assert f"limit.blobSize.Error={BLOB_SIZE_LIMIT_ERROR_BYTES}" in values
    assert f"limit.blobSize.Warn={BLOB_SIZE_LIMIT_WARN_BYTES}" in values


async def test_a_signal_over_the_limit_is_refused_and_the_workflow_keeps_running(
    server: DevServer,
) -> None:
    client: Client = await connect(options=ConnectionOptions(address=server.address))
    queue = f"blob-limit-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=[BlobLimitProbe]):
        handle = await client.start_workflow(
            BlobLimitProbe.run, id=f"blob-limit-{uuid.uuid4()}", task_queue=queue
        )
        with pytest.raises(RPCError) as refused:
            await handle.signal(BlobLimitProbe.note, "x" * (1024 * 1024))
        assert "size exceeds limit" in str(refused.value)
        # Under the limit still goes through: only the oversized one was turned away.
        await handle.signal(BlobLimitProbe.note, "y" * (BLOB_SIZE_LIMIT_WARN_BYTES // 2))
        await handle.signal(BlobLimitProbe.note, "ok")
        assert await handle.query(BlobLimitProbe.seen) == [BLOB_SIZE_LIMIT_WARN_BYTES // 2, 2]
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        await handle.signal(BlobLimitProbe.finish)
        assert await handle.result() == [BLOB_SIZE_LIMIT_WARN_BYTES // 2, 2]
