"""The pure ladder rules never raise, whatever the position and the decision.

``workflows.ladder`` is what the workflow asks "may this happen now?" while it
applies a person's decision; an exception there would fail a workflow task over
bad input. So for every ladder of every shipped pack, every reachable position
(each state, each stage) and any decision, including one naming a stage that does
not exist, the rules answer with None or a reason and never raise. A few
invariants of the procedure come along for free.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.decisions import ConferenceReconvened
from models.pack import LadderSpec, PolicyPack
from packs import PackError, load_pack, pack_ids
from workflows.ladder import (
    FUTURE_TOLERANCE,
    DecisionKind,
    Position,
    check_decision,
    check_reconvened,
    dissent_ladder,
    immediate_risk_target,
    next_stage,
    raised_at_error,
    stage_figure,
)

FAST = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
STATES = ["open", "resolved", "closed"]
KINDS: list[str] = list(get_args(DecisionKind))


def _ladders() -> list[tuple[PolicyPack, LadderSpec]]:
    found = []
    for pack_id in pack_ids():
        try:
            pack = load_pack(pack_id)
        except PackError:
            continue  # being written; its own tests report it
        found += [(pack, ladder) for ladder in pack.ladders]
    return found


LADDERS = _ladders()


@pytest.mark.parametrize(
    "pack, ladder", LADDERS, ids=[f"{p.id}/{ladder.id}" for p, ladder in LADDERS]
)
@FAST
@given(data=st.data())
def test_rules_answer_every_position_and_decision(
    pack: PolicyPack, ladder: LadderSpec, data: st.DataObject
) -> None:
    ids = [s.id for s in ladder.stages]
    state = data.draw(st.sampled_from(STATES), label="state")
    stage_id = data.draw(st.sampled_from([None, *ids]), label="stage")
    kind: Any = data.draw(st.sampled_from(KINDS), label="kind")
    named = data.draw(st.one_of(st.none(), st.sampled_from(ids), st.text(max_size=70)))

    answer = check_decision(kind, Position(state, stage_id), ladder, named)
    assert answer is None or answer.strip()
    if state == "closed":
        assert answer is not None, "a closed case accepts nothing"
    if kind == "confirmed":
        assert (answer is None) == (state == "resolved")
    if answer is None and kind == "unresolved" and stage_id is not None:
        above = next_stage(ladder, stage_id)
        assert above is not None and ids.index(above.id) == ids.index(stage_id) + 1

    target = immediate_risk_target(ladder, stage_id)
    if target is not None and stage_id is not None:
        assert ids.index(target.id) > ids.index(stage_id), "immediate risk only ever goes up"

    if stage_id is not None:
        stage = ladder.stages[ids.index(stage_id)]
        # Every stage a case can enter has a figure with its source (the demo settings
        # give the partnership's where the document is silent), or is agreed per case.
        if not stage.per_case:
            figure = stage_figure(pack, stage)
            assert figure.source in ("document", "local") and figure.value >= 0
            assert figure.quote or figure.source == "local"
        dissent_ladder(pack, stage)
        reconvened = ConferenceReconvened(
            by="Chair",
            outcome=data.draw(st.sampled_from(["unanimous", "majority", "still_divided"])),
            text="minuted",
            minority_dissents=data.draw(st.booleans()),
        )
        why = check_reconvened(reconvened, ladder, stage_id)
        assert why is None or why.strip()


@FAST
@given(
    raised=st.datetimes(timezones=st.timezones()),
    now=st.datetimes(timezones=st.timezones()),
)
def test_raised_at_check_never_raises(raised: datetime, now: datetime) -> None:
    answer = raised_at_error(raised, now)
    assert (answer is None) == (raised <= now + FUTURE_TOLERANCE)
    if answer is not None:
        assert answer.startswith("raised_at: ")
