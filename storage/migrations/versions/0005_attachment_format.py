"""Attachments say what they are: format, pages, OCR summary, archive members

`show`, the notice page and `stats` list each attachment with its format (doc, wps, docx, pdf, rar, 7z,
zip …, detected from the bytes, not the file name), its page count, whether OCR read it (the
`DocumentText.ocr` summary: engine, pages, confidence, capped) and, for archives, the members read from it
(name, format, pages, status, reason). All nullable: rows stored before this revision get them from the
next `tenderwatch reextract`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachment") as batch:
        batch.add_column(sa.Column("format", sa.String(), nullable=True))
        batch.add_column(sa.Column("pages", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("ocr", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("members", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attachment") as batch:
        batch.drop_column("members")
        batch.drop_column("ocr")
        batch.drop_column("pages")
        batch.drop_column("format")
