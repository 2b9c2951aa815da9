"""The pure rules of a practice alert: where it starts, where it goes, who may decide.

No Temporal, no I/O: the PracticeAlert workflow calls these and adds time and
side effects; the SDK calls ``validate_start`` before starting anything. Every
refusal names the field and the reason.
"""

from __future__ import annotations

from typing import Literal

from models.alerts import AlertState, StartPracticeAlert
from models.pack import AlertStageSpec, PolicyPack, PracticeAlertSpec

AlertDecisionKind = Literal["respond", "finalise", "not_satisfied"]


def spec_of(pack: PolicyPack) -> PracticeAlertSpec | None:
    """The pack's practice alert procedure, if it has one."""
    return pack.practice_alerts


def stage_index(spec: PracticeAlertSpec, stage_id: str) -> int:
    """Position of an alert stage (0-based); KeyError if the pack has no such stage."""
    for i, stage in enumerate(spec.stages):
        if stage.id == stage_id:
            return i
    raise KeyError(stage_id)


def next_stage(spec: PracticeAlertSpec, stage_id: str) -> AlertStageSpec | None:
    """The stage above ``stage_id``, or None at the last stage."""
    i = stage_index(spec, stage_id)
    return spec.stages[i + 1] if i + 1 < len(spec.stages) else None


def reason_title(spec: PracticeAlertSpec, code: str) -> str | None:
    """The title of a reason code, or None if the code is not in the pack's closed list."""
    for reason in spec.reason_codes:
        if reason.code == code:
            return reason.title
    return None


def first_stage(spec: PracticeAlertSpec, req: StartPracticeAlert) -> AlertStageSpec:
    """Where the alert starts: stage 1, or the chair's chosen serious start stage.

    Call only on a request ``validate_start`` accepted.
    """
    if req.start_stage is None:
        return spec.stages[0]
    return spec.stages[stage_index(spec, req.start_stage)]


def is_raiser(by: str, raiser_email: str) -> bool:
    """Whether ``by`` identifies the raising chair: their email, compared case-insensitively."""
    return by.strip().casefold() == raiser_email.strip().casefold()


def validate_start(req: StartPracticeAlert, pack: PolicyPack) -> list[str]:
    """Every reason the alert cannot be raised under ``pack`` (empty when it can).

    Checked by the client before starting (nothing starts) and again by the
    workflow before it writes or sends anything (for clients in other languages).
    """
    if req.continued is not None:
        return ["continued: set only by the workflow itself when it continues as new"]
    spec = spec_of(pack)
    if spec is None:
        return [f"procedure: {pack.id} has no practice alert procedure"]
    errors: list[str] = []
    if req.raised_by.role not in spec.raised_by:
        allowed = ", ".join(f"{r} ({pack.role_title(r)})" for r in spec.raised_by)
        errors.append(
            f"raised_by.role: '{req.raised_by.role}' may not raise a practice alert "
            f"(allowed: {allowed})"
        )
    if reason_title(spec, req.reason_code) is None:
        valid = ", ".join(f"{r.code} ({r.title})" for r in spec.reason_codes)
        errors.append(
            f"reason_code: '{req.reason_code}' is not one of {pack.id}'s reason codes "
            f"(valid: {valid})"
        )
    start = _start_stage_error(spec, req)
    if start is not None:
        errors.append(start)
        return errors
    stage_roles = {r for s in spec.stages for r in [*s.holders, *s.copied]}
    known = stage_roles | {r.id for r in pack.roles}
    for person in req.people:
        if person.role not in known:
            errors.append(
                f"people: role '{person.role}' is not a role of {pack.id}'s practice alerts "
                f"(known: {', '.join(sorted(stage_roles))})"
            )
    first = stage_index(spec, first_stage(spec, req).id)
    for stage in spec.stages[first:]:
        for role in stage.holders:
            if req.person(role) is None:
                errors.append(
                    f"people: nobody holds '{role}' ({pack.role_title(role)}), who must respond "
                    f"at {stage.title}"
                )
    return errors


def _start_stage_error(spec: PracticeAlertSpec, req: StartPracticeAlert) -> str | None:
    if req.start_stage is None:
        return None
    serious = ", ".join(spec.serious_start_stages) or "none"
    if not req.serious_or_urgent:
        return (
            f"start_stage: an alert starts at {spec.stages[0].id} unless it is serious or "
            f"urgent; set serious_or_urgent to start at '{req.start_stage}' "
            f"(serious start stages: {serious})"
        )
    if req.start_stage == spec.stages[0].id:
        return None
    if req.start_stage not in spec.serious_start_stages:
        return (
            f"start_stage: '{req.start_stage}' is not a stage a serious or urgent alert may start "
            f"at (allowed: {serious})"
        )
    return None


def escalation_target(
    spec: PracticeAlertSpec, stage_id: str, to_stage: str | None
) -> AlertStageSpec | None:
    """Where the chair's escalation goes: ``to_stage``, or the next stage up."""
    if to_stage is not None:
        return spec.stages[stage_index(spec, to_stage)]
    return next_stage(spec, stage_id)


def check_decision(
    kind: AlertDecisionKind,
    state: AlertState,
    stage_id: str,
    *,
    spec: PracticeAlertSpec,
    by: str,
    raiser_email: str,
    has_response: bool,
    stage_named: str | None = None,
    overdue: bool = False,
    serious: bool = False,
    to_stage: str | None = None,
) -> str | None:
    """Why a decision cannot be applied now, or None if it can.

    A response is accepted from anyone while the alert is not finalised (managers
    add to the same case note). Finalising needs the raising chair and at least one
    response. Only the raising chair escalates: after a response it is not satisfied
    with, or once the stage's deadline has passed without one; in a serious or urgent
    alert, straight to one of the pack's serious stages at any point ("the Independent
    Chair has the discretion to proceed directly to stage 3 and 4 in more serious or
    urgent cases").

    Args:
        kind: respond, finalise or not_satisfied.
        state: The alert's state.
        stage_id: The current stage.
        spec: The pack's practice alert procedure.
        by: Who sent it (for the chair's decisions, their email).
        raiser_email: The raising chair's email.
        has_response: Whether any response is on the case note.
        stage_named: The stage a response says it comes from, if any.
    """
    if state == "finalised":
        return "the alert is finalised; no further decisions are accepted"
    if kind == "respond":
        if stage_named is not None and stage_named != stage_id:
            return f"stage: the alert is at stage '{stage_id}', not '{stage_named}'"
        return None
    if not is_raiser(by, raiser_email):
        return (
            f"by: only the raising chair may {_verb(kind)} this alert; give the raiser's email "
            f"address as 'by' ('{by}' is not the raiser)"
        )
    if kind == "finalise":
        if not has_response:
            return (
                f"nothing to finalise yet: no response is on the case note; stage "
                f"'{stage_id}' must respond first"
            )
        return None
    return _escalation_refusal(spec, state, stage_id, overdue, serious, to_stage)


def _escalation_refusal(
    spec: PracticeAlertSpec,
    state: AlertState,
    stage_id: str,
    overdue: bool,
    serious: bool,
    to_stage: str | None,
) -> str | None:
    here = stage_index(spec, stage_id)
    above = next_stage(spec, stage_id)
    jump = to_stage is not None and (above is None or to_stage != above.id)
    if to_stage is not None:
        try:
            there = stage_index(spec, to_stage)
        except KeyError:
            return f"to_stage: '{to_stage}' is not a stage of this procedure"
        if there <= here:
            return f"to_stage: '{to_stage}' is not above the current stage '{stage_id}'"
    if jump and not serious:
        return (
            "to_stage: only a serious or urgent alert may go straight to a higher stage; "
            "send without to_stage to go up one stage"
        )
    if jump and to_stage not in spec.serious_start_stages:
        allowed = ", ".join(spec.serious_start_stages) or "none"
        return f"to_stage: a serious or urgent alert may go straight to {allowed}, not '{to_stage}'"
    if not jump and state != "awaiting_finalisation" and not overdue:
        return (
            f"stage '{stage_id}' has not responded yet and its deadline has not passed: the "
            "raising chair escalates after a response, or once the deadline has passed without "
            "one (or, in a serious or urgent alert, straight to a serious stage at any point)"
        )
    if above is None:
        return (
            f"stage '{stage_id}' is the last stage: there is no higher level; ask it for a "
            "further response or finalise the alert"
        )
    return None


def _verb(kind: AlertDecisionKind) -> str:
    return "finalise" if kind == "finalise" else "escalate"
