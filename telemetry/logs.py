"""Logs as JSON lines (``ESCALATION_LOG_FORMAT=json``), each naming its case, never a person.

A log shipper (Loki, Elasticsearch, CloudWatch) indexes a JSON line's fields, so an
operator can find every line of one case by ``workflow_id`` or ``case_reference``
without parsing messages. The two come from where the line was written: inside an
activity, its workflow id from the SDK and the case reference from the activity's
argument (every payload that concerns a case carries it, and it is pseudonymous:
no spaces, so never a typed-in name); inside a workflow, the SDK's own workflow
fields. No argument is ever copied whole: only those two identifiers and the
message, which the product's loggers write without names or free text.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

_case_reference: ContextVar[str | None] = ContextVar("escalation_case_reference", default=None)


def case_reference_of(arg: Any) -> str | None:
    """The case reference an activity's argument carries, directly or in its case's row.

    A step, a notification or a case row carries ``case_reference``; a batch carries
    its case's row and steps; an undelivered email its notification.
    """
    for holder in (
        arg,
        getattr(arg, "notification", None),
        getattr(arg, "disagreement", None),
        getattr(arg, "alert", None),
        *(getattr(arg, "steps", None) or [])[:1],
    ):
        value = getattr(holder, "case_reference", None)
        if isinstance(value, str):
            return value
    return None


class _CaseInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        token = _case_reference.set(case_reference_of(input.args[0]) if input.args else None)
        try:
            return await self.next.execute_activity(input)
        finally:
            _case_reference.reset(token)


class CaseLogContext(Interceptor):
    """Worker interceptor: lines logged while an activity runs name its case reference."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CaseInbound(next)


def _ids(record: logging.LogRecord) -> dict[str, str]:
    """The workflow id and case reference of the line, where it was written."""
    ids: dict[str, str] = {}
    in_workflow = getattr(record, "temporal_workflow", None)  # the SDK's workflow.logger
    if isinstance(in_workflow, dict) and "workflow_id" in in_workflow:
        ids["workflow_id"] = str(in_workflow["workflow_id"])
    elif activity.in_activity():
        info = activity.info()
        ids["workflow_id"] = info.workflow_id or ""
        ids["activity"] = info.activity_type
    if (case := _case_reference.get()) is not None:
        ids["case_reference"] = case
    return ids


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, workflow id, case reference."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_ids(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """The process's logging: plain text lines (``text``) or JSON lines (``json``)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
