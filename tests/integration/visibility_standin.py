"""A stand-in ``Disagreement`` workflow for the visibility test: upsert, describe, wait.

Its own module so the workflow sandbox imports only this and the pure modules
it exercises (the way the real workflow will).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.status import DisagreementStatus
    from workflows.search_attributes import (
        CASE_REF,
        IMMEDIATE_RISK,
        NEXT_DEADLINE,
        OVERDUE,
        PROCEDURE,
        STAGE,
        STATE,
        attribute_updates,
        current_details,
    )


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


class AlertProbe(BaseModel):
    """A practice alert's attributes as the real workflow would publish them."""

    case_reference: str
    procedure: str
    stage: str
    state: str
    due: datetime
    overdue: bool


@workflow.defn(name="PracticeAlert")
class AlertStandIn:
    """A practice alert for the listing commands: upsert, wait."""

    @workflow.run
    async def run(self, probe: AlertProbe) -> None:
        workflow.upsert_search_attributes(
            [
                PROCEDURE.value_set(probe.procedure),
                CASE_REF.value_set(probe.case_reference),
                STAGE.value_set(probe.stage),
                STATE.value_set(probe.state),
                NEXT_DEADLINE.value_set(probe.due),
                OVERDUE.value_set(probe.overdue),
                IMMEDIATE_RISK.value_set(False),
            ]
        )
        await workflow.wait_condition(lambda: False)
