"""The decision page caps what it reads: an oversized POST gets a 413 page and changes nothing.

No Temporal here: a stand-in client answers the status query and records every
decision the page would send, so each test can say exactly what reached the
workflow (nothing, for a refused form).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from models.decisions import DecisionReceipt
from models.status import DisagreementStatus
from tests.workflows.test_search_attributes import _status
from web.app import MAX_REQUEST_BYTES, create_app
from web.links import decision_link

SECRET = "request-size-test-secret"
WID = "disagreement-CR-2026-00417-d1"


class StandIn:
    """What ``create_app`` uses of an EscalationClient: the status query and the decisions."""

    task_queue = "nowhere"
    client: Any = None

    def __init__(self) -> None:
        self.queried = 0
        self.sent: list[tuple[str, Any]] = []

    async def status(self, workflow_id: str) -> DisagreementStatus:
        self.queried += 1
        return _status()

    async def _decided(self, kind: str, decision: Any) -> DecisionReceipt:
        self.sent.append((kind, decision))
        return DecisionReceipt(state="resolved", stage="senior_managers", message="accepted")

    async def resolve(self, workflow_id: str, decision: Any) -> DecisionReceipt:
        return await self._decided("resolve", decision)

    async def unresolve(self, workflow_id: str, decision: Any) -> DecisionReceipt:
        return await self._decided("unresolve", decision)

    async def confirm(self, workflow_id: str, decision: Any) -> DecisionReceipt:
        return await self._decided("confirm", decision)


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    yield StandIn()


@pytest.fixture
async def link(stand_in: StandIn) -> AsyncIterator[str]:
    server = TestServer(create_app(stand_in, SECRET))  # type: ignore[arg-type]
    await server.start_server()
    try:
        yield decision_link(
            str(server.make_url("")).rstrip("/"),
            SECRET,
            workflow_id=WID,
            stage="senior_managers",
            email="manager@council.example.org",
            action="decide",
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    finally:
        await server.close()


async def test_an_oversized_post_is_refused_before_anything_is_looked_at(
    link: str, stand_in: StandIn
) -> None:
    form = {"decision": "resolved", "outcome": "x" * (MAX_REQUEST_BYTES + 1)}
    async with ClientSession() as http, http.post(link, data=form) as answer:
        page = await answer.text()
        assert answer.status == 413
        assert answer.headers["Cache-Control"] == "no-store"
    assert "The form is too large" in page
    assert "at most 256 KB of form data" in page and "10,000 characters" in page
    assert "Nothing has been recorded" in page
    assert stand_in.queried == 0 and stand_in.sent == []


async def test_an_oversized_body_without_a_length_is_cut_off_and_changes_nothing(
    link: str, stand_in: StandIn
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"decision=resolved&outcome="
        for _ in range(MAX_REQUEST_BYTES // 4096 + 2):
            yield b"x" * 4096

    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with ClientSession() as http, http.post(link, data=chunks(), headers=headers) as answer:
        assert answer.request_info.headers.get("Transfer-Encoding") == "chunked"
        assert answer.status == 413
        assert "The form is too large" in await answer.text()
    assert stand_in.sent == []


async def test_the_largest_lawful_form_is_read_and_sent(link: str, stand_in: StandIn) -> None:
    # Two texts at their limit, in characters of four UTF-8 bytes (each sent as %XX%XX%XX%XX).
    widest = "\N{GRINNING FACE}" * 10_000
    form = {"decision": "resolved", "outcome": widest, "outstanding": widest}
    async with ClientSession() as http, http.post(link, data=form) as answer:
        assert answer.status == 200, await answer.text()
    [(kind, decision)] = stand_in.sent
    assert kind == "resolve" and decision.outcome == widest and decision.outstanding == widest


async def test_a_text_over_its_limit_is_refused_naming_the_field(
    link: str, stand_in: StandIn
) -> None:
    form = {"decision": "resolved", "outcome": "x" * 10_001}
    async with ClientSession() as http, http.post(link, data=form) as answer:
        page = await answer.text()
        assert answer.status == 400
    assert "outcome: at most 10,000 characters (got 10,001)" in page
    assert stand_in.sent == []
