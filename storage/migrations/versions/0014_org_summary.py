"""organisation summary: the directory's numbers per organisation, kept by writers (storage/org_directory.py)

`org_summary(entity, role, notices, cases, is_buyer, is_vendor, is_agency, budget, award, value)` per
organisation as shown (its canonical row) and role ('' = every role). Triggers append the organisations a
write touches to `org_summary_dirty` (insert-only): a party row added, removed or changed; a notice's case
flag, procurement or date changed and an amount written (every organisation on its procurement's notices: the
newest notice stating an amount decides the procurement's money); a review (the notice's organisations); a
resolution decided (the organisation and the organisation it was and is shown as). Writers recount the marked
organisations; readers recount those still marked, so the directory is exact at any moment.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_MARK = "INSERT INTO org_summary_dirty(entity) "
# The organisations (as shown) of party rows of the notices `{notices}` selects.
_PARTIES = (
    _MARK + "SELECT DISTINCT coalesce(r.into_id, p.organisation_id) FROM noticeparty p"
    " LEFT JOIN organisation_resolution r ON r.organisation_id = p.organisation_id WHERE p.notice_id IN ({notices});"
)
# A notice and the other notices of its procurement.
_PROCUREMENT = "SELECT {r}.notice_id UNION SELECT n.id FROM notice n WHERE n.procurement_key = " \
               "(SELECT n0.procurement_key FROM notice n0 WHERE n0.id = {r}.notice_id)"


def _shown(column: str) -> str:
    return f"SELECT coalesce((SELECT r.into_id FROM organisation_resolution r WHERE r.organisation_id = {column}), {column});"


# table → (columns an update must change, {event: statements}); {r} is NEW or OLD.
_TABLES = {
    "noticeparty": (["organisation_id", "role", "notice_id"], {
        "insert": [_MARK + _shown("NEW.organisation_id")],
        "delete": [_MARK + _shown("OLD.organisation_id")],
        "update": [_MARK + _shown("OLD.organisation_id"), _MARK + _shown("NEW.organisation_id")],
    }),
    "notice": (["remote_compute", "procurement_key", "published_at"], {
        "update": [_PARTIES.format(notices="SELECT OLD.id UNION SELECT n.id FROM notice n"
                                           " WHERE n.procurement_key IN (OLD.procurement_key, NEW.procurement_key)")],
    }),
    "noticeamount": (["notice_id", "kind", "value_cny"], {
        "insert": [_PARTIES.format(notices=_PROCUREMENT.format(r="NEW"))],
        "delete": [_PARTIES.format(notices=_PROCUREMENT.format(r="OLD"))],
        "update": [_PARTIES.format(notices=_PROCUREMENT.format(r="OLD")),
                   _PARTIES.format(notices=_PROCUREMENT.format(r="NEW"))],
    }),
    "review": (["notice_id", "decision"], {
        "insert": [_PARTIES.format(notices="SELECT NEW.notice_id")],
        "delete": [_PARTIES.format(notices="SELECT OLD.notice_id")],
        "update": [_PARTIES.format(notices="SELECT OLD.notice_id"), _PARTIES.format(notices="SELECT NEW.notice_id")],
    }),
    "organisation_resolution": (["into_id", "organisation_id"], {
        "insert": [_MARK + "SELECT NEW.organisation_id;", _MARK + "SELECT coalesce(NEW.into_id, NEW.organisation_id);"],
        "delete": [_MARK + "SELECT OLD.organisation_id;", _MARK + "SELECT coalesce(OLD.into_id, OLD.organisation_id);"],
        "update": [_MARK + "SELECT OLD.organisation_id;", _MARK + "SELECT NEW.organisation_id;",
                   _MARK + "SELECT coalesce(OLD.into_id, OLD.organisation_id);",
                   _MARK + "SELECT coalesce(NEW.into_id, NEW.organisation_id);"],
    }),
}


def _names():
    for table, (_, bodies) in _TABLES.items():
        for event in bodies:
            yield table, event, f"trg_{table}_orgs_{event}"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "org_summary",
        sa.Column("entity", sa.Integer(), primary_key=True),
        sa.Column("role", sa.String(), primary_key=True),
        sa.Column("notices", sa.Integer(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("is_buyer", sa.Integer(), nullable=False),
        sa.Column("is_vendor", sa.Integer(), nullable=False),
        sa.Column("is_agency", sa.Integer(), nullable=False),
        sa.Column("budget", sa.Float()),
        sa.Column("award", sa.Float()),
        sa.Column("value", sa.Float()),
    )
    # The directory's sorts, read in order from an index: most cases, most notices, most money.
    op.create_index("ix_org_summary_cases", "org_summary", ["role", "cases", "notices"])
    op.create_index("ix_org_summary_notices", "org_summary", ["role", "notices", "cases"])
    op.create_index("ix_org_summary_value", "org_summary", ["role", "value"])
    op.create_table(
        "org_summary_dirty",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("entity", sa.Integer(), nullable=False),
    )
    op.create_index("ix_org_summary_dirty_entity", "org_summary_dirty", ["entity"])
    for table, event, name in _names():
        columns, bodies = _TABLES[table]
        body = " ".join(bodies[event])
        if event == "update":
            changed = " OR ".join(
                f"OLD.{c} IS NOT NEW.{c}" if dialect == "sqlite" else f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns
            )
            when, of = f" WHEN ({changed})", f" OF {', '.join(columns)}"
        else:
            when = of = ""
        if dialect == "sqlite":
            op.execute(f"CREATE TRIGGER {name} AFTER {event.upper()}{of} ON {table} FOR EACH ROW{when} BEGIN {body} END")
        else:
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$")
            op.execute(f"CREATE TRIGGER {name} AFTER {event.upper()}{of} ON {table} FOR EACH ROW{when}"
                       f" EXECUTE FUNCTION {name}()")
    # Existing organisations: marked, so reads recount them until the summary is filled. The filling is not done
    # here — a migration must not run live code, which follows later schemas — but by storage.db.upgrade once the
    # schema is at its target (storage.org_directory.refresh).
    op.execute(_MARK + "SELECT id FROM organisation")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, _event, name in _names():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if dialect == "sqlite" else f" ON {table}"))
        if dialect != "sqlite":
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_index("ix_org_summary_dirty_entity", table_name="org_summary_dirty")
    op.drop_table("org_summary_dirty")
    op.drop_index("ix_org_summary_value", table_name="org_summary")
    op.drop_index("ix_org_summary_notices", table_name="org_summary")
    op.drop_index("ix_org_summary_cases", table_name="org_summary")
    op.drop_table("org_summary")
