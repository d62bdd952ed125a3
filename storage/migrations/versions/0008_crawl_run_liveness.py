"""Crawl runs that can be watched and trusted: heartbeat, owner process, notices to retry

A running crawl writes `heartbeat_at` (and its progress into `stats`) every few seconds, so `tenderwatch
stats` shows its progress from another terminal, and the next crawl can tell a run whose process is gone
(`host` + `pid`, heartbeat age) and mark it `interrupted`. A crawl error on a notice page keeps what the
list said about the notice (`retry_meta`), so the next crawl fetches that page again even when it is no
longer in the window it lists. All nullable: earlier rows simply have none.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawlrun") as batch:
        batch.add_column(sa.Column("host", sa.String(), nullable=True))
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("crawlerror") as batch:
        batch.add_column(sa.Column("retry_meta", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawlerror") as batch:
        batch.drop_column("retry_meta")
    with op.batch_alter_table("crawlrun") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("pid")
        batch.drop_column("host")
