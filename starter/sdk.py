"""The client SDK a case system imports to open disagreements and record decisions.

Everything is checked before anything starts: a bad request raises
:class:`InvalidRequest` naming each field and reason, and no workflow is started
(so no row is written and no email sent). Decisions go as Updates by default, so
the caller learns whether the workflow accepted them; ``acknowledged=False``
sends the fire-and-forget signal instead.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from temporalio.client import WorkflowHandle

from models.decisions import (
    AgreeTimescale,
    ConferenceReconvened,
    Confirmed,
    DecisionReceipt,
    ImmediateRisk,
    MilestoneMet,
    ReferDirectly,
    Resolved,
    ShortenTimescale,
    Unresolved,
)
from models.start import StartDisagreement
from models.status import DisagreementStatus
from packs import PACK_DIR
from starter.sdk_base import (
    DecisionRefused,
    EscalationError,
    InvalidRequest,
    WorkflowClient,
    check_request,
    parse_request,
)
from workflows.disagreement import DisagreementWorkflow
from workflows.ladder import validate_start

__all__ = [
    "DecisionRefused",
    "DuplicateDisagreement",
    "EscalationClient",
    "EscalationError",
    "InvalidRequest",
    "check_start",
    "parse_start",
    "workflow_id_for",
]


class DuplicateDisagreement(EscalationError):
    """A disagreement with this id already exists (open or finished)."""


def workflow_id_for(case_reference: str, disagreement_id: str) -> str:
    """The workflow id: pseudonymous case reference plus the disagreement's suffix."""
    return f"disagreement-{case_reference}-{disagreement_id}"


def parse_start(data: StartDisagreement | dict[str, Any]) -> StartDisagreement:
    """Validate a start payload, raising InvalidRequest with every field error."""
    return parse_request(StartDisagreement, data)


def check_start(
    req: StartDisagreement, now: datetime | None = None, pack_dir: Path = PACK_DIR
) -> StartDisagreement:
    """Check a parsed request against its procedure; give it a suffix if it has none.

    ``pack_dir`` must be the directory the workers load packs from (tests use their own).
    """
    return check_request(req, validate_start, "disagreement_id", now, pack_dir)


class EscalationClient(WorkflowClient[DisagreementStatus, DecisionReceipt]):
    """Open disagreements and record decisions on them."""

    receipt = DecisionReceipt
    noun: ClassVar[str] = "case"
    finished: ClassVar[str] = "is closed; no further decisions or calendar changes are accepted"

    async def open(
        self, request: StartDisagreement | dict[str, Any], *, now: datetime | None = None
    ) -> str:
        """Start the disagreement's workflow and return its workflow id.

        Raises:
            InvalidRequest: the request is malformed or does not fit the procedure.
            DuplicateDisagreement: a disagreement with the same id exists.
        """
        req = check_start(parse_start(request), await self._now(now), self._pack_dir)
        assert req.disagreement_id is not None
        workflow_id = workflow_id_for(req.case_reference, req.disagreement_id)
        duplicate = DuplicateDisagreement(
            f"disagreement_id: a disagreement '{workflow_id}' already exists; "
            "use a new disagreement_id for a new disagreement about this case"
        )
        summary = f"{req.procedure}: case {req.case_reference}"
        return await self._start(DisagreementWorkflow.run, req, workflow_id, summary, duplicate)

    def handle(self, workflow_id: str) -> WorkflowHandle[Any, DisagreementStatus]:
        """The Temporal handle of a disagreement; its result is the final status."""
        return self.client.get_workflow_handle_for(DisagreementWorkflow.run, workflow_id)

    async def status(self, workflow_id: str) -> DisagreementStatus:
        """Query the case's current status."""
        return await self.handle(workflow_id).query(DisagreementWorkflow.status)

    async def resolve(
        self, workflow_id: str, decision: Resolved, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Record a resolution with the agreed outcome."""
        return await self._decide(workflow_id, "resolve", "resolved", decision, acknowledged)

    async def unresolve(
        self, workflow_id: str, decision: Unresolved, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Record that the stage failed to agree; the case goes up now."""
        return await self._decide(workflow_id, "unresolve", "unresolved", decision, acknowledged)

    async def confirm(
        self, workflow_id: str, decision: Confirmed, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Record the written confirmation of the outcome."""
        return await self._decide(workflow_id, "confirm", "confirmed", decision, acknowledged)

    async def raise_immediate_risk(
        self, workflow_id: str, decision: ImmediateRisk, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Declare an immediate risk of significant harm."""
        return await self._decide(
            workflow_id, "raise_immediate_risk", "immediate_risk", decision, acknowledged
        )

    async def shorten(
        self, workflow_id: str, decision: ShortenTimescale, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Bring the current deadline forward to protect the child."""
        return await self._decide(
            workflow_id, "shorten_timescale", "timescale_shortened", decision, acknowledged
        )

    async def agree_timescale(
        self, workflow_id: str, decision: AgreeTimescale, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Agree the current stage's timescale on the case (only where the procedure says so)."""
        return await self._decide(
            workflow_id, "agree_timescale", "agree_timescale", decision, acknowledged
        )

    async def milestone_met(
        self, workflow_id: str, decision: MilestoneMet, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Record that a milestone of the current stage was met (e.g. the first contact)."""
        return await self._decide(
            workflow_id, "milestone_met", "milestone_met", decision, acknowledged
        )

    async def refer_directly(
        self, workflow_id: str, decision: ReferDirectly, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Take a direct route the procedure gives (e.g. Redbridge 4.8 to the LSCB Chair)."""
        return await self._decide(
            workflow_id, "refer_directly", "refer_directly", decision, acknowledged
        )

    async def reconvene(
        self, workflow_id: str, decision: ConferenceReconvened, *, acknowledged: bool = True
    ) -> DecisionReceipt | None:
        """Record the outcome of an adjourned conference that has reconvened."""
        return await self._decide(
            workflow_id, "reconvene_conference", "conference_reconvened", decision, acknowledged
        )
