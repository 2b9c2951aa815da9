"""Partnership closure days: days a partnership is closed besides bank holidays.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Hand-written in 0001's style. One row per partnership and day (UNIQUE), so
``escalation calendar add-closure`` run twice writes each day once. The
``load_pack`` activity reads a partnership's rows into the pack's calendar, so a
case started after a closure was announced counts its deadlines around it; running
cases learn of it through the ``change_calendar`` update.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create calendar_closures with its named unique key and index."""
    op.create_table(
        "calendar_closures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partnership", sa.String(255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(255), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_closures")),
        sa.UniqueConstraint(
            "partnership", "day", name=op.f("uq_calendar_closures_partnership_day")
        ),
    )


def downgrade() -> None:
    """Drop the table (its constraints go with it)."""
    op.drop_table("calendar_closures")
