"""The pure rules of a ladder: what happens next, and whether a decision is allowed.

No Temporal, no I/O: these functions are the procedure's logic, unit-tested on
their own and called by the workflow, which only adds time and side effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from models.decisions import ConferenceReconvened
from models.pack import Figure, LadderSpec, PolicyPack, StageSpec, UnsetTimescale
from models.start import StartDisagreement

DecisionKind = Literal[
    "resolved",
    "unresolved",
    "confirmed",
    "immediate_risk",
    "shorten_timescale",
    "conference_reconvened",
    "agree_timescale",
    "refer_directly",
    "milestone_met",
]

ADJOURNMENT = "conference_adjournment"
"""The stage kind of an equally divided child protection conference, adjourned."""

ADJOURNMENT_MAX_WORKING_DAYS = 15
"""Both North Lincolnshire seeds: adjourned "for a brief period – not exceeding 15 working days"."""

FUTURE_TOLERANCE = timedelta(minutes=5)
"""How far ahead of the server clock ``raised_at`` may be (clock skew between systems)."""


@dataclass(frozen=True)
class Position:
    """Where a case stands, as far as the rules care."""

    state: str
    stage_id: str | None
    adjourned: bool = False
    """The current stage is an adjourned conference waiting for ``conference_reconvened``
    (a conference_adjournment stage entered on code that runs the conference loop)."""


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


def stage_figure(pack: PolicyPack, stage: StageSpec) -> Figure:
    """The stage's timescale with its source; a stage without one is never entered.

    ``validate_start`` refuses a case whose ladder has a stage with no figure, so a
    running case always finds one.
    """
    figure = pack.figure(stage)
    if figure is None:
        raise UnsetTimescale(stage.id)
    return figure


def unset_stage_errors(pack: PolicyPack, ladder: LadderSpec) -> list[str]:
    """One error per stage the case could enter that has no timescale, saying how to set it."""
    return [
        f"ladder {ladder.id}: stage '{stage.id}' ({stage.title}) has no timescale: the "
        f"procedure gives none, and the partnership has not set one; set it in "
        f'ESCALATION_LOCAL_SETTINGS/{pack.id}.toml ([[stages]] stage = "{stage.id}", '
        "working_days = N)"
        for stage in pack.unset_stages(ladder)
    ]


def is_adjournment(stage: StageSpec | None) -> bool:
    """Whether the stage is an adjourned conference waiting to reconvene."""
    return stage is not None and stage.kind == ADJOURNMENT


def dissent_ladder(pack: PolicyPack, stage: StageSpec) -> LadderSpec | None:
    """The ladder a dissenting minority climbs from this adjournment, if the pack names one."""
    if stage.on_majority_dissent is None:
        return None
    try:
        return pack.ladder(stage.on_majority_dissent)
    except KeyError:
        return None


def check_reconvened(d: ConferenceReconvened, ladder: LadderSpec, stage_id: str) -> str | None:
    """Why a reconvened conference's outcome cannot be applied at ``stage_id``, or None."""
    if d.outcome == "still_divided" and next_stage(ladder, stage_id) is None:
        return (
            f"outcome: stage '{stage_id}' is the last stage of ladder '{ladder.id}': there is no "
            "higher level to take a still divided conference to"
        )
    if d.outcome != "majority" and d.minority_dissents:
        return "minority_dissents: only a majority view has a dissenting minority"
    return None


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
    if kind == "conference_reconvened" and not position.adjourned:
        return (
            f"stage: the case is at stage '{position.stage_id}', which is not an adjourned "
            "conference; 'conference_reconvened' applies only while a child protection "
            "conference is adjourned (send 'resolved' or 'unresolved')"
        )
    if kind in ("resolved", "unresolved", "agree_timescale", "refer_directly") and (
        position.adjourned
    ):
        return (
            f"stage: the case is at stage '{position.stage_id}', an adjourned child protection "
            "conference; send 'conference_reconvened' with the reconvened conference's outcome "
            "(unanimous, majority or still_divided)"
        )
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
    if req.continued is not None:
        errors.append("continued: set only by the workflow itself when it continues as new")
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
    errors += unset_stage_errors(pack, ladder)
    if is_adjournment(first) and req.disagreement_arose_at is None:
        errors.append(
            f"disagreement_arose_at: required for ladder '{ladder.id}', which opens in an "
            "adjourned conference: give the time of the conference that adjourned (its at most "
            f"{ADJOURNMENT_MAX_WORKING_DAYS} working days count from it)"
        )
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
