"""The Disagreement workflow's handlers: every decision a caller can send, in and answered.

Each decision is a signal (fire-and-forget; a malformed or refused one is recorded) and
an update (acknowledged: the caller gets the workflow's receipt or its refusal with the
reason). Both take the raw payload, decode it here and queue it in the kernel's inbox
(``workflows.kernel``); the workflow applies one at a time, in history order. An
update's validator refuses, before it enters history, what would be refused anyway.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.decisions import (
        AgreeTimescale,
        ConferenceReconvened,
        Confirmed,
        Decision,
        DecisionReceipt,
        ImmediateRisk,
        MilestoneMet,
        ReferDirectly,
        Resolved,
        ShortenTimescale,
        Unresolved,
    )
    from workflows.case import CaseCore
    from workflows.inputs import decode
    from workflows.ladder import DecisionKind

DECISION_MODELS: dict[DecisionKind, type[Decision]] = {
    "resolved": Resolved,
    "unresolved": Unresolved,
    "confirmed": Confirmed,
    "immediate_risk": ImmediateRisk,
    "shorten_timescale": ShortenTimescale,
    "conference_reconvened": ConferenceReconvened,
    "agree_timescale": AgreeTimescale,
    "refer_directly": ReferDirectly,
    "milestone_met": MilestoneMet,
}


class DecisionHandlers(CaseCore):
    """The signals and updates of a disagreement."""

    @workflow.signal(name="resolved")
    def resolved_signal(self, payload: RawValue) -> None:
        """Fire-and-forget ``resolved`` ({"by", "outcome"}); malformed ones are recorded."""
        self._receive("resolved", payload)

    @workflow.signal(name="unresolved")
    def unresolved_signal(self, payload: RawValue) -> None:
        """Fire-and-forget ``unresolved`` ({"by", "reason"})."""
        self._receive("unresolved", payload)

    @workflow.signal(name="confirmed")
    def confirmed_signal(self, payload: RawValue) -> None:
        """Fire-and-forget written confirmation ({"by", "text"})."""
        self._receive("confirmed", payload)

    @workflow.signal(name="immediate_risk")
    def immediate_risk_signal(self, payload: RawValue) -> None:
        """Fire-and-forget immediate risk ({"by", "reason"})."""
        self._receive("immediate_risk", payload)

    @workflow.signal(name="timescale_shortened")
    def shorten_signal(self, payload: RawValue) -> None:
        """Fire-and-forget shortening ({"by", "reason", "working_days" | "due_at"})."""
        self._receive("shorten_timescale", payload)

    @workflow.signal(name="conference_reconvened")
    def conference_reconvened_signal(self, payload: RawValue) -> None:
        """Fire-and-forget reconvened conference ({"by", "outcome", "text", ...})."""
        self._receive("conference_reconvened", payload)

    @workflow.signal(name="milestone_met")
    def milestone_met_signal(self, payload: RawValue) -> None:
        """Fire-and-forget milestone met ({"by", "milestone", "text"?})."""
        self._receive("milestone_met", payload)

    @workflow.update(name="milestone_met")
    async def milestone_met(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged milestone met; refused for a milestone the stage does not have."""
        return await self._submit("milestone_met", decode(payload, MilestoneMet))

    @milestone_met.validator
    def _validate_milestone(self, payload: RawValue) -> None:
        d = decode(payload, MilestoneMet)
        self._validate("milestone_met", d)

    @workflow.signal(name="agree_timescale")
    def agree_timescale_signal(self, payload: RawValue) -> None:
        """Fire-and-forget agreed timescale ({"by", "reason", "working_days" | "due_at"})."""
        self._receive("agree_timescale", payload)

    @workflow.signal(name="refer_directly")
    def refer_directly_signal(self, payload: RawValue) -> None:
        """Fire-and-forget direct route ({"by", "route", "reason"})."""
        self._receive("refer_directly", payload)

    @workflow.update(name="agree_timescale")
    async def agree_timescale(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged agreed timescale; refused unless the stage's timescale is per case."""
        return await self._submit("agree_timescale", decode(payload, AgreeTimescale))

    @agree_timescale.validator
    def _validate_agree(self, payload: RawValue) -> None:
        d = decode(payload, AgreeTimescale)
        self._validate("agree_timescale", d)

    @workflow.update(name="refer_directly")
    async def refer_directly(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged direct route; any route the pack does not give is refused."""
        return await self._submit("refer_directly", decode(payload, ReferDirectly))

    @refer_directly.validator
    def _validate_refer(self, payload: RawValue) -> None:
        d = decode(payload, ReferDirectly)
        self._validate("refer_directly", d)

    @workflow.update(name="reconvene_conference")
    async def reconvene_conference(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged reconvened conference; refused unless a conference is adjourned."""
        decision = decode(payload, ConferenceReconvened)
        return await self._submit("conference_reconvened", decision)

    @reconvene_conference.validator
    def _validate_reconvene(self, payload: RawValue) -> None:
        d = decode(payload, ConferenceReconvened)
        self._validate("conference_reconvened", d)

    @workflow.update(name="resolve")
    async def resolve(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged ``resolved``: the answer says whether the workflow accepted it."""
        return await self._submit("resolved", decode(payload, Resolved))

    @resolve.validator
    def _validate_resolve(self, payload: RawValue) -> None:
        d = decode(payload, Resolved)
        self._validate("resolved", d)

    @workflow.update(name="unresolve")
    async def unresolve(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged ``unresolved``."""
        return await self._submit("unresolved", decode(payload, Unresolved))

    @unresolve.validator
    def _validate_unresolve(self, payload: RawValue) -> None:
        d = decode(payload, Unresolved)
        self._validate("unresolved", d)

    @workflow.update(name="confirm")
    async def confirm(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged written confirmation."""
        return await self._submit("confirmed", decode(payload, Confirmed))

    @confirm.validator
    def _validate_confirm(self, payload: RawValue) -> None:
        d = decode(payload, Confirmed)
        self._validate("confirmed", d)

    @workflow.update(name="raise_immediate_risk")
    async def raise_immediate_risk(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged immediate risk."""
        return await self._submit("immediate_risk", decode(payload, ImmediateRisk))

    @raise_immediate_risk.validator
    def _validate_risk(self, payload: RawValue) -> None:
        d = decode(payload, ImmediateRisk)
        self._validate("immediate_risk", d)

    @workflow.update(name="shorten_timescale")
    async def shorten_timescale(self, payload: RawValue) -> DecisionReceipt:
        """Acknowledged shortening; a lengthening is refused with the reason."""
        return await self._submit("shorten_timescale", decode(payload, ShortenTimescale))

    @shorten_timescale.validator
    def _validate_shorten(self, payload: RawValue) -> None:
        d = decode(payload, ShortenTimescale)
        self._validate("shorten_timescale", d)
        assert isinstance(d, ShortenTimescale)
        plan = self._plan
        if d.due_at is not None and plan is not None and d.due_at >= plan.due_at:
            raise ApplicationError(
                f"due_at: a timescale can only be shortened; {d.due_at.isoformat()} is not "
                f"earlier than the current deadline {plan.due_at.isoformat()}",
                type="DecisionRefused",
                non_retryable=True,
            )
