"""SQLAlchemy models for the disagreement, its timeline and the email outbox.

Every write that can be retried carries a UNIQUE key (the workflow id for a
disagreement, an idempotency key for a step or an email), so the database, not
the caller, proves that a retried activity never writes twice. Alembic owns the
DDL (``records/migrations``); these classes describe it for the queries and
must be kept in step with the migrations.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Explicit constraint names, so migrations can name what they alter on every backend."""

CaseState = Literal["open", "resolved", "closed", "stopped"]
NotificationStatus = Literal["pending", "sent", "failed", "no_recipients"]


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the only clock the rows use)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that always reads back as aware UTC.

    PostgreSQL stores ``timestamptz`` natively; SQLite stores text and drops the
    offset on read. Normalising to UTC on both write and read makes the two
    backends return the same value, and refusing naive datetimes keeps a local
    wall-clock time from being silently stored as if it were UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC before storing; refuse naive values."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: the record stores aware timestamps only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to SQLite's naive values; convert PostgreSQL's to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")
"""JSON everywhere, JSONB on PostgreSQL (indexable, compact)."""


class Base(AsyncAttrs, DeclarativeBase):
    """Declarative base with the naming convention; AsyncAttrs for awaitable lazy loads."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Disagreement(Base):
    """One disagreement: one row per workflow id, its state kept current by the steps."""

    __tablename__ = "disagreements"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'resolved', 'closed', 'stopped')", name="state"),
        # The reconcile sweep's open and stopped cases; the report's quarter (0002).
        Index("ix_disagreements_state", "state"),
        Index("ix_disagreements_raised_at", "raised_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(255), unique=True)
    case_reference: Mapped[str] = mapped_column(String(64), index=True)
    procedure: Mapped[str] = mapped_column(String(64))
    ladder: Mapped[str] = mapped_column(String(64))
    partnership: Mapped[str] = mapped_column(String(255))
    raising_agency: Mapped[str] = mapped_column(String(255))
    receiving_agency: Mapped[str] = mapped_column(String(255))
    nature: Mapped[str] = mapped_column(Text)
    risk_to_child: Mapped[str] = mapped_column(Text)
    aim: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    raised_late: Mapped[bool] = mapped_column(default=False)
    immediate_risk: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    current_stage: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When Temporal closed the workflow of a ``stopped`` case (0005)."""
    stop_reason: Mapped[str | None] = mapped_column(Text)
    """Temporal's close status and reason for a ``stopped`` case (0005)."""


class Step(Base):
    """One step of a disagreement's timeline; ``key`` is the idempotency key."""

    __tablename__ = "steps"
    __table_args__ = (
        # A case's steps in the order written (record, report, record_step), and the
        # report's cases over before its quarter (0002; the first replaces workflow_id's).
        Index("ix_steps_workflow_id_key", "workflow_id", "key"),
        Index("ix_steps_kind_at", "kind", "at", "workflow_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    workflow_id: Mapped[str] = mapped_column(String(255), ForeignKey("disagreements.workflow_id"))
    case_reference: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    stage_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboxNotification(Base):
    """One email in the outbox; ``key`` is the idempotency key and Message-ID seed."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed', 'no_recipients')", name="status"),
        # The pending-emails gauge counts these at every scrape (telemetry/endpoint.py).
        Index("ix_notifications_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    workflow_id: Mapped[str] = mapped_column(String(255), index=True)
    case_reference: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text)
    recipients: Mapped[list[str]] = mapped_column(JSONType, default=list)
    cc: Mapped[list[str]] = mapped_column(JSONType, default=list)
    message_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unfilled_roles: Mapped[list[str] | None] = mapped_column(JSONType)
    """Roles to tell that neither the start payload nor the directory named (0003)."""


AlertState = Literal["open", "awaiting_finalisation", "finalised", "stopped"]


class PracticeAlertRow(Base):
    """One practice alert (Rutland): one row per alert workflow, kept current by its steps.

    The quarterly report counts these rows, groups them by ``reason_code`` (the
    themes) and reads ``alert_steps`` for whether each stage's timescale was met.
    """

    __tablename__ = "practice_alerts"
    __table_args__ = (
        CheckConstraint(
            "state IN ('open', 'awaiting_finalisation', 'finalised', 'stopped')", name="state"
        ),
        # The reconcile sweep; the report's quarter and the tracker's window (0002).
        Index("ix_practice_alerts_state", "state"),
        Index("ix_practice_alerts_raised_at", "raised_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(255), unique=True)
    case_reference: Mapped[str] = mapped_column(String(64), index=True)
    procedure: Mapped[str] = mapped_column(String(64))
    reason_code: Mapped[str] = mapped_column(String(64), index=True)
    reason_title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    agreed_action: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(255))
    raised_by_email: Mapped[str] = mapped_column(String(254))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    start_stage: Mapped[str] = mapped_column(String(64))
    serious_or_urgent: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(32), default="open", server_default="open")
    current_stage: Mapped[str | None] = mapped_column(String(64))
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finalised_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When Temporal closed the workflow of a ``stopped`` alert (0005)."""
    stop_reason: Mapped[str | None] = mapped_column(Text)
    """Temporal's close status and reason for a ``stopped`` alert (0005)."""


class AlertStep(Base):
    """One step of a practice alert (stage entered, response, missed deadline, finalisation...).

    ``key`` (workflow id + step) is the idempotency key. ``in_time`` is set on
    responses and missed deadlines (false), so "timescales met" is one query.
    The column is ``actor`` rather than ``by`` (an SQL keyword), as in ``steps``.
    """

    __tablename__ = "alert_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    workflow_id: Mapped[str] = mapped_column(
        String(255), ForeignKey("practice_alerts.workflow_id"), index=True
    )
    case_reference: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    stage_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    in_time: Mapped[bool | None] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DecisionRow(Base):
    """A decision somebody made (resolved, unresolved, reconvened, immediate risk, shortened).

    Written by ``record_step`` in the same transaction as its step, with the step's
    key, so the two can never disagree and a retry writes neither twice.
    """

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    workflow_id: Mapped[str] = mapped_column(
        String(255), ForeignKey("disagreements.workflow_id"), index=True
    )
    case_reference: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    stage_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConfirmationRow(Base):
    """A written confirmation of an outcome, with the deadline it answered and whether late."""

    __tablename__ = "confirmations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    workflow_id: Mapped[str] = mapped_column(
        String(255), ForeignKey("disagreements.workflow_id"), index=True
    )
    case_reference: Mapped[str] = mapped_column(String(64), index=True)
    stage_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(default=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LearningItemRow(Base):
    """A resolution the procedure wants learnt from, and who was to be told of it."""

    __tablename__ = "learning_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    workflow_id: Mapped[str] = mapped_column(
        String(255), ForeignKey("disagreements.workflow_id"), index=True
    )
    case_reference: Mapped[str] = mapped_column(String(64), index=True)
    stage_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(255))
    outcome: Mapped[str | None] = mapped_column(Text)
    notify: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Contact(Base):
    """Who holds a role: partnership, agency ('' for partnership-wide roles), role → person.

    ``agency`` is never NULL so the unique key also holds for partnership-wide
    roles (NULLs are never equal to each other in a UNIQUE constraint).
    """

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint(
            "partnership", "agency", "role", name="uq_contacts_partnership_agency_role"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partnership: Mapped[str] = mapped_column(String(255))
    agency: Mapped[str] = mapped_column(String(255), default="", server_default="")
    role: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CalendarClosure(Base):
    """A day a partnership is closed besides bank holidays (migration 0004).

    UNIQUE by partnership and day, so announcing the same closure twice stores it
    once. ``partnership`` is the pack's ``partnership`` text, as the packs spell it:
    the ``load_pack`` activity adds these days to every new case's calendar.
    """

    __tablename__ = "calendar_closures"
    __table_args__ = (
        UniqueConstraint("partnership", "day", name="uq_calendar_closures_partnership_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partnership: Mapped[str] = mapped_column(String(255))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(255))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConsoleAction(Base):
    """One thing a signed-in person did in the partnership console (migration 0003).

    Written for every action, accepted or refused, with the identity the provider
    vouched for (subject and email), never a name typed into a form: the
    partnership can always say who did what, when, and what the workflow answered.
    ``target`` is a workflow id, a partnership or a file name, never a child's name.
    """

    __tablename__ = "console_actions"
    __table_args__ = (Index("ix_console_actions_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_sub: Mapped[str] = mapped_column(String(255))
    actor_email: Mapped[str] = mapped_column(String(254))
    partnership: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
