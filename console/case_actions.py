"""Which decisions a console role may send to a case now, and the payload each one sends.

The console's roles stand for the partnership's own people in the procedures: the
Chair (Redbridge's LSCB Chair and Vice Chair, Sutton's and Rutland's Independent
Chair, North Lincolnshire's LSCB Chair and Independent Scrutiny Officer) and the
Business Manager (Redbridge's LSCB Business Manager, Rutland's LSCB Manager, North
Lincolnshire's LSCB business support). ``STANDS_FOR`` lists the pack roles each
console role holds; a role records the outcome (resolved / unresolved, the written
confirmation) only at a stage one of those pack roles holds: the Chair at the
Chair's stage. The Business Manager also records a stage's milestones and takes a
direct route the procedure gives (Redbridge 4.8, to the LSCB Chair); both may bring
a deadline forward to protect the child. Quality Assurance and viewers read only.

What the workflow then accepts is the workflow's to say: a direct route taken by
someone the pack does not name for it, or a decision about a stage the case has
left, is refused by the workflow itself, in its own words, and the page shows them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from console.access import Role
from models.decisions import (
    Confirmed,
    DecisionReceipt,
    MilestoneMet,
    ReferDirectly,
    Resolved,
    ShortenTimescale,
    Unresolved,
)
from models.pack import LadderSpec, PolicyPack, StageSpec
from models.status import DisagreementStatus
from starter.sdk import EscalationClient
from starter.sdk_base import InvalidRequest, field_errors

STANDS_FOR: Mapping[Role, frozenset[str]] = {
    "chair": frozenset(
        {
            "partnership.chair",
            "partnership.vice_chair",
            "partnership.independent_chair",
            "partnership.lscb_chair",
            "partnership.independent_scrutiny_officer",
        }
    ),
    "business_manager": frozenset(
        {
            "partnership.business_manager",
            "partnership.lscb_manager",
            "partnership.lscb_business_support",
        }
    ),
}
"""The pack roles a console role holds, in every shipped procedure."""
ACTING: tuple[Role, ...] = ("business_manager", "chair")
"""The console roles that may act on a case at all."""


@dataclass(frozen=True)
class Field:
    """One input of an action's form."""

    name: str
    label: str
    kind: str = "text"
    """text, textarea or number."""
    required: bool = True


@dataclass(frozen=True)
class Offer:
    """An action the page offers: its form's title, inputs and fixed values."""

    action: str
    title: str
    button: str
    fields: tuple[Field, ...] = ()
    fixed: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Unique per form on the page (several milestones or routes share an action)."""
        return "-".join([self.action, *self.fixed.values()])


def _ladder(status: DisagreementStatus, pack: PolicyPack) -> LadderSpec | None:
    ladder_id = (status.stages[-1].ladder_id if status.stages else None) or status.ladder
    try:
        return pack.ladder(ladder_id)
    except KeyError:
        return None


def _stage(ladder: LadderSpec | None, stage_id: str | None) -> StageSpec | None:
    if ladder is None or stage_id is None:
        return None
    return next((s for s in ladder.stages if s.id == stage_id), None)


def stands_for(roles: frozenset[Role]) -> frozenset[str]:
    """Every pack role ``roles`` hold."""
    return frozenset().union(*(STANDS_FOR.get(r, frozenset()) for r in roles))


def offers(roles: frozenset[Role], status: DisagreementStatus, pack: PolicyPack) -> list[Offer]:
    """What someone holding ``roles`` in the case's partnership may send it now."""
    if status.state == "closed" or not set(roles) & set(ACTING):
        return []
    ladder = _ladder(status, pack)
    stage = _stage(ladder, status.current_stage)
    if ladder is None or stage is None:
        return []
    mine = stands_for(roles)
    found: list[Offer] = []
    if status.state == "resolved":
        if (stage.confirmer or stage.holders[-1]) in mine:
            found.append(
                Offer(
                    "confirm",
                    "Record the written confirmation",
                    "Record the confirmation",
                    (Field("text", "The written confirmation, or its summary", "textarea", False),),
                )
            )
        return found
    if set(stage.holders) & mine:
        if "resolved" in status.decisions:
            found.append(
                Offer(
                    "resolve",
                    f"Record the outcome: resolved at {stage.title}",
                    "Record: resolved",
                    (
                        Field("outcome", "The agreed outcome", "textarea"),
                        Field(
                            "outstanding",
                            "How outstanding issues will be pursued",
                            "textarea",
                            False,
                        ),
                    ),
                )
            )
        if "unresolved" in status.decisions:
            found.append(
                Offer(
                    "unresolve",
                    f"Record the outcome: not resolved at {stage.title}",
                    "Record: not resolved",
                    (Field("reason", "Why it could not be resolved", "textarea"),),
                )
            )
    if "business_manager" in roles:
        current = status.stages[-1] if status.stages else None
        for m in current.milestones if current else []:
            if m.met_at is None:
                found.append(
                    Offer(
                        "milestone_met",
                        f"Record a milestone met: {m.title}",
                        "Record the milestone",
                        (Field("text", "What happened, briefly", "textarea", False),),
                        {"milestone": m.id},
                    )
                )
        here = ladder.index_of(stage.id)
        for route in ladder.routes:
            if ladder.index_of(route.target) > here:
                found.append(
                    Offer(
                        "refer_directly",
                        route.title,
                        "Refer the case",
                        (Field("reason", "Why the case goes this way", "textarea"),),
                        {"route": route.id},
                    )
                )
    found.append(
        Offer(
            "shorten",
            "Bring the deadline forward to protect the child",
            "Shorten the timescale",
            (
                Field(
                    "working_days",
                    "Working days for each stage from when it was entered (this and later stages)",
                    "number",
                ),
                Field("reason", "Why the child needs the shorter timescale", "textarea"),
            ),
        )
    )
    return found


Send = Callable[[], Awaitable[DecisionReceipt | None]]


def _model(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest(field_errors(exc, "decision")) from exc


def prepare(
    client: EscalationClient, workflow_id: str, offer: Offer, by: str, form: Mapping[str, str]
) -> Send:
    """The Update that sends ``offer`` with the form's values, by the signed-in ``by``.

    Raises:
        InvalidRequest: a value is missing or out of bounds, named with the reason;
            nothing is sent.
    """
    text = {f.name: form.get(f.name, "").strip() for f in offer.fields}
    data: dict[str, Any] = {"by": by, "stage": form.get("stage") or None, **offer.fixed}
    data.update({k: v for k, v in text.items() if v or k in ("outcome", "reason")})
    if offer.action == "shorten":
        days = text.get("working_days", "")
        if not days.isdigit():
            raise InvalidRequest(["working_days: give a whole number of working days"])
        data["working_days"] = int(days)
        data.pop("stage")  # the deadline it shortens is the case's current one
    match offer.action:
        case "resolve":
            d = _model(Resolved, data)
            return lambda: client.resolve(workflow_id, d)
        case "unresolve":
            u = _model(Unresolved, data)
            return lambda: client.unresolve(workflow_id, u)
        case "confirm":
            c = _model(Confirmed, data)
            return lambda: client.confirm(workflow_id, c)
        case "milestone_met":
            m = _model(MilestoneMet, data)
            return lambda: client.milestone_met(workflow_id, m)
        case "refer_directly":
            r = _model(ReferDirectly, data)
            return lambda: client.refer_directly(workflow_id, r)
        case _:
            s = _model(ShortenTimescale, data)
            return lambda: client.shorten(workflow_id, s)
