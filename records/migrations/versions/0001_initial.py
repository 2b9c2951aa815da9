"""Initial schema: disagreements, their steps and the email outbox.

Revision ID: 0001
Revises:
Create Date: 2026-01-01

Hand-written so that it reads as the record's contract: each UNIQUE key is what
makes a retried activity a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the three tables with their named constraints and indexes."""
    op.create_table(
        "disagreements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("case_reference", sa.String(64), nullable=False),
        sa.Column("procedure", sa.String(64), nullable=False),
        sa.Column("ladder", sa.String(64), nullable=False),
        sa.Column("partnership", sa.String(255), nullable=False),
        sa.Column("raising_agency", sa.String(255), nullable=False),
        sa.Column("receiving_agency", sa.String(255), nullable=False),
        sa.Column("nature", sa.Text(), nullable=False),
        sa.Column("risk_to_child", sa.Text(), nullable=False),
        sa.Column("aim", sa.Text(), nullable=False),
        _ts("raised_at"),
        sa.Column("raised_late", sa.Boolean(), nullable=False),
        sa.Column("immediate_risk", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), server_default="open", nullable=False),
        sa.Column("current_stage", sa.String(64), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disagreements")),
        sa.UniqueConstraint("workflow_id", name=op.f("uq_disagreements_workflow_id")),
        sa.CheckConstraint(
            "state IN ('open', 'resolved', 'closed')", name=op.f("ck_disagreements_state")
        ),
    )
    op.create_index(op.f("ix_disagreements_case_reference"), "disagreements", ["case_reference"])

    op.create_table(
        "steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("case_reference", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        _ts("at"),
        sa.Column("stage_id", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(255), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        _ts("due_at", nullable=True),
        sa.Column("data", JSON, nullable=False),
        _ts("recorded_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_steps")),
        sa.UniqueConstraint("key", name=op.f("uq_steps_key")),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["disagreements.workflow_id"],
            name=op.f("fk_steps_workflow_id_disagreements"),
        ),
    )
    op.create_index(op.f("ix_steps_workflow_id"), "steps", ["workflow_id"])
    op.create_index(op.f("ix_steps_case_reference"), "steps", ["case_reference"])

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("case_reference", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("recipients", JSON, nullable=False),
        sa.Column("cc", JSON, nullable=False),
        sa.Column("message_id", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("sent_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("key", name=op.f("uq_notifications_key")),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'no_recipients')",
            name=op.f("ck_notifications_status"),
        ),
    )
    op.create_index(op.f("ix_notifications_workflow_id"), "notifications", ["workflow_id"])
    op.create_index(op.f("ix_notifications_case_reference"), "notifications", ["case_reference"])


def downgrade() -> None:
    """Drop everything this revision created (children first)."""
    op.drop_table("notifications")
    op.drop_table("steps")
    op.drop_table("disagreements")
