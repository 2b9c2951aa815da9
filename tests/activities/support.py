"""Builders for activity tests: a disagreement, its steps and its notifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.email import SmtpConfig
from models.common import Person
from models.notifications import Notification
from models.records import DisagreementRecord, StepRecord
from starter.smtp_sink import SmtpSink

RAISED = datetime.fromisoformat("2026-12-21T10:00:00+00:00")
PARTNERSHIP = "Redbridge Local Safeguarding Children Board"
BM = Person(
    role="partnership.business_manager", name="G. Business Manager", email="lscb@bm.example"
)


def new_case() -> tuple[str, str]:
    """A fresh workflow id and case reference."""
    case = f"CR-{uuid.uuid4().hex[:10]}"
    return f"disagreement-{case}-d1", case


def disagreement(workflow_id: str, case: str, **overrides: Any) -> DisagreementRecord:
    values: dict[str, Any] = {
        "workflow_id": workflow_id,
        "case_reference": case,
        "procedure": "redbridge-2017",
        "ladder": "individual",
        "partnership": PARTNERSHIP,
        "raising_agency": "Redbridge Primary School",
        "receiving_agency": "Children's Social Care",
        "nature": "Referral refused",
        "risk_to_child": "Bruising",
        "aim": "A strategy discussion",
        "raised_at": RAISED,
    }
    values.update(overrides)
    return DisagreementRecord(**values)


def step(workflow_id: str, case: str, n: int, kind: str = "stage_entered", **kw: Any) -> StepRecord:
    return StepRecord(
        key=f"{workflow_id}/step-{n:04d}",
        workflow_id=workflow_id,
        case_reference=case,
        kind=kind,  # type: ignore[arg-type]
        at=kw.pop("at", RAISED),
        **kw,
    )


def notification(workflow_id: str, case: str, n: int = 1, **overrides: Any) -> Notification:
    values: dict[str, Any] = {
        "key": f"{workflow_id}/mail-{n:04d}",
        "workflow_id": workflow_id,
        "case_reference": case,
        "kind": "stage_entered",
        "procedure_title": "Redbridge LSCB Resolution and Escalation Policy",
        "partnership": PARTNERSHIP,
        "stage_title": "Stage 1: practitioners",
        "headline": "Stage 1: action needed",
        "lines": ["The disagreement is now at stage 1."],
        "due_at": datetime.fromisoformat("2026-12-30T17:00:00+00:00"),
        "to": [
            Person(role="receiving.practitioner", name="B. Social Worker", email="sw@csc.example")
        ],
    }
    values.update(overrides)
    return Notification(**values)


def smtp_for(sink: SmtpSink, **kw: Any) -> SmtpConfig:
    return SmtpConfig(
        host="127.0.0.1", port=sink.port, mail_from="escalations@lscb.example.org", **kw
    )


async def rows(
    db: async_sessionmaker[AsyncSession], sql: str, **params: Any
) -> list[tuple[Any, ...]]:
    async with db() as session:
        return [tuple(r) for r in (await session.execute(text(sql), params)).all()]
