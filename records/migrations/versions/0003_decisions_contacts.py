"""Decisions, written confirmations, learning items and the contact directory.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Hand-written in 0001's style. Decisions, confirmations and learning items share
their step's key (UNIQUE), so ``record_step`` writes each once with its step.
Contacts are unique by partnership, agency ('' for partnership-wide) and role:
the CSV import upserts on that key. The outbox gains ``unfilled_roles``: the
roles an email was for that nobody could be found for.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import SchemaItem

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _case_columns(table: str) -> list[SchemaItem]:
    """The columns and constraints every per-step table shares: key, workflow, case."""
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("workflow_id", sa.String(255), nullable=False),
        sa.Column("case_reference", sa.String(64), nullable=False),
        sa.Column("stage_id", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("key", name=op.f(f"uq_{table}_key")),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["disagreements.workflow_id"],
            name=op.f(f"fk_{table}_workflow_id_disagreements"),
        ),
    ]


def _indexes(table: str) -> None:
    op.create_index(op.f(f"ix_{table}_workflow_id"), table, ["workflow_id"])
    op.create_index(op.f(f"ix_{table}_case_reference"), table, ["case_reference"])


def upgrade() -> None:
    """Create decisions, confirmations, learning_items and contacts; extend the outbox."""
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("unfilled_roles", JSON, nullable=True))
    op.create_table(
        "decisions",
        *_case_columns("decisions"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        _ts("at"),
        sa.Column("data", JSON, nullable=False),
        _ts("recorded_at"),
    )
    _indexes("decisions")

    op.create_table(
        "confirmations",
        *_case_columns("confirmations"),
        sa.Column("text", sa.Text(), nullable=True),
        _ts("at"),
        _ts("due_at", nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        _ts("recorded_at"),
    )
    _indexes("confirmations")

    op.create_table(
        "learning_items",
        *_case_columns("learning_items"),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("notify", sa.Text(), nullable=True),
        _ts("at"),
        _ts("recorded_at"),
    )
    _indexes("learning_items")

    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partnership", sa.String(255), nullable=False),
        sa.Column("agency", sa.String(255), server_default="", nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint(
            "partnership", "agency", "role", name=op.f("uq_contacts_partnership_agency_role")
        ),
    )


def downgrade() -> None:
    """Drop everything this revision created."""
    op.drop_table("contacts")
    op.drop_table("learning_items")
    op.drop_table("confirmations")
    op.drop_table("decisions")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("unfilled_roles")
