"""Payloads of the Reconcile workflow: records compared with Temporal, stopped cases told.

The ``find_stopped_cases`` activity marks each case the record holds open whose
workflow Temporal no longer runs, and hands back the email for the partnership's
Business Manager; the workflow sends it through the ordinary email activity and
answers a ``ReconcileReport`` that ``escalation reconcile`` prints a line per case of.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from models.notifications import Notification

EmailOutcome = Literal["sent", "already_sent", "no_recipients", "failed"]


class ReconcileRequest(BaseModel):
    """One reconcile run (no options yet; a model so fields can be added later)."""


class StoppedCase(BaseModel):
    """A case marked stopped by this run, or stopped earlier with its email still not out."""

    workflow_id: str
    workflow_type: Literal["Disagreement", "PracticeAlert"]
    case_reference: str
    procedure: str
    stage: str | None = None
    status: str = Field(description="Temporal's close status, e.g. TERMINATED, or NOT_FOUND.")
    reason: str = Field(description="The status and Temporal's reason, as the record keeps it.")
    stopped_at: AwareDatetime | None = None
    newly_stopped: bool = Field(description="Marked by this run (else: only its email was due).")
    notification: Notification = Field(description="The email to the Business Manager.")


class ReconcileFindings(BaseModel):
    """What ``find_stopped_cases`` found: how many open cases it asked about, and the stopped."""

    checked: int
    stopped: list[StoppedCase] = Field(default_factory=list)


class ReconciledCase(BaseModel):
    """One stopped case and whether the Business Manager was told."""

    case: StoppedCase
    email: EmailOutcome
    told: list[str] = Field(default_factory=list, description="Who the email reached.")
    error: str | None = Field(default=None, description="Why the email did not go, if it did not.")


class ReconcileReport(BaseModel):
    """The Reconcile workflow's answer."""

    checked: int
    cases: list[ReconciledCase] = Field(default_factory=list)
