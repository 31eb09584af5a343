"""stock levels: on-hand stock may be unknown (NULL) until the seller sets or imports it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
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
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.alter_column("on_hand", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE stock_levels SET on_hand = 0 WHERE on_hand IS NULL")
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.alter_column("on_hand", existing_type=sa.Integer(), nullable=False)
