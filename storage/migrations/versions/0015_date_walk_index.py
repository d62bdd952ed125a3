"""date walk index: PostgreSQL's newest-first index carries the columns search filters check on the way

A broad search, or filters alone over more notices than are listed, walks the notices newest first and stops
after a page or the capped candidate set (storage/search/engine.py). With a filter that is not selective (a
region, a notice type, a source, a buyer) the walk checks each notice it passes; from the index alone that is
an index-only scan, instead of a read of the wide notice row for each (22,000 rows for 云 in 北京 at 100,000
notices). Replaces ix_notice_published_desc (same key).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite walks ix_notice_published_at and reads the filters from ix_notice_search_columns
    op.execute(
        "CREATE INDEX ix_notice_date_walk ON notice (published_at DESC NULLS LAST, id DESC)"
        " INCLUDE (region, notice_type, source, buyer_id, remote_compute)"
    )
    op.execute("DROP INDEX IF EXISTS ix_notice_published_desc")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_notice_published_desc ON notice (published_at DESC NULLS LAST, id DESC)")
    op.execute("DROP INDEX IF EXISTS ix_notice_date_walk")
