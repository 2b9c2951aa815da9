"""A stand-in ``Disagreement`` workflow for the visibility test: upsert, describe, wait.

Its own module so the workflow sandbox imports only this and the pure modules
it exercises (the way the real workflow will).
"""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.status import DisagreementStatus
    from workflows.search_attributes import attribute_updates, current_details


class Probe(BaseModel):
    """The status to publish, and the partnership's time zone."""

    status: DisagreementStatus
    timezone: str = "Europe/London"


@workflow.defn(name="Disagreement")
class StandIn:
    """Does only what the real workflow's wiring will do: upsert, describe, wait."""

    @workflow.run
    async def run(self, probe: Probe) -> None:
        workflow.upsert_search_attributes(attribute_updates(probe.status, workflow.now()))
        workflow.set_current_details(current_details(probe.status, probe.timezone, 4))
        await workflow.wait_condition(lambda: False)
