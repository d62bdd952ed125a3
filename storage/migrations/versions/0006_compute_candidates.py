"""possible cases: a notice whose compute evidence falls short of a case (issue 12) keeps the extractor's
compute_candidate flag, its score and the reasons it fell short, so search, the site, stats and the digest
can show candidates apart from cases; a partial index serves the candidates-only view in date order

Existing rows get compute_candidate = false; `tenderwatch reextract` fills them from the stored raw bytes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compute_candidate", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("candidate_score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("candidate_reasons", sa.JSON(), nullable=True))
    op.create_index(
        "ix_notice_candidates_published",
        "notice",
        ["published_at"],
        sqlite_where=sa.text("compute_candidate = 1"),
        postgresql_where=sa.text("compute_candidate"),
    )


def downgrade() -> None:
    op.drop_index("ix_notice_candidates_published", table_name="notice")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_column("candidate_reasons")
        batch_op.drop_column("candidate_score")
        batch_op.drop_column("compute_candidate")
