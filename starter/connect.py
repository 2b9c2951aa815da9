"""One place that knows how to connect to Temporal with the right data converter.

Worker, SDK, CLI and tests all connect through here so that every payload is
JSON via pydantic, readable by clients in any language.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter


async def connect(address: str = "localhost:7233", namespace: str = "default") -> Client:
    """Connect a Temporal client that speaks pydantic JSON."""
    return await Client.connect(
        address, namespace=namespace, data_converter=pydantic_data_converter
    )
