"""What callers send a workflow: raw payloads decoded or refused with reasons, and the wait.

Both workflows take their signals and updates as raw payloads, so that a malformed
one is refused to the caller (an update) or recorded (a signal) naming each field
and the reason, instead of failing the workflow task. *Any* payload the workflow
cannot read is refused the same way: an encoding the converter does not know
(``temporal workflow signal --input-meta encoding=...``), one the worker's codec
could not decrypt (it hands the workflow a marker instead of raising, see
``codec/aes.py``), bytes that are not JSON, JSON of the wrong shape, or a payload
larger than any decision can be. An exception escaping a handler would fail the
workflow task, and Temporal would retry it for ever: no deadline would fire again.

Both workflows also wait for a decision in the same way: until it arrives, until the
next deadline's durable timer fires, or until the case must continue as new.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from codec.marker import UNDECRYPTABLE
    from models.plain_errors import plain

M = TypeVar("M", bound=BaseModel)

MAX_PAYLOAD_BYTES = 64 * 1024
"""The largest decision payload read: every text field is at most 10,000 characters, so a
genuine decision is far smaller; a larger one is refused before it is parsed."""

READABLE = (b"json/plain",)
"""The encodings a decision may arrive in (what every Temporal SDK's JSON converter writes)."""

EXPLANATION_LIMIT = 1_000
"""A refusal's reason is kept short: it is stored in history, the record and the status."""


def decode(payload: RawValue, model: type[M], limit: int | None = MAX_PAYLOAD_BYTES) -> M:
    """Decode and validate a raw payload as ``model``; refuse it naming fields and reasons.

    ``limit``: the largest payload read, in bytes (None: only the server's own limit,
    for a start request, which may carry a continued case's whole state).

    Raises:
        ApplicationError: ``InvalidPayload``, whatever was wrong with the payload. Nothing
            else ever escapes, so no payload can fail the workflow task.
    """
    p = payload.payload
    encoding = p.metadata.get("encoding", b"")
    if encoding == UNDECRYPTABLE:
        reason = p.data.decode("utf-8", errors="replace")[:EXPLANATION_LIMIT]
        raise ApplicationError(
            f"payload: could not be decrypted ({reason})", type="InvalidPayload", non_retryable=True
        )
    if encoding not in READABLE:
        shown = encoding.decode("utf-8", errors="replace")[:64] or "(none)"
        raise ApplicationError(
            f"payload: encoding '{shown}' is not JSON; send a JSON object (json/plain)",
            type="InvalidPayload",
            non_retryable=True,
        )
    if limit is not None and len(p.data) > limit:
        raise ApplicationError(
            f"payload: {len(p.data):,} bytes; a decision is at most {limit:,} bytes",
            type="InvalidPayload",
            non_retryable=True,
        )
    try:
        value = workflow.payload_converter().from_payload(p, model)
        if not isinstance(value, model):
            raise TypeError(f"expected a JSON object for {model.__name__}")
    except Exception as exc:  # any reason at all: refused, never raised into the task
        raise ApplicationError(explain(exc), type="InvalidPayload", non_retryable=True) from None
    return value


def start_input(payload: RawValue, model: type[M]) -> tuple[M, str | None]:
    """The start request, or an empty stand-in and why the request cannot be read.

    A workflow whose typed start argument cannot be decoded fails its first workflow
    task for ever: the case neither opens nor fails, and no record shows it. Read raw,
    a bad start instead fails the workflow at once with ``InvalidStartRequest`` naming
    the fields, like a request that decodes but breaks the procedure's rules.
    """
    try:
        return decode(payload, model, limit=None), None
    except ApplicationError as exc:
        return model.model_construct(), exc.message


def unreadable_start(error: str) -> ApplicationError:
    """The failure of a workflow whose start request could not be read (``start_input``)."""
    return ApplicationError(
        f"invalid start request: {error}", type="InvalidStartRequest", non_retryable=True
    )


def explain(exc: Exception) -> str:
    """A short, field-naming explanation of why a payload was refused."""
    if isinstance(exc, ValidationError):
        # In words, as the SDK and the decision page say it: no regex, no pydantic phrasing.
        text = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {plain(e)}" for e in exc.errors()
        )
    else:  # not JSON, or not an object: the payload as a whole is wrong
        text = f"payload: {str(exc) or type(exc).__name__}"
    return text if len(text) <= EXPLANATION_LIMIT else text[: EXPLANATION_LIMIT - 1] + "…"


def shown(payload: RawValue, limit: int = 2_000) -> str:
    """The start of a refused payload as text, for the record (never the whole of a huge one)."""
    return payload.payload.data[:limit].decode("utf-8", errors="replace")


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
