"""Whole-ladder scenarios as data, shared by the replay-safety and history-size tests.

A scenario is a start payload and a script of (when, decision) steps on the
time-skipping clock, with the stage sequence it must produce. The no-cache test
runs every scenario twice side by side (worker cache on and off) and the history
test measures every scenario's history, so a new procedure or ladder is covered
by adding one ``Scenario`` to ``SCENARIOS``; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.decisions import Confirmed, ImmediateRisk, Resolved, ShortenTimescale, Unresolved
from starter.sdk import EscalationClient
from tests.workflows.support import at, start_payload

Action = Callable[[EscalationClient, str], Awaitable[object]]
"""One thing a person does to a running case (an update or a signal)."""


@dataclass(frozen=True)
class Scenario:
    """A case, what people do to it and when, and the stages it must go through."""

    name: str
    raised_at: datetime
    script: list[tuple[datetime, Action]]
    stages: list[str]
    """Stage ids in the order entered."""
    finished: bool
    """Whether the case is closed at the end of the script."""
    overrides: dict[str, Any] = field(default_factory=dict)
    """Changes to the Redbridge example payload (another procedure, ladder, people...)."""

    def payload(self) -> dict[str, Any]:
        """A fresh start payload (new case reference) for this scenario."""
        return start_payload(self.raised_at, **self.overrides)


def _signal(name: str, body: Any) -> Action:
    async def act(client: EscalationClient, wid: str) -> object:
        await client.handle(wid).signal(name, body)
        return None

    return act


async def _unresolve(client: EscalationClient, wid: str) -> object:
    return await client.unresolve(wid, Unresolved(by="A. Teacher", reason="no agreement"))


async def _risk(client: EscalationClient, wid: str) -> object:
    return await client.raise_immediate_risk(wid, ImmediateRisk(by="A. Teacher", reason="injury"))


async def _shorten(client: EscalationClient, wid: str) -> object:
    return await client.shorten(
        wid, ShortenTimescale(by="D. Team Manager", reason="discharge", working_days=2)
    )


async def _chair_resolves(client: EscalationClient, wid: str) -> object:
    return await client.resolve(wid, Resolved(by="H. Independent Chair", outcome="Recommendations"))


async def _resolve(client: EscalationClient, wid: str) -> object:
    return await client.resolve(wid, Resolved(by="D. Team Manager", outcome="Plan agreed"))


async def _confirm(client: EscalationClient, wid: str) -> object:
    return await client.confirm(wid, Confirmed(by="D. Team Manager", text="Letter sent"))


REDBRIDGE_RAISED = at("2030-06-10T10:00:00+01:00")  # a Monday, no bank holiday near

SCENARIOS: list[Scenario] = [
    Scenario(
        # The longest Redbridge case: every stage times out, the Chair is overdue,
        # signals arrive out of order on the way, and the Chair finally resolves.
        name="redbridge-2017-whole-ladder",
        raised_at=REDBRIDGE_RAISED,
        script=[
            (at("2030-06-11T12:00:00+01:00"), _signal("confirmed", {"by": "too early"})),
            (at("2030-06-11T12:01:00+01:00"), _signal("resolved", {"by": "no outcome"})),
            (at("2030-06-19T09:00:00+01:00"), _signal("unresolved", {"reason": "no author"})),
            (at("2030-07-04T10:00:00+01:00"), _chair_resolves),
        ],
        stages=["practitioners", "line_managers", "senior_managers", "lscb_chair"],
        finished=True,
    ),
    Scenario(
        # Decisions rather than silence: immediate risk, a shortened timescale,
        # unresolved, then resolved and confirmed in writing late.
        name="redbridge-2017-decisions",
        raised_at=REDBRIDGE_RAISED,
        script=[
            (at("2030-06-11T12:00:00+01:00"), _risk),
            (at("2030-06-11T12:05:00+01:00"), _shorten),
            (at("2030-06-12T09:30:00+01:00"), _unresolve),
            (at("2030-06-13T11:00:00+01:00"), _resolve),
            (at("2030-06-20T10:00:00+01:00"), _confirm),
        ],
        stages=["practitioners", "line_managers", "senior_managers"],
        finished=True,
    ),
]


async def play(
    scenario: Scenario, clients: list[EscalationClient], jump: Callable[[datetime], Awaitable[None]]
) -> list[str]:
    """Open the scenario's case once per client and play its script on all of them in step.

    Every client sees the same decisions at the same clock times, so their cases
    must end up identical whatever their workers do differently (e.g. caching).
    """
    await jump(scenario.raised_at)
    payload = scenario.payload()
    wids = [
        await client.open({**payload, "case_reference": f"{payload['case_reference']}-{i}"})
        for i, client in enumerate(clients)
    ]
    for when, action in scenario.script:
        await jump(when)
        for client, wid in zip(clients, wids, strict=True):
            await action(client, wid)
    return wids
