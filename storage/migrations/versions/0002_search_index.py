"""search index: bigram full-text index over title, body and attachment text (storage/search)

SQLite: a contentless FTS5 table keyed by notice id (rowid), columns title and body, fed with the
tokens of storage.search.tokens (space-separated, so unicode61 only splits on spaces). Contentless keeps
the index at ~4 bytes per character instead of storing the token text a second time.
PostgreSQL: tsvector chunks per notice (positions cap at 16,383 and a lexeme keeps at most 256
positions, so long texts are split into overlapping parts) with a GIN index.
search_meta records which tokenizer built the index, so a tokenizer change triggers a rebuild.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_meta",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", sa.String(), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE notice_fts USING fts5("
            "title, body, content='', tokenize='unicode61 remove_diacritics 0')"
        )
        # bm25 weights: a hit in the title counts ten times one in the body.
        op.execute("INSERT INTO notice_fts(notice_fts, rank) VALUES('rank', 'bm25(10.0, 1.0)')")
    else:
        op.execute(
            "CREATE TABLE notice_search ("
            " notice_id INTEGER NOT NULL REFERENCES notice(id) ON DELETE CASCADE,"
            " part INTEGER NOT NULL,"
            " tsv TSVECTOR NOT NULL,"
            " PRIMARY KEY (notice_id, part))"
        )
        op.execute("CREATE INDEX ix_notice_search_tsv ON notice_search USING GIN (tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE notice_fts")
    else:
        op.execute("DROP TABLE notice_search")
    op.drop_table("search_meta")
