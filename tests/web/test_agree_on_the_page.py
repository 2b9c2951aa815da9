"""The decision page offers to agree a timescale where the procedure leaves it to the case.

A Sutton case (its professional stages are agreed per case) on the real worker and the
time-skipping server; the page is served by the real aiohttp app with a real SDK client.
Its link offers the agreement form; posting it agrees 8 working days, recorded with who
(the link's person) and why. A Redbridge stage (the document's figure) offers no such form.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from tests.workflows.support import at, jump_to, running, start_payload
from web.app import create_app
from web.links import decision_link

SECRET = "agree-on-the-page-secret-0123456789"
RAISED = at("2026-12-07T10:00:00+00:00")
EXAMPLE = Path(__file__).parents[2] / "examples" / "sutton-2015--assessment_care_planning.json"


def _sutton() -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(json.loads(EXAMPLE.read_text()))
    payload.update(
        case_reference=f"CR-9{uuid.uuid4().hex[:9]}",
        disagreement_id="p1",
        raised_at=RAISED.isoformat(),
    )
    payload.pop("disagreement_arose_at", None)
    return payload


async def _page(client: Any) -> AsyncIterator[str]:
    server = TestServer(create_app(client, SECRET, clock=lambda: RAISED + timedelta(hours=1)))
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def _link(base: str, wid: str, stage: str) -> str:
    return decision_link(
        base,
        SECRET,
        workflow_id=wid,
        stage=stage,
        email="a.lane@school.example.org",
        action="decide",
        expires_at=RAISED + timedelta(days=14),
    )


async def test_the_page_agrees_a_per_case_timescale(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        sutton = await h.client.open(_sutton())
        redbridge = await h.client.open(start_payload(RAISED))
        await mail.wait_for(2)
        async for base in _page(h.client):
            async with ClientSession() as http:
                async with http.get(_link(base, redbridge, "practitioners")) as r:
                    assert r.status == 200 and 'id="agree"' not in await r.text()
                link = _link(base, sutton, "first_line_managers")
                async with http.get(link) as r:
                    page = await r.text()
                    assert r.status == 200 and 'id="agree"' in page
                form = {
                    "decision": "agree_timescale",
                    "working_days": "8",
                    "agree_reason": "Agreed on the referral form: the meeting sits on the 16th",
                }
                async with http.post(link, data=form) as r:
                    assert r.status == 200, await r.text()
        stage = (await h.client.status(sutton)).stages[0]
        assert (stage.timescale_source, stage.due_at) == ("case", at("2026-12-17T17:00:00+00:00"))
        assert stage.timescale_basis == (
            "8 working days (agreed on the case by a.lane@school.example.org (decision page): "
            "Agreed on the referral form: the meeting sits on the 16th)"
        )
