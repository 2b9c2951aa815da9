"""The practice alert tracker as the console shows it: the person's partnerships, filtered, sorted.

The rows are the tracker's own (``records.tracker.tracker_rows``, the rows
``escalation alert tracker`` writes), so the table on the page and the CSV and
XLSX downloads say exactly what the Quality Assurance Service's file says. An
alert belongs to the partnership of its procedure's pack; a person sees the
alerts of the partnerships where they hold a role, and nothing else, whatever
the query asks for. An alert whose procedure is no longer shipped has no
partnership the console can name, so it shows in nobody's tracker (the CLI's
file still has it).

The filters come from the page's GET form; each is checked and a bad one is
named with the reason, so a mistyped day is said in words rather than
quietly ignored (which would show the wrong alerts) or failing.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console.packs_of import loadable_packs
from records.tracker import COLUMNS, STATES, Cell, Window, tracker_rows
from records.tracker_files import Format, write_tracker

Sort = Literal["raised", "reason", "state", "stage"]
SORTS: tuple[Sort, ...] = get_args(Sort)
SORT_TITLES: dict[Sort, str] = {
    "raised": "Raised",
    "reason": "Reason",
    "state": "State",
    "stage": "Current stage",
}
Order = Literal["asc", "desc"]
ORDERS: tuple[Order, ...] = get_args(Order)
PAGE_SIZE = 50
"""Rows on one page of the table; the downloads hold every row the filters keep."""

_COL = {name: i for i, name in enumerate(COLUMNS)}
RAISED, WORKFLOW, PROCEDURE = _COL["Raised"], _COL["Alert (workflow id)"], _COL["Procedure"]
REASON, STATE, STAGE = _COL["Reason code"], _COL["State"], _COL["Current stage"]
SORT_COLUMN: dict[Sort, int] = {"raised": RAISED, "reason": REASON, "state": STATE, "stage": STAGE}

CONTENT_TYPES: dict[Format, str] = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class AlertProcedure:
    """A procedure with practice alerts: its partnership, reason codes and stages (id, title)."""

    procedure: str
    partnership: str
    reasons: tuple[tuple[str, str], ...]
    stages: tuple[tuple[str, str], ...]


def alert_procedures(pack_dir: Path, partnerships: list[str]) -> dict[str, AlertProcedure]:
    """The shipped procedures with practice alerts whose partnership is one of ``partnerships``.

    The pack as shipped (``local=False``): the partnership, reason codes and stage
    titles are the document's, and a partnership's broken local settings must not
    hide its alerts.
    """
    found: dict[str, AlertProcedure] = {}
    for pid, pack in loadable_packs(pack_dir, local=False).items():
        spec = pack.practice_alerts
        if spec is None or pack.partnership not in partnerships:
            continue
        found[pid] = AlertProcedure(
            pid,
            pack.partnership,
            tuple((r.code, r.title) for r in spec.reason_codes),
            tuple((s.id, s.title) for s in spec.stages),
        )
    return found


@dataclass(frozen=True)
class TrackerQuery:
    """The tracker's filters, sort and page, as checked from the page's query string."""

    state: str = ""
    reason: str = ""
    stage: str = ""
    first: date | None = None
    last: date | None = None
    sort: Sort = "raised"
    order: Order = "desc"
    page: int = 1

    def params(self, **changes: Any) -> str:
        """The query string of this query with ``changes`` (for sort and page links)."""
        q = replace(self, **changes)
        pairs = {
            "state": q.state,
            "reason": q.reason,
            "stage": q.stage,
            "from": q.first.isoformat() if q.first else "",
            "to": q.last.isoformat() if q.last else "",
            "sort": q.sort,
            "order": q.order,
            "page": str(q.page) if q.page != 1 else "",
        }
        return urlencode({k: v for k, v in pairs.items() if v})

    def filters(self) -> str:
        """The query string of the filters and sort only (the downloads' links)."""
        return replace(self, page=1).params()


def _day(field: str, text: str) -> tuple[date | None, str | None]:
    if not text:
        return None, None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, f"{field}: not a day; write it as YYYY-MM-DD, e.g. 2026-12-01"


def parse_query(
    args: Mapping[str, str], procedures: Mapping[str, AlertProcedure]
) -> tuple[TrackerQuery, list[str]]:
    """The query from the page's parameters, and one 'field: reason' line per bad parameter.

    A bad parameter is left at its default in the returned query, so the form can
    still be shown with the rest of what was asked. What was typed is never quoted
    back: a field may hold anything, a child's name included.
    """
    errors: list[str] = []
    text = {k: args.get(k, "").strip() for k in ("state", "reason", "stage", "from", "to")}
    state, reason, stage = text["state"], text["reason"], text["stage"]
    if state and state not in STATES:
        errors.append(f"state: not a state of an alert; choose one of {', '.join(STATES)}")
        state = ""
    codes = {c for p in procedures.values() for c, _ in p.reasons}
    if reason and reason not in codes:
        errors.append("reason: not a reason code of your partnerships' practice alerts")
        reason = ""
    stage_ids = {s for p in procedures.values() for s, _ in p.stages}
    if stage and stage not in stage_ids:
        errors.append("stage: not a stage of your partnerships' practice alerts")
        stage = ""
    first, why_first = _day("from", text["from"])
    last, why_last = _day("to", text["to"])
    errors += [e for e in (why_first, why_last) if e]
    if first and last and first > last:
        errors.append(f"from: {first} is after to ({last}); the first day comes first")
        first = last = None
    sort_text = args.get("sort", "") or "raised"
    sort = next((s for s in SORTS if s == sort_text), None)
    if sort is None:
        errors.append(f"sort: not a column to sort on; choose one of {', '.join(SORTS)}")
    order_text = args.get("order", "") or "desc"
    order = next((o for o in ORDERS if o == order_text), None)
    if order is None:
        errors.append("order: must be asc (oldest or A first) or desc")
    page_text = args.get("page", "1") or "1"
    page = int(page_text) if page_text.isdigit() and 0 < len(page_text) < 7 else 0
    if page < 1:
        errors.append("page: not a page number (1, 2, ...)")
        page = 1
    query = TrackerQuery(state, reason, stage, first, last, sort or "raised", order or "desc", page)
    return query, errors


def _keeps(row: list[Cell], query: TrackerQuery, procedures: Mapping[str, AlertProcedure]) -> bool:
    proc = procedures.get(str(row[PROCEDURE]))
    if proc is None:
        return False
    if query.state and row[STATE] != STATES[query.state]:
        return False
    if query.reason and row[REASON] != query.reason:
        return False
    if query.stage:
        title = dict(proc.stages).get(query.stage)
        if title is None or row[STAGE] != title:
            return False
    return True


def _key(row: list[Cell], sort: Sort) -> tuple[str, datetime]:
    value, raised = row[SORT_COLUMN[sort]], row[RAISED]
    assert isinstance(raised, datetime)
    return ("" if sort == "raised" else str(value or ""), raised)


async def tracker_table(
    sessions: async_sessionmaker[AsyncSession],
    procedures: Mapping[str, AlertProcedure],
    query: TrackerQuery,
    now: datetime,
) -> list[list[Cell]]:
    """Every tracker row of ``procedures`` the query keeps, in its order.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database cannot be read.
    """
    if not procedures:
        return []
    window = Window(query.first, query.last)
    # One procedure (the usual case: Rutland's) is filtered by the database.
    only = next(iter(procedures)) if len(procedures) == 1 else None
    rows = [
        row
        async for row in tracker_rows(sessions, window, only, now)
        if _keeps(row, query, procedures)
    ]
    rows.sort(key=lambda r: _key(r, query.sort), reverse=query.order == "desc")
    return rows


async def _each(rows: list[list[Cell]]) -> AsyncGenerator[list[Cell], None]:
    for row in rows:
        yield row


async def tracker_file(rows: list[list[Cell]], fmt: Format) -> bytes:
    """The rows as the CLI's file (``records.tracker_files.write_tracker``), as bytes."""
    with tempfile.TemporaryDirectory(prefix="console-tracker-") as folder:
        out = Path(folder) / f"tracker.{fmt}"
        await write_tracker(_each(rows), out, fmt)
        return out.read_bytes()
