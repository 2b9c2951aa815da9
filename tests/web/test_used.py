"""When a link's moment has passed (pure: the status decides, no Temporal needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from models.alerts import PracticeAlertStatus
from tests.workflows.test_search_attributes import _status
from web.app import alert_used_reason, used_reason
from web.links import LinkClaims


def _claims(stage: str, action: Any) -> LinkClaims:
    return LinkClaims("w", stage, "x@example.org", action, datetime(2030, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("status_changes", "stage", "action", "reason"),
    [
        ({}, "senior_managers", "decide", None),
        ({}, "line_managers", "decide", "moved on to another stage"),
        ({}, "senior_managers", "confirm", "no resolution at this stage awaiting"),
        (
            {"state": "resolved", "current_stage": None},
            "senior_managers",
            "decide",
            "already been resolved",
        ),
        ({"state": "resolved", "current_stage": None}, "senior_managers", "confirm", None),
        (
            {"state": "resolved", "current_stage": None},
            "line_managers",
            "confirm",
            "no resolution at this stage",
        ),
        (
            {"state": "closed", "current_stage": None},
            "senior_managers",
            "confirm",
            "The case is closed",
        ),
    ],
)
def test_used_reason(
    status_changes: dict[str, Any], stage: str, action: str, reason: str | None
) -> None:
    found = used_reason(_status(**status_changes), _claims(stage, action))
    if reason is None:
        assert found is None
    else:
        assert found is not None and reason in found


@pytest.mark.parametrize(
    ("state", "current", "stage", "reason"),
    [
        ("open", "team_manager", "team_manager", None),
        ("open", "service_manager", "team_manager", "moved on to another stage"),
        ("awaiting_finalisation", "team_manager", "team_manager", "This stage has responded"),
        ("awaiting_finalisation", "service_manager", "team_manager", "moved on"),
        ("finalised", "service_manager", "service_manager", "The practice alert is finalised"),
    ],
)
def test_alert_used_reason(state: str, current: str, stage: str, reason: str | None) -> None:
    status = PracticeAlertStatus.model_construct(
        state=state, current_stage=current, current_stage_title=None
    )
    found = alert_used_reason(status, _claims(stage, "respond"))
    assert found == reason if reason is None else reason in (found or "")
