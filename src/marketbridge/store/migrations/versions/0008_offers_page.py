"""offers: an index by account and id, for the API's pages of an account's offers in id order

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_offers_page", "offers", ["account_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_offers_page", table_name="offers")
