"""What callers send a workflow: raw payloads decoded or refused with reasons, and the wait.

Both workflows take their signals and updates as raw payloads, so that a malformed
one is refused to the caller (an update) or recorded (a signal) naming each field
and the reason, instead of failing the workflow task. Both also wait for a decision
in the same way: until it arrives or until the next deadline's durable timer fires.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

M = TypeVar("M", bound=BaseModel)


def decode(payload: RawValue, model: type[M]) -> M:
    """Decode and validate a raw payload as ``model``; refuse it naming fields and reasons."""
    try:
        value = workflow.payload_converter().from_payload(payload.payload, model)
        if not isinstance(value, model):
            raise TypeError(f"expected a JSON object for {model.__name__}")
    except (ValidationError, TypeError, ValueError, RuntimeError) as exc:
        raise ApplicationError(explain(exc), type="InvalidPayload") from exc
    return value


def explain(exc: Exception) -> str:
    """A short, field-naming explanation of why a payload was refused."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in exc.errors()
        )
    return str(exc) or type(exc).__name__


async def wait_for_input(arrived: Callable[[], bool], wake: datetime | None) -> None:
    """Sleep until ``wake`` (a durable timer) or until ``arrived()``; at once if ``wake`` passed."""
    if wake is None:
        await workflow.wait_condition(arrived)
        return
    delay = wake - workflow.now()
    if delay.total_seconds() <= 0:
        return
    try:
        await workflow.wait_condition(arrived, timeout=delay)
    except TimeoutError:
        pass
