"""Cases for the Today and case page tests: opened through the SDK on a real worker.

Redbridge cases raised on a Wednesday (so a deadline falls within the same week), one
taken straight to the LSCB Chair's stage by a line manager (Redbridge 4.8), whose
deadline only notifies when it passes (the Chair's stage never escalates): that one
becomes overdue. A Sutton case belongs to another partnership.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from oidc_provider_mock import User, run_server_in_thread

from models.decisions import ReferDirectly
from tests.console.support import ACCESS, REDBRIDGE, USERS
from tests.workflows.support import Harness, at, email_of, start_payload

RAISED = at("2030-06-12T10:00:00+01:00")
"""Wednesday 12 June 2030, 10:00 BST: stage 1 is due Wednesday 19 June, 17:00 BST."""
STAGE_1_DUE = "Wed 19 Jun 2030 17:00 BST"
SUTTON_EXAMPLE = Path(__file__).parents[2] / "examples" / "sutton-2015--referral.json"

CHAIR = User(
    sub="chair-redbridge",
    claims={"email": "chair@redbridge.example.org", "name": "Redbridge LSCB Chair"},
)
CASE_ACCESS = (
    ACCESS
    + f"""
[[person]]
email = "chair@redbridge.example.org"
partnership = "{REDBRIDGE}"
roles = ["chair"]
"""
)
"""The shared access file and a Redbridge Chair, who records outcomes at the Chair's stage."""


def provider() -> Iterator[str]:
    """The OpenID Connect provider with the shared people and the Redbridge Chair."""
    with run_server_in_thread(user_claims=[*USERS, CHAIR], require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


class Clock:
    """The console's clock, set by the test (Today reads the record as of this time)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def sutton_payload(raised_at: datetime) -> dict[str, Any]:
    """Sutton's referral example with a fresh case reference."""
    payload: dict[str, Any] = copy.deepcopy(json.loads(SUTTON_EXAMPLE.read_text()))
    payload["case_reference"] = f"CR-8{uuid.uuid4().hex[:9]}"
    payload["disagreement_id"] = "s1"
    payload["raised_at"] = raised_at.isoformat()
    payload.pop("disagreement_arose_at", None)
    return payload


async def until(check: Callable[[], Any], what: str) -> Any:
    """Poll ``check`` (an async callable) until it answers truthily: the records are
    written by the worker's activities, a moment after the workflow moves."""
    for _ in range(300):
        if found := await check():
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def at_stage(h: Harness, wid: str, stage: str) -> None:
    """Wait until the record has the case at ``stage`` (its emails queued too)."""

    async def check() -> bool:
        rows = await h.rows("SELECT current_stage FROM disagreements WHERE workflow_id = :w", w=wid)
        emails = await h.rows("SELECT 1 FROM notifications WHERE workflow_id = :w", w=wid)
        return bool(rows and rows[0][0] == stage and emails)

    await until(check, f"{wid} recorded at {stage}")


async def open_cases(h: Harness) -> tuple[str, str, str]:
    """A Redbridge case at stage 1, one at the LSCB Chair's stage, and a Sutton case."""
    first = await h.client.open(start_payload(RAISED))
    chair = await h.client.open(start_payload(RAISED))
    other = await h.client.open(sutton_payload(RAISED))
    await at_stage(h, chair, "practitioners")
    await h.client.refer_directly(
        chair,
        ReferDirectly(
            by=email_of("receiving.line_manager"),
            route="significant_policy_issues",
            reason="The threshold disagreement raises significant policy issues",
        ),
    )
    await at_stage(h, first, "practitioners")
    await at_stage(h, chair, "lscb_chair")
    sutton_first = (await h.client.status(other)).current_stage
    assert sutton_first is not None
    await at_stage(h, other, sutton_first)
    return first, chair, other


VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}
)


class Page(HTMLParser):
    """A console page as a reader sees it: each element with an id, its words; each
    table with an id, its rows of cell words; every h3's words; every link's target."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.h3: list[str] = []
        self.links: list[str] = []
        self._open: list[tuple[str, str | None]] = []
        self._words: dict[str, list[str]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._h3: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        got = dict(attrs)
        if tag == "a" and got.get("href"):
            self.links.append(str(got["href"]))
        if tag in VOID:
            return
        ident = got.get("id")
        self._open.append((tag, ident))
        if ident:
            self._words[ident] = []
        if tag == "table" and ident:
            self._table = ident
            self.tables[ident] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "h3":
            self._h3 = []

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            name, ident = self._open.pop()
            if ident:
                self.texts[ident] = " ".join("".join(self._words.pop(ident)).split())
            if name == "td" and self._row is not None and self._cell is not None:
                self._row.append(" ".join("".join(self._cell).split()))
                self._cell = None
            elif name == "tr" and self._table and self._row is not None:
                if self._row:
                    self.tables[self._table].append(self._row)
                self._row = None
            elif name == "table" and ident == self._table:
                self._table = None
            elif name == "h3" and self._h3 is not None:
                self.h3.append(" ".join("".join(self._h3).split()))
                self._h3 = None
            if name == tag:
                return

    def handle_data(self, data: str) -> None:
        for words in self._words.values():
            words.append(data)
        for part in (self._cell, self._h3):
            if part is not None:
                part.append(data)
