"""links: an index by entity, for the listings of a page of offers across every connection

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_links_by_entity", "links", ["entity_kind", "entity_id"])


def downgrade() -> None:
    op.drop_index("ix_links_by_entity", table_name="links")
