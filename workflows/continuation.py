"""When a case continues as new, and the wait that lets it hand over cleanly.

Temporal terminates a workflow whose history passes 50 MB or 51,200 events, and a
case can wait for months while anyone may signal it: a flood of refused signals
(each kept in history whole, up to the server's blob size limit) would end the case
with "history size exceeds limit". So a case continues as new, under the same
workflow id, carrying its whole state (``models/carry.py``), well before that:

- when Temporal suggests it (``is_continue_as_new_suggested``), or
- when its history passes ``HISTORY_BYTES_LIMIT`` bytes or ``HISTORY_EVENTS_LIMIT``
  events, whichever comes first.

A normal case stays far below both (a Redbridge case confirmed at its last stage has
under 150 events and 200 KB), so only a flood or a case of years continues. Clients
keep using the workflow id (never a run id), so every client, the decision page and
the Web UI follow the case into its new run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

HISTORY_BYTES_LIMIT = 2 * 1024 * 1024
"""2 MiB of history: a twenty-fifth of Temporal's 50 MB limit."""

HISTORY_EVENTS_LIMIT = 5_000
"""5,000 events: a tenth of Temporal's 51,200-event limit."""

SETTLE = timedelta(minutes=1)
"""How long the hand-over waits for emails and record writes in flight to finish; what
has not finished by then is carried and done again by the next run (same keys)."""


def due() -> bool:
    """Whether this run's history is large enough to hand over to a new run."""
    info = workflow.info()
    return (
        info.is_continue_as_new_suggested()
        or info.get_current_history_size() >= HISTORY_BYTES_LIMIT
        or info.get_current_history_length() >= HISTORY_EVENTS_LIMIT
    )


def continued() -> bool:
    """Whether this run was started by a continue-as-new (not by a caller)."""
    return workflow.info().continued_run_id is not None


async def settle(quiet: Callable[[], bool], interrupted: Callable[[], bool]) -> bool:
    """Wait up to ``SETTLE`` for ``quiet()``; False if ``interrupted()`` came first.

    ``interrupted`` is a decision arriving meanwhile: the caller applies it first and
    decides again, so no update is left waiting across the hand-over.
    """
    if interrupted():
        return False
    if quiet() and workflow.all_handlers_finished():
        return True
    try:
        await workflow.wait_condition(
            lambda: interrupted() or (quiet() and workflow.all_handlers_finished()),
            timeout=SETTLE,
        )
    except TimeoutError:
        pass
    return not interrupted() and workflow.all_handlers_finished()


def checked(request: M) -> M | None:
    """``request`` if the next run can read it back, else None (and a warning).

    The next run's input is validated when its first workflow task decodes it; a
    state it could not read would fail that task on every retry, and the case would
    stop. So the hand-over is proved here first, and refused if it would not round-trip:
    the case then runs on in this run, which is safe, if larger.
    """
    try:
        type(request).model_validate_json(request.model_dump_json())
    except ValidationError as exc:
        workflow.logger.warning("continue-as-new refused, state would not round-trip: %s", exc)
        return None
    return request
