"""When a link's moment has passed (pure: the status decides, no Temporal needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.workflows.test_search_attributes import _status
from web.app import used_reason
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
