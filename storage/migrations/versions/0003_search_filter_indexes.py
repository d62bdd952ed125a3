"""indexes for search at 100k+ notices: a covering index over the columns search facets and filters read
(a notice row is wide — its body text is inline — so reading these from the table costs a page per notice),
and a partial index over cases (remote_compute) in date order for the cases-only view

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_notice_search_columns",
        "notice",
        ["id", "published_at", "buyer_id", "notice_type", "region", "remote_compute"],
    )
    op.create_index(
        "ix_notice_cases_published",
        "notice",
        ["published_at"],
        sqlite_where=sa.text("remote_compute = 1"),
        postgresql_where=sa.text("remote_compute"),
    )


def downgrade() -> None:
    op.drop_index("ix_notice_cases_published", table_name="notice")
    op.drop_index("ix_notice_search_columns", table_name="notice")
