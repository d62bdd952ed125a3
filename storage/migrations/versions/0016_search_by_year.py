"""search by year: PostgreSQL's text index partitioned by the year a notice was published

`notice_search(notice_id, part, bucket, published_at, tsv)` is partitioned by `bucket` (the year of
published_at, 0 for an undated notice), one partition per year (`notice_search_y2024`, `notice_search_undated`)
created when a notice of that year is first indexed (storage/search/partitions.py). Each row carries its notice's
publication date, so a search lists its newest matches year by year and stops when it has enough, reading each
year's own GIN index and heap (a year's parts lie together) instead of every match in the archive: at a million
notices a term in 2 % of them is 20,000 matches, its newest 500 are in the newest year.

A trigger keeps bucket and published_at equal to the notice's when its date changes (re-extraction, an update
that does not re-index). The rows are moved in this migration: at a million notices it rewrites the whole index
(tens of minutes). SQLite (FTS5) is unchanged.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# The bucket of a date (frozen copy of storage/search/partitions.BUCKET_SQL: a migration imports no app code).
_BUCKET = "coalesce(extract(year FROM {d})::int, 0)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE notice_search RENAME TO notice_search_flat")
    op.execute("ALTER INDEX ix_notice_search_tsv RENAME TO ix_notice_search_flat_tsv")
    op.execute(
        "CREATE TABLE notice_search ("
        " notice_id INTEGER NOT NULL REFERENCES notice(id) ON DELETE CASCADE,"
        " part INTEGER NOT NULL,"
        " bucket SMALLINT NOT NULL,"
        " published_at TIMESTAMP WITHOUT TIME ZONE,"
        " tsv TSVECTOR NOT NULL,"
        " CONSTRAINT notice_search_years_pkey PRIMARY KEY (notice_id, part, bucket)"
        ") PARTITION BY RANGE (bucket)"
    )
    # A tsvector with positions does not compress (pglz saves nothing, lz4 1 %), and the failed attempt makes
    # writing the parts ~4x slower (27,000 parts: 6.1 s, 1.5 s without): long parts go out of line as they are.
    op.execute("ALTER TABLE notice_search ALTER COLUMN tsv SET STORAGE EXTERNAL")
    # The one place a partition is made and named: by the writer before it indexes notices of a year without one,
    # by this migration and by the trigger below. Made apart and then attached, a partition locks the index table
    # only against another attach (SHARE UPDATE EXCLUSIVE), not against searches and other writers, as
    # `CREATE TABLE … PARTITION OF` would (ACCESS EXCLUSIVE) until the writer's transaction ends.
    op.execute("""
        CREATE FUNCTION notice_search_ensure_bucket(b int) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
          part text := CASE WHEN b = 0 THEN 'notice_search_undated' ELSE 'notice_search_y' || b END;
        BEGIN
          IF to_regclass(part) IS NOT NULL THEN
            RETURN;
          END IF;
          BEGIN
            EXECUTE format('CREATE TABLE %I (LIKE notice_search INCLUDING ALL)', part);
            EXECUTE format('ALTER TABLE notice_search ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', part, b, b + 1);
          EXCEPTION WHEN duplicate_table OR unique_violation THEN
            NULL;  -- made at the same moment by another writer
          END;
        END $$""")
    op.execute(f"SELECT notice_search_ensure_bucket(b) FROM (SELECT DISTINCT {_BUCKET.format(d='published_at')} AS b"
               " FROM notice) AS years")
    op.execute(
        "INSERT INTO notice_search (notice_id, part, bucket, published_at, tsv)"
        f" SELECT s.notice_id, s.part, {_BUCKET.format(d='n.published_at')}, n.published_at, s.tsv"
        " FROM notice_search_flat s JOIN notice n ON n.id = s.notice_id ORDER BY 3, 1, 2"
    )
    op.execute("DROP TABLE notice_search_flat")
    op.execute("CREATE INDEX ix_notice_search_tsv ON notice_search USING GIN (tsv)")
    op.execute(f"""
        CREATE FUNCTION notice_search_follow_date() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM notice_search WHERE notice_id = NEW.id) THEN
            PERFORM notice_search_ensure_bucket({_BUCKET.format(d='NEW.published_at')});
            UPDATE notice_search SET bucket = {_BUCKET.format(d='NEW.published_at')}, published_at = NEW.published_at
             WHERE notice_id = NEW.id;
          END IF;
          RETURN NULL;
        END $$""")
    op.execute(
        "CREATE TRIGGER notice_search_follow_date AFTER UPDATE OF published_at ON notice FOR EACH ROW"
        " WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at) EXECUTE FUNCTION notice_search_follow_date()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER notice_search_follow_date ON notice")
    op.execute("DROP FUNCTION notice_search_follow_date()")
    op.execute("DROP FUNCTION notice_search_ensure_bucket(int)")
    op.execute("ALTER TABLE notice_search RENAME TO notice_search_years")
    op.execute("ALTER INDEX ix_notice_search_tsv RENAME TO ix_notice_search_years_tsv")
    op.execute(
        "CREATE TABLE notice_search ("
        " notice_id INTEGER NOT NULL REFERENCES notice(id) ON DELETE CASCADE,"
        " part INTEGER NOT NULL,"
        " tsv TSVECTOR NOT NULL,"
        " PRIMARY KEY (notice_id, part))"
    )
    op.execute("INSERT INTO notice_search (notice_id, part, tsv) SELECT notice_id, part, tsv FROM notice_search_years")
    op.execute("DROP TABLE notice_search_years")
    op.execute("CREATE INDEX ix_notice_search_tsv ON notice_search USING GIN (tsv)")
