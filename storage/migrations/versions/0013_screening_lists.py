"""screening lists: the lists imported (US Consolidated Screening List, OpenSanctions), their entries, and the
organisations whose names match an entry (candidates for a person to confirm; storage/screening.py)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("list_date", sa.DateTime(), nullable=True),
        sa.Column("source", sa.String(), nullable=False, server_default=""),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False, server_default=""),
        sa.Column("sha256", sa.String(), nullable=False, server_default=""),
        sa.Column("entries", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("matched_at", sa.DateTime(), nullable=True),
        sa.Column("matched_through", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "screening_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), sa.ForeignKey("screening_list.id"), nullable=False),
        sa.Column("entry_key", sa.String(), nullable=False, server_default=""),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("alt_names", sa.JSON(), nullable=True),
        sa.Column("entity_type", sa.String(), nullable=False, server_default=""),
        sa.Column("programs", sa.String(), nullable=False, server_default=""),
        sa.Column("sublist", sa.String(), nullable=False, server_default=""),
        sa.Column("addresses", sa.String(), nullable=False, server_default=""),
        sa.Column("countries", sa.String(), nullable=False, server_default=""),
        sa.Column("start_date", sa.String(), nullable=False, server_default=""),
        sa.Column("source_list_url", sa.String(), nullable=False, server_default=""),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_screening_entry_list_id", "screening_entry", ["list_id"])
    op.create_table(
        "screening_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("screening_entry.id"), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=False, server_default=""),
        sa.Column("matched_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_screening_match_organisation_id", "screening_match", ["organisation_id"])
    op.create_index("ix_screening_match_entry_id", "screening_match", ["entry_id"])


def downgrade() -> None:
    op.drop_index("ix_screening_match_entry_id", table_name="screening_match")
    op.drop_index("ix_screening_match_organisation_id", table_name="screening_match")
    op.drop_table("screening_match")
    op.drop_index("ix_screening_entry_list_id", table_name="screening_entry")
    op.drop_table("screening_entry")
    op.drop_table("screening_list")
