"""Amounts keep their own currency: `currency` (ISO 4217: CNY, HKD, MOP, TWD, USD …) and `value` in it

Notices from Hong Kong, Macau and Taiwan (and awards quoted in US$) state money in their own currency.
`value_cny` stays the yuan figure and is empty for another currency (no exchange rate is assumed); `value`
is the amount as stated and `currency` names it. Nullable: earlier rows are CNY amounts with no `value`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("noticeamount") as batch:
        batch.add_column(sa.Column("currency", sa.String(), nullable=True))
        batch.add_column(sa.Column("value", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("noticeamount") as batch:
        batch.drop_column("value")
        batch.drop_column("currency")
