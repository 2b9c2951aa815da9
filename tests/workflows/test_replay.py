"""Saved histories must replay on the current workflow code.

A change that would break a running case (a new activity call, a reordered
timer) fails here. Regenerate only deliberately (``make histories``); otherwise
guard the change with ``workflow.patched``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.disagreement import DisagreementWorkflow
from workflows.practice_alert import PracticeAlertWorkflow

HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*.json"))


def test_histories_exist_for_every_point_of_the_ladder() -> None:
    names = {p.stem for p in HISTORIES}
    assert {
        "redbridge-2017-started",
        "redbridge-2017-mid-ladder",
        "redbridge-2017-awaiting-confirmation",
        "redbridge-2017-risk-and-shortened",
        "redbridge-2017-completed",
        "redbridge-2017-confirmed",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_saved_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    replayer = Replayer(
        workflows=[DisagreementWorkflow, PracticeAlertWorkflow],
        data_converter=pydantic_data_converter,
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
