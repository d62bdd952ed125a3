"""version text once: a notice's newest version keeps no copy of the notice's body text

`noticeversion.text` of each notice's newest version (its highest id) equalled `notice.text`: every notice's
largest column was stored twice (about 2 KB a notice of PostgreSQL's 28 at 100,000 notices). The newest
version's text is now "" (models.tables.NoticeVersion): a change moves the replaced text into the version that
held it before the new one is added. Earlier versions keep theirs. A newest version whose text differs from the
notice's (none is written so) is left as it is.

On PostgreSQL the freed space is reused by new rows; `VACUUM FULL noticeversion` returns it to the disk.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_NEWEST = "noticeversion.id IN (SELECT max(id) FROM noticeversion GROUP BY notice_id)"
_NOTICE_TEXT = "(SELECT notice.text FROM notice WHERE notice.id = noticeversion.notice_id)"


def upgrade() -> None:
    op.execute(f"UPDATE noticeversion SET text = '' WHERE {_NEWEST} AND text <> '' AND text = {_NOTICE_TEXT}")


def downgrade() -> None:
    op.execute(f"UPDATE noticeversion SET text = {_NOTICE_TEXT} WHERE {_NEWEST} AND text = ''")
