"""Regenerate the saved workflow histories that the replay tests check.

Run deliberately (``make histories``) when a workflow change is *meant* to be
incompatible and no running case can exist on the old code; otherwise keep the
old histories and guard the change with ``workflow.patched`` so both the old and
the new histories replay. Each scenario runs on the time-skipping test server
with the real activities (a temporary SQLite database and a local SMTP sink).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.alerts import AlertResponse, Finalise, NotSatisfied
from models.decisions import (
    ConferenceReconvened,
    Confirmed,
    ImmediateRisk,
    Resolved,
    ShortenTimescale,
    Unresolved,
)
from records.db import make_sessionmaker, upgrade
from starter.binaries import test_server_path
from starter.smtp_sink import SmtpSink
from tests.fixtures.harness import payload as conference_payload
from tests.fixtures.harness import running_packs
from tests.workflows.alert_support import (
    RAISER,
    AlertHarness,
    alert_payload,
    alerts_running,
)
from tests.workflows.support import Harness, at, jump_to, running, start_payload

OUT = Path(__file__).resolve().parents[1] / "tests" / "histories"
RAISED = at("2030-06-10T10:00:00+01:00")


async def started(h: Harness) -> str:
    wid = await h.client.open(start_payload(RAISED, case_reference="CR-HIST-0001"))
    await h.sleep_until(at("2030-06-10T10:05:00+01:00"))
    return wid


async def mid_ladder(h: Harness) -> str:
    wid = await h.client.open(start_payload(RAISED, case_reference="CR-HIST-0002"))
    await h.sleep_until(at("2030-06-18T10:00:00+01:00"))
    await h.client.handle(wid).signal("resolved", {"by": "nobody"})
    await h.client.unresolve(wid, Unresolved(by="Line manager", reason="no agreement"))
    await h.sleep_until(at("2030-06-19T09:00:00+01:00"))
    return wid


async def awaiting_confirmation(h: Harness) -> str:
    wid = await h.client.open(start_payload(RAISED, case_reference="CR-HIST-0003"))
    await h.sleep_until(at("2030-06-18T13:00:00+01:00"))
    await h.client.resolve(wid, Resolved(by="Line manager", outcome="Plan agreed"))
    await h.sleep_until(at("2030-06-21T10:00:00+01:00"))
    return wid


async def risk_and_shortened(h: Harness) -> str:
    wid = await h.client.open(start_payload(RAISED, case_reference="CR-HIST-0004"))
    await h.client.raise_immediate_risk(wid, ImmediateRisk(by="Raiser", reason="disclosure"))
    await h.client.shorten(wid, ShortenTimescale(by="Raiser", reason="discharge", working_days=2))
    await h.sleep_until(at("2030-06-13T10:00:00+01:00"))
    return wid


async def completed(h: Harness) -> str:
    wid = await h.client.open(start_payload(RAISED, case_reference="CR-HIST-0005"))
    await h.sleep_until(at("2030-07-04T10:00:00+01:00"))
    await h.client.resolve(wid, Resolved(by="Chair", outcome="Recommendations"))
    await h.client.handle(wid).result()
    return wid


async def confirmed(h: Harness) -> str:
    wid = await h.client.open(start_payload(RAISED, case_reference="CR-HIST-0006"))
    await h.client.resolve(wid, Resolved(by="Receiver", outcome="Agreed"))
    await h.client.confirm(wid, Confirmed(by="Receiver", text="Letter"))
    await h.client.handle(wid).result()
    return wid


async def conference_adjourned(h: Harness) -> str:
    """Adjourned (test pack), report deadline tracked, past the halfway reminder."""
    wid = await h.client.open(
        conference_payload(
            RAISED,
            ladder="equally_divided",
            case_reference="CR-HIST-0101",
            conference={"kind": "initial", "at": "2030-06-24T10:00:00+01:00"},
        )
    )
    await h.sleep_until(at("2030-06-21T10:00:00+01:00"))
    return wid


async def conference_majority_dissent(h: Harness) -> str:
    """Reconvened with a disputed majority: the minority's ladder, past its first deadline."""
    wid = await h.client.open(
        conference_payload(RAISED, ladder="equally_divided", case_reference="CR-HIST-0102")
    )
    await h.sleep_until(at("2030-06-17T11:00:00+01:00"))
    await h.client.reconvene(
        wid,
        ConferenceReconvened(
            by="Conference chair",
            outcome="majority",
            text="Plan discontinued",
            minority_dissents=True,
            minority="Community health",
        ),
    )
    await h.sleep_until(at("2030-06-25T10:00:00+01:00"))
    return wid


async def conference_breached(h: Harness) -> str:
    """No reconvened conference by the 15th working day: breach, then the next stage."""
    wid = await h.client.open(
        conference_payload(RAISED, ladder="equally_divided", case_reference="CR-HIST-0103")
    )
    await h.sleep_until(at("2030-07-02T10:00:00+01:00"))
    return wid


async def conference_learning(h: Harness) -> str:
    """Resolved at a stage with learning_notify: a learning item, then closed."""
    wid = await h.client.open(conference_payload(RAISED, case_reference="CR-HIST-0104"))
    await h.client.unresolve(wid, Unresolved(by="Practitioner", reason="no agreement"))
    await h.sleep_until(at("2030-06-12T10:00:00+01:00"))
    await h.client.resolve(wid, Resolved(by="Principal Officer", outcome="Audit agreed"))
    await h.client.handle(wid).result()
    return wid


SCENARIOS: dict[str, Callable[[Harness], Awaitable[str]]] = {
    "started": started,
    "mid-ladder": mid_ladder,
    "awaiting-confirmation": awaiting_confirmation,
    "risk-and-shortened": risk_and_shortened,
    "completed": completed,
    "confirmed": confirmed,
    "conference-adjourned": conference_adjourned,
    "conference-majority-dissent": conference_majority_dissent,
    "conference-breached": conference_breached,
    "conference-learning": conference_learning,
}


async def alert_started(h: AlertHarness) -> str:
    """A practice alert at stage 1 (test pack), its timers set."""
    wid = await h.client.raise_alert(
        alert_payload(RAISED.isoformat(), case_reference="CR-HIST-0201")
    )
    await jump_to(h.env, at("2030-06-10T10:05:00+01:00"))
    return wid


async def alert_mid_ladder(h: AlertHarness) -> str:
    """Silence to stage 2, a malformed signal, a response, the chair not satisfied: stage 3."""
    wid = await h.client.raise_alert(
        alert_payload(RAISED.isoformat(), case_reference="CR-HIST-0202")
    )
    await jump_to(h.env, at("2030-06-18T10:00:00+01:00"))
    await h.client.handle(wid).signal("alert_response", {"by": "nobody"})
    await h.client.respond(wid, AlertResponse(by="L. Service Manager", text="Reviewing"))
    await h.client.not_satisfied(wid, NotSatisfied(by=RAISER, reason="No plan yet"))
    await jump_to(h.env, at("2030-06-21T10:00:00+01:00"))
    return wid


async def alert_finalised(h: AlertHarness) -> str:
    """A response in time, a finalisation refused to another, then the chair finalises."""
    wid = await h.client.raise_alert(
        alert_payload(RAISED.isoformat(), case_reference="CR-HIST-0203")
    )
    await jump_to(h.env, at("2030-06-12T10:00:00+01:00"))
    await h.client.respond(wid, AlertResponse(by="K. Team Manager", text="Visit done"))
    await h.client.handle(wid).signal("finalised", {"by": "K. Team Manager", "text": "x"})
    await h.client.finalise(wid, Finalise(by=RAISER, text="Satisfied"))
    await h.client.handle(wid).result()
    return wid


ALERT_SCENARIOS: dict[str, Callable[[AlertHarness], Awaitable[str]]] = {
    "practice-alert-started": alert_started,
    "practice-alert-mid-ladder": alert_mid_ladder,
    "practice-alert-finalised": alert_finalised,
}
"""PracticeAlert scenarios, on the test pack tests/fixtures/packs/rutland-alerts-test.toml."""


async def save_alert(name: str, db: Any, sink: SmtpSink) -> None:
    """Run one practice alert scenario and write tests/histories/{name}.json."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(test_server_path()),
    )
    try:
        await jump_to(env, RAISED)
        async with alerts_running(env, db, sink) as h:
            wid = await ALERT_SCENARIOS[name](h)
            history = await h.client.handle(wid).fetch_history()
    finally:
        await env.shutdown()
    path = OUT / f"{name}.json"
    path.write_text(history.to_json(), encoding="utf-8")
    print(f"{path.relative_to(OUT.parents[1])}: {len(history.events)} events")


TEST_PACK_SCENARIOS = {
    "conference-adjourned",
    "conference-majority-dissent",
    "conference-breached",
    "conference-learning",
}
"""Scenarios run on the test-only packs in tests/fixtures/packs/ (file prefix conference-test)."""


async def main(names: list[str]) -> None:
    """Run the named scenarios (all when none are named) and write their histories.

    Name only new scenarios when adding histories: existing files are what running cases
    looked like on older code, and must not be rewritten.
    """
    unknown = sorted(set(names) - set(SCENARIOS) - set(ALERT_SCENARIOS))
    if unknown:
        known = ", ".join([*SCENARIOS, *ALERT_SCENARIOS])
        raise SystemExit(f"unknown scenario(s): {', '.join(unknown)}; known: {known}")
    OUT.mkdir(parents=True, exist_ok=True)
    sink = SmtpSink()
    sink.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/histories.db"
            await upgrade(url)
            db = make_sessionmaker(url)
            for name, scenario in SCENARIOS.items():
                if names and name not in names:
                    continue
                on_test_packs = name in TEST_PACK_SCENARIOS
                env = await WorkflowEnvironment.start_time_skipping(
                    data_converter=pydantic_data_converter,
                    test_server_existing_path=str(test_server_path()),
                )
                try:
                    await jump_to(env, RAISED)
                    harness = running_packs if on_test_packs else running
                    async with harness(env, db, sink) as h:
                        wid = await scenario(h)
                        history = await h.client.handle(wid).fetch_history()
                finally:
                    await env.shutdown()
                prefix = "conference-test" if on_test_packs else "redbridge-2017"
                path = OUT / f"{prefix}-{name.removeprefix('conference-')}.json"
                path.write_text(history.to_json(), encoding="utf-8")
                print(f"{path.relative_to(OUT.parents[1])}: {len(history.events)} events")
            for name in ALERT_SCENARIOS:
                if not names or name in names:
                    await save_alert(name, db, sink)
    finally:
        sink.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
