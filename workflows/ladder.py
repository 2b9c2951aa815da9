"""The pure rules of a ladder: what happens next, and whether a decision is allowed.

No Temporal, no I/O: these functions are the procedure's logic, unit-tested on
their own and called by the workflow, which only adds time and side effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from models.pack import LadderSpec, PolicyPack, StageSpec
from models.start import StartDisagreement

DecisionKind = Literal["resolved", "unresolved", "confirmed", "immediate_risk", "shorten_timescale"]

FUTURE_TOLERANCE = timedelta(minutes=5)
"""How far ahead of the server clock ``raised_at`` may be (clock skew between systems)."""


@dataclass(frozen=True)
class Position:
    """Where a case stands, as far as the rules care."""

    state: str
    stage_id: str | None


def next_stage(ladder: LadderSpec, stage_id: str) -> StageSpec | None:
    """The stage above ``stage_id``, or None at the top of the ladder."""
    i = ladder.index_of(stage_id)
    return ladder.stages[i + 1] if i + 1 < len(ladder.stages) else None


def immediate_risk_target(ladder: LadderSpec, stage_id: str | None) -> StageSpec | None:
    """Where an immediate risk of significant harm sends the case, if it moves at all.

    The case moves only upwards: a case already at or above the pack's
    immediate-risk stage stays where it is (the risk is recorded and the
    holders are told).
    """
    if ladder.immediate_risk_stage is None:
        return None
    target = ladder.stages[ladder.index_of(ladder.immediate_risk_stage)]
    if stage_id is None or ladder.index_of(target.id) > ladder.index_of(stage_id):
        return target
    return None


def stage_working_days(pack: PolicyPack, stage: StageSpec, child_cap: int | None) -> int:
    """The stage's timescale: the pack's figure or the child's shorter one, whichever is less."""
    days = pack.timescale(stage)
    return days if child_cap is None else min(days, child_cap)


def check_decision(
    kind: DecisionKind, position: Position, ladder: LadderSpec, stage_named: str | None
) -> str | None:
    """Why a decision cannot be taken now, or None if it can.

    Args:
        kind: Which decision.
        position: The case's state and current stage.
        ladder: The ladder the case climbs.
        stage_named: The stage the sender said the decision is about, if any.
    """
    if position.state == "closed":
        return "the case is closed; no further decisions are accepted"
    if kind == "confirmed":
        if position.state != "resolved":
            return "nothing to confirm: the case has not been resolved"
        return None
    if position.state == "resolved":
        return "the case is resolved and awaits written confirmation; send 'confirmed'"
    if stage_named is not None and stage_named != position.stage_id:
        return f"stage: the case is at stage '{position.stage_id}', not '{stage_named}'"
    if kind == "unresolved" and position.stage_id is not None:
        if next_stage(ladder, position.stage_id) is None:
            return (
                f"stage '{position.stage_id}' is the last stage: there is no higher level; "
                "only a resolution closes the case"
            )
    return None


def validate_start(req: StartDisagreement, pack: PolicyPack) -> list[str]:
    """Every reason a start request cannot run under ``pack`` (empty when it can).

    Checked by the client before starting (so nothing starts) and again by the
    workflow before it writes or sends anything (for clients in other languages).
    """
    errors: list[str] = []
    try:
        ladder = pack.ladder(req.ladder)
    except KeyError:
        known = ", ".join(ladder.id for ladder in pack.ladders)
        return [f"ladder: '{req.ladder}' is not a ladder of {pack.id} (known: {known})"]
    known_roles = {r.id for r in pack.roles}
    for person in req.people:
        if person.role not in known_roles:
            errors.append(
                f"people: role '{person.role}' is not a role of {pack.id} "
                f"(known: {', '.join(sorted(known_roles))})"
            )
    first = ladder.stages[0]
    if req.immediate_risk:
        target = immediate_risk_target(ladder, None)
        if target is not None:
            first = target
    for role in first.holders:
        if req.person(role) is None:
            errors.append(
                f"people: nobody holds '{role}' ({pack.role_title(role)}), "
                f"who must act at {first.title}"
            )
    return errors


def raised_at_error(raised_at: datetime, now: datetime) -> str | None:
    """Refuse a concern raised in the future (beyond clock skew)."""
    if raised_at > now + FUTURE_TOLERANCE:
        return f"raised_at: {raised_at.isoformat()} is in the future"
    return None
