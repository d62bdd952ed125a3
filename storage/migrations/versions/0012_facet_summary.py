"""facet summary: counts of every facet value over all notices, kept by triggers (storage/search/summary.py)

An unfiltered search (the site's front page, the archive browse) shows facet counts over every notice;
counting them per request is a pass over a million rows. `facet_total(facet, value, n)` holds the counts;
triggers on notice, noticetag and noticeparty append ±1 rows to `facet_delta` (insert-only, so concurrent
writers never wait on, or deadlock over, one hot counter row), and writers fold the deltas into the totals
now and then (`summary.compact`). A read is the totals plus the few unfolded deltas: exact at any moment.
The facets are those of storage.search.model.FACETS, with the engine's definitions: tags by (facet, value),
vendors by organisation id, buyer by notice.buyer_id, region, notice_type and year of published_at.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# (facet, value, condition) SQL per source table, over the row alias {r} (NEW or OLD).
_NOTICE = [
    ("'buyer'", "CAST({r}.buyer_id AS TEXT)", "{r}.buyer_id IS NOT NULL"),
    ("'region'", "{r}.region", "{r}.region IS NOT NULL"),
    ("'notice_type'", "{r}.notice_type", "{r}.notice_type IS NOT NULL"),
    ("'year'", "{year}", "{r}.published_at IS NOT NULL"),
]
_TAG = [("{r}.facet", "{r}.value", "1 = 1")]
_PARTY = [("'vendor'", "CAST({r}.organisation_id AS TEXT)", "{r}.role = 'vendor'")]
_TABLES = {
    "notice": (_NOTICE, ["buyer_id", "region", "notice_type", "published_at"]),
    "noticetag": (_TAG, ["facet", "value"]),
    "noticeparty": (_PARTY, ["organisation_id", "role"]),
}


def _year(dialect: str, r: str) -> str:
    return f"substr({r}.published_at, 1, 4)" if dialect == "sqlite" else f"to_char({r}.published_at, 'YYYY')"


def _rows(dialect: str, table: str, r: str, sign: int) -> list[str]:
    """INSERT statements adding `sign` for each facet value of row `r`."""
    out = []
    for facet, value, cond in _TABLES[table][0]:
        fmt = dict(r=r, year=_year(dialect, r))
        out.append(
            f"INSERT INTO facet_delta(facet, value, d) SELECT {facet.format(**fmt)}, {value.format(**fmt)}, {sign}"
            f" WHERE {cond.format(**fmt)};"
        )
    return out


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "facet_total",
        sa.Column("facet", sa.String(), primary_key=True),
        sa.Column("value", sa.String(), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_index("ix_facet_total_rank", "facet_total", ["facet", "n"])
    op.create_table(
        "facet_delta",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("facet", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("d", sa.Integer(), nullable=False),
    )
    for table, (_, columns) in _TABLES.items():
        changed = " OR ".join(
            f"OLD.{c} IS NOT NEW.{c}" if dialect == "sqlite" else f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns
        )
        bodies = {
            "insert": _rows(dialect, table, "NEW", 1),
            "delete": _rows(dialect, table, "OLD", -1),
            "update": _rows(dialect, table, "OLD", -1) + _rows(dialect, table, "NEW", 1),
        }
        for event, body in bodies.items():
            name = f"trg_{table}_facets_{event}"
            when = f" WHEN ({changed})" if event == "update" else ""
            of = f" OF {', '.join(columns)}" if event == "update" else ""
            if dialect == "sqlite":
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {event.upper()}{of} ON {table} FOR EACH ROW{when}"
                    f" BEGIN {' '.join(body)} END"
                )
            else:
                op.execute(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {' '.join(body)}"
                    " RETURN NULL; END $$"
                )
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {event.upper()}{of} ON {table} FOR EACH ROW{when}"
                    f" EXECUTE FUNCTION {name}()"
                )
    if dialect == "postgresql":
        # Date order as search pages it (newest first, undated last, then by id), read from the index alone:
        # a broad search walks it and stops after a page or the capped candidate set.
        op.execute("CREATE INDEX ix_notice_published_desc ON notice (published_at DESC NULLS LAST, id DESC)")
    # Existing notices: the totals as they are now.
    bind = op.get_bind()
    year = _year(dialect, "n")
    bind.execute(sa.text(
        "INSERT INTO facet_total(facet, value, n) SELECT facet, value, count(*) FROM ("
        " SELECT t.facet AS facet, t.value AS value FROM noticetag t"
        " UNION ALL SELECT 'vendor', CAST(p.organisation_id AS TEXT) FROM noticeparty p WHERE p.role = 'vendor'"
        " UNION ALL SELECT 'buyer', CAST(n.buyer_id AS TEXT) FROM notice n WHERE n.buyer_id IS NOT NULL"
        " UNION ALL SELECT 'region', n.region FROM notice n WHERE n.region IS NOT NULL"
        " UNION ALL SELECT 'notice_type', n.notice_type FROM notice n WHERE n.notice_type IS NOT NULL"
        f" UNION ALL SELECT 'year', {year} FROM notice n WHERE n.published_at IS NOT NULL"
        ") AS v GROUP BY facet, value"
    ))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in _TABLES:
        for event in ("insert", "delete", "update"):
            name = f"trg_{table}_facets_{event}"
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if dialect == "sqlite" else f" ON {table}"))
            if dialect != "sqlite":
                op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_notice_published_desc")
    op.drop_table("facet_delta")
    op.drop_index("ix_facet_total_rank", table_name="facet_total")
    op.drop_table("facet_total")
