"""review decisions and the users who may record them on the site (issue 13)

`review` keeps every decision (confirm or reject, with the corrected kinds/providers/chips, the note, who,
when, and the extractor version and findings the reviewer saw); a notice's review state is its newest
decision. Both tables are outside what `reextract` rebuilds, so decisions survive it. `app_user` holds the
site's reviewers with a password hash (the name `user` is reserved in PostgreSQL).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_app_user_name", "app_user", ["name"], unique=True)

    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reviewer", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=True),
        sa.Column("providers", sa.JSON(), nullable=True),
        sa.Column("chips", sa.JSON(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("extractor_version", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("seen", sa.JSON(), nullable=True),
        sa.Column("via", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_review_notice_id", "review", ["notice_id", "id"])
    op.create_index("ix_review_decided_at", "review", ["decided_at"])


def downgrade() -> None:
    op.drop_index("ix_review_decided_at", table_name="review")
    op.drop_index("ix_review_notice_id", table_name="review")
    op.drop_table("review")
    op.drop_index("ix_app_user_name", table_name="app_user")
    op.drop_table("app_user")
