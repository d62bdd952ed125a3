"""review-site sessions kept on the server, so signing out (or `tenderwatch user signout`) ends them

The cookie holds only a random session id and the CSRF token; the row says whose session it is, until when,
and whether it was revoked. A copied cookie is worth nothing after sign-out. Only the hash of the id is stored.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("user_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_review_session_token_hash", "review_session", ["token_hash"], unique=True)
    op.create_index("ix_review_session_user_name", "review_session", ["user_name"])


def downgrade() -> None:
    op.drop_index("ix_review_session_user_name", table_name="review_session")
    op.drop_index("ix_review_session_token_hash", table_name="review_session")
    op.drop_table("review_session")
