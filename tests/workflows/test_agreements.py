"""What a case may decide for itself: a direct route up, and a timescale agreed per case.

On the shipped packs, deadlines to the minute:
- Redbridge 4.8: a discussion that "raises significant policy issues" goes to the LSCB
  Chair. Taken by a line manager from stage 2, the case goes straight to stage 4 with
  the Chair's own five working days; taken by someone who does not hold the route's
  roles, or a route the pack does not give, or from the Chair's own stage, it is refused
  with the reason.
- Sutton's formal process agrees "the timescale given the specific circumstances of each
  case": at a per-case stage the holders agree a timescale longer than the partnership's
  local figure, and may then still shorten it; at a stage that is not per case, an
  agreement is refused and a deadline can only be brought forward.
"""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from models.decisions import AgreeTimescale, ReferDirectly, ShortenTimescale, Unresolved
from starter.sdk import DecisionRefused
from tests.workflows.support import at, jump_to, running, start_payload

EXAMPLES = Path(__file__).parents[2] / "examples"
RAISED = at("2026-12-07T10:00:00+00:00")  # Monday


def _sutton(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (EXAMPLES / "sutton-2015--assessment_care_planning.json").read_text()
    )
    payload = copy.deepcopy(data)
    payload.update(
        case_reference=f"CR-9{uuid.uuid4().hex[:9]}",
        disagreement_id="s1",
        raised_at=RAISED.isoformat(),
    )
    payload.pop("disagreement_arose_at", None)
    payload.update(overrides)
    return payload


async def test_a_direct_route_goes_to_the_chair_and_others_are_refused(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        with pytest.raises(DecisionRefused, match="is not the name or email of anyone holding"):
            await h.client.refer_directly(
                wid,
                ReferDirectly(
                    by="A. Teacher (Designated Safeguarding Lead)",
                    route="significant_policy_issues",
                    reason="Policy question",
                ),
            )
        with pytest.raises(DecisionRefused, match="route: 'shortcut' is not a direct route"):
            await h.client.refer_directly(
                wid, ReferDirectly(by="C. Headteacher", route="shortcut", reason="Quicker")
            )
        await jump_to(env, at("2026-12-08T11:00:00+00:00"))
        await h.client.unresolve(wid, Unresolved(by="A. Teacher", reason="No agreement"))
        receipt = await h.client.refer_directly(
            wid,
            ReferDirectly(
                by="head@school.example.org",
                route="significant_policy_issues",
                reason="The discussion raises the threshold policy for all schools",
            ),
        )
        assert receipt is not None and receipt.stage == "lscb_chair"
        # Entered on Tuesday 8 December: the Chair's five working days run to the 15th.
        assert receipt.due_at == at("2026-12-15T17:00:00+00:00")
        status = await h.client.status(wid)
        assert [(s.stage_id, s.outcome) for s in status.stages] == [
            ("practitioners", "unresolved"),
            ("line_managers", "referred_directly"),
            ("lscb_chair", None),
        ]
        assert status.stages[1].decided_by == "head@school.example.org"
        with pytest.raises(DecisionRefused, match="already at or above Stage 4: LSCB Chair"):
            await h.client.refer_directly(
                wid,
                ReferDirectly(
                    by="C. Headteacher", route="significant_policy_issues", reason="Again"
                ),
            )


async def test_a_per_case_timescale_is_agreed_longer_then_shortened(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(_sutton())
        await mail.wait_for(1)  # open at stage 1
        status = await h.client.status(wid)
        first = status.stages[0]
        # The partnership's (demo) local figure until the holders agree one.
        assert (first.stage_id, first.timescale_source, first.due_at) == (
            "first_line_managers",
            "local",
            at("2026-12-14T17:00:00+00:00"),
        )
        receipt = await h.client.agree_timescale(
            wid,
            AgreeTimescale(
                by="A. Lane",
                reason="The strategy meeting cannot sit before the 16th",
                working_days=8,
            ),
        )
        # Eight working days from Monday 7 December: Thursday 17 December.
        assert receipt is not None and receipt.due_at == at("2026-12-17T17:00:00+00:00")
        status = await h.client.status(wid)
        first = status.stages[0]
        assert (first.timescale_source, first.timescale_working_days) == ("case", 8)
        assert first.timescale_basis == (
            "8 working days (agreed on the case by A. Lane: The strategy meeting cannot sit "
            "before the 16th)"
        )
        [change] = status.deadline_changes
        assert (change.old_due_at, change.new_due_at, change.by) == (
            at("2026-12-14T17:00:00+00:00"),
            at("2026-12-17T17:00:00+00:00"),
            "A. Lane",
        )
        # Brought forward after the agreement: counted on the agreed figure.
        receipt = await h.client.shorten(
            wid, ShortenTimescale(by="B. Moss", reason="New information", working_days=6)
        )
        assert receipt is not None and receipt.due_at == at("2026-12-15T17:00:00+00:00")
        with pytest.raises(DecisionRefused, match="can only be shortened"):
            await h.client.shorten(
                wid, ShortenTimescale(by="B. Moss", reason="Longer", working_days=7)
            )


async def test_an_agreement_is_refused_where_the_timescale_is_not_per_case(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        with pytest.raises(DecisionRefused, match="its timescale is not agreed per case"):
            await h.client.agree_timescale(
                wid, AgreeTimescale(by="B. Social Worker", reason="Longer", working_days=10)
            )
        status = await h.client.status(wid)
        assert status.stages[0].due_at == at("2026-12-14T17:00:00+00:00")
