"""initial schema: sources, notices and their versions, links, attachments, organisations and parties,
amounts, compute tags, extractions, crawl runs and errors (models/tables.py)

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawlrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spider", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("args", sa.JSON(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("crawlrun", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crawlrun_spider"), ["spider"], unique=False)

    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("normalised_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisation_normalised_name"), ["normalised_name"], unique=True)

    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("base_url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_name"), ["name"], unique=True)

    op.create_table(
        "crawlerror",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawlrun.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("crawlerror", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crawlerror_reason"), ["reason"], unique=False)
        batch_op.create_index(batch_op.f("ix_crawlerror_run_id"), ["run_id"], unique=False)

    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("notice_type", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("bid_deadline", sa.DateTime(), nullable=True),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("project_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("buyer_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("raw_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("raw_content_type", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("raw_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=""),
        sa.Column("list_meta", sa.JSON(), nullable=True),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("last_changed", sa.DateTime(), nullable=False),
        sa.Column("extractor_version", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("remote_compute", sa.Boolean(), nullable=False),
        sa.Column("hardware_purchase", sa.Boolean(), nullable=False),
        sa.Column("procurement_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("simhash", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url", name="uq_notice_url"),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_external_id"), ["external_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_first_seen"), ["first_seen"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_notice_type"), ["notice_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_procurement_key"), ["procurement_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_project_code"), ["project_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_published_at"), ["published_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_region"), ["region"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_remote_compute"), ["remote_compute"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_simhash"), ["simhash"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_source"), ["source"], unique=False)

    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notice_id", "url", name="uq_attachment_notice_url"),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_notice_id"), ["notice_id"], unique=False)

    op.create_table(
        "extraction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("extractor_version", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notice_id", "extractor_version", name="uq_extraction_notice_version"),
    )
    with op.batch_alter_table("extraction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extraction_notice_id"), ["notice_id"], unique=False)

    op.create_table(
        "noticeamount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value_cny", sa.Float(), nullable=True),
        sa.Column("percent", sa.Float(), nullable=True),
        sa.Column("raw", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("noticeamount", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_noticeamount_notice_id"), ["notice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_noticeamount_value_cny"), ["value_cny"], unique=False)

    op.create_table(
        "noticelink",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url", name="uq_noticelink_url"),
    )
    with op.batch_alter_table("noticelink", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_noticelink_notice_id"), ["notice_id"], unique=False)

    op.create_table(
        "noticeparty",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notice.id"],
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("notice_id", "organisation_id", "role"),
    )
    with op.batch_alter_table("noticeparty", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_noticeparty_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "noticetag",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("facet", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("inherited", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notice.id"],
        ),
        sa.PrimaryKeyConstraint("notice_id", "facet", "value"),
    )
    with op.batch_alter_table("noticetag", schema=None) as batch_op:
        batch_op.create_index("ix_noticetag_facet_value", ["facet", "value"], unique=False)

    op.create_table(
        "noticeversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("raw_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("noticeversion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_noticeversion_notice_id"), ["notice_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("noticeversion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_noticeversion_notice_id"))

    op.drop_table("noticeversion")
    with op.batch_alter_table("noticetag", schema=None) as batch_op:
        batch_op.drop_index("ix_noticetag_facet_value")

    op.drop_table("noticetag")
    with op.batch_alter_table("noticeparty", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_noticeparty_organisation_id"))

    op.drop_table("noticeparty")
    with op.batch_alter_table("noticelink", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_noticelink_notice_id"))

    op.drop_table("noticelink")
    with op.batch_alter_table("noticeamount", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_noticeamount_value_cny"))
        batch_op.drop_index(batch_op.f("ix_noticeamount_notice_id"))

    op.drop_table("noticeamount")
    with op.batch_alter_table("extraction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extraction_notice_id"))

    op.drop_table("extraction")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_notice_id"))

    op.drop_table("attachment")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_source"))
        batch_op.drop_index(batch_op.f("ix_notice_simhash"))
        batch_op.drop_index(batch_op.f("ix_notice_remote_compute"))
        batch_op.drop_index(batch_op.f("ix_notice_region"))
        batch_op.drop_index(batch_op.f("ix_notice_published_at"))
        batch_op.drop_index(batch_op.f("ix_notice_project_code"))
        batch_op.drop_index(batch_op.f("ix_notice_procurement_key"))
        batch_op.drop_index(batch_op.f("ix_notice_notice_type"))
        batch_op.drop_index(batch_op.f("ix_notice_first_seen"))
        batch_op.drop_index(batch_op.f("ix_notice_external_id"))
        batch_op.drop_index(batch_op.f("ix_notice_content_hash"))
        batch_op.drop_index(batch_op.f("ix_notice_buyer_id"))
        batch_op.drop_index(batch_op.f("ix_notice_agency_id"))

    op.drop_table("notice")
    with op.batch_alter_table("crawlerror", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crawlerror_run_id"))
        batch_op.drop_index(batch_op.f("ix_crawlerror_reason"))

    op.drop_table("crawlerror")
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_name"))

    op.drop_table("source")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_normalised_name"))

    op.drop_table("organisation")
    with op.batch_alter_table("crawlrun", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crawlrun_spider"))

    op.drop_table("crawlrun")
