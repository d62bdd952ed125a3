"""organisation name resolution: which organisation row each name is shown as, by what rule, and why

One row per organisation (storage/orgs.py): the key its name reduces to, the canonical row it is an alias of
(none: it stands for itself), the rule and its explanation, who decided (auto or a person) and whether the
decision was taken by hand (`pinned`, left alone by automatic resolution). Existing organisations get their
rows from `tenderwatch orgs resolve`; until then each is shown on its own, as before.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation_resolution",
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("into_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=True),
        sa.Column("rule", sa.String(), nullable=False, server_default=""),
        sa.Column("detail", sa.String(), nullable=False, server_default=""),
        sa.Column("decided_by", sa.String(), nullable=False, server_default="auto"),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    op.create_index("ix_organisation_resolution_key", "organisation_resolution", ["key"])
    op.create_index("ix_organisation_resolution_into_id", "organisation_resolution", ["into_id"])


def downgrade() -> None:
    op.drop_index("ix_organisation_resolution_into_id", table_name="organisation_resolution")
    op.drop_index("ix_organisation_resolution_key", table_name="organisation_resolution")
    op.drop_table("organisation_resolution")
