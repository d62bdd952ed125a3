"""Every command that opens the database is addressed the same way (`--database-url`, one option defined
once), a read command never creates a database, and a database that cannot be used is one line on stderr
and exit status 1 — never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from tenderwatch.cli import COMMANDS, main

# Commands that never open the database; and subcommands that do not (`db reindex-packs` reads and indexes the
# raw folder's packs only).
NO_DATABASE = {"extract", "replica"}
NO_DATABASE_SUBCOMMANDS = {("db", "reindex-packs")}


def leaf_commands(group: click.Group, ctx: click.Context, prefix: tuple[str, ...] = ()):
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if isinstance(cmd, click.Group):
            yield from leaf_commands(cmd, ctx, prefix + (name,))
        else:
            yield prefix + (name,), cmd


def all_leaf_commands():
    with click.Context(main) as ctx:
        return list(leaf_commands(main, ctx))


def test_every_command_that_opens_the_database_takes_one_database_url_option():
    commands = [(path, cmd) for path, cmd in all_leaf_commands()
                if path[0] not in NO_DATABASE and path not in NO_DATABASE_SUBCOMMANDS]
    assert {path[0] for path, _ in commands} == set(COMMANDS) - NO_DATABASE
    for path, cmd in commands:
        spellings = [opt for p in cmd.params for opt in p.opts + p.secondary_opts
                     if "database" in opt or opt in ("--url", "--db")]
        assert spellings == ["--database-url"], (" ".join(path), spellings)


def test_the_database_url_option_is_defined_once():
    from tenderwatch.options import database_url_option

    @database_url_option
    def reference(database_url):
        pass

    expected = reference.__click_params__[0]
    for path, cmd in all_leaf_commands():
        for p in cmd.params:
            if "--database-url" in p.opts:
                assert (p.name, p.help, p.envvar) == (expected.name, expected.help, expected.envvar), " ".join(path)


READ_COMMANDS = [
    ["search", "算力"],
    ["show", "1"],
    ["stats"],
    ["reextract"],
    ["digest", "--week", "2026-W47"],
    ["export", "--format", "csv", "--out", "{tmp}/out.csv"],
    ["db", "current"],
    ["db", "reindex"],
    ["serve"],
]


@pytest.mark.parametrize("args", READ_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_read_command_given_a_missing_sqlite_database_fails_and_creates_nothing(args, tmp_path, data_dir):
    missing = tmp_path / "nonexist" / "x.db"
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(main, [*args, "--database-url", f"sqlite:///{missing}"])
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [f"Error: no database at {missing}"]
    assert not missing.parent.exists()
    assert list(data_dir.iterdir()) == []


def test_a_read_command_on_an_existing_empty_database_answers(empty_db):
    result = CliRunner().invoke(main, ["stats", "--json", "--database-url", empty_db])
    assert result.exit_code == 0, result.output
    assert '"notices": 0' in result.output


def test_the_default_database_is_the_environments(tmp_path, data_dir, monkeypatch):
    url = f"sqlite:///{tmp_path / 'from-env.db'}"
    monkeypatch.setenv("TENDERWATCH_DATABASE_URL", url)
    assert CliRunner().invoke(main, ["stats"]).exit_code == 1  # not there yet: not created by a read
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    assert (tmp_path / "from-env.db").exists()
    assert CliRunner().invoke(main, ["stats"]).exit_code == 0


@pytest.fixture
def refused_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args", [["search", "算力"], ["stats"], ["show", "1"], ["db", "upgrade"],
                                  ["digest", "--week", "2026-W47"], ["serve"], ["ingest", "{tmp}"],
                                  ["crawl", "ccgp", "--site-root", "http://127.0.0.1:9", "--delay", "0"]],
                         ids=lambda a: " ".join(a[:2]))
def test_an_unreachable_postgresql_is_one_line_and_exit_status_1(args, refused_port, data_dir, tmp_path):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    url = f"postgresql+psycopg://reporter:s3cret@127.0.0.1:{refused_port}/test"
    done = subprocess.run([sys.executable, "-m", "tenderwatch.cli", *args, "--database-url", url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (f"Error: cannot connect to postgresql+psycopg://reporter:***@127.0.0.1:{refused_port}/test: "
                           "connection refused\n")


def test_a_postgresql_database_that_does_not_exist_is_named(postgres_url):
    import sqlalchemy as sa

    url = sa.engine.make_url(postgres_url).set(database="tw_no_such_db").render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["stats", "--database-url", url])
    assert result.exit_code == 1
    assert 'database "tw_no_such_db" does not exist' in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("url", ["nonsense", "mysql://u@h/db"])
def test_a_database_url_that_names_no_usable_database_is_a_clear_error(url, data_dir):
    result = CliRunner().invoke(main, ["stats", "--database-url", url])
    assert result.exit_code == 1 and result.output.startswith("Error: ")
    assert len(result.output.strip().splitlines()) == 1 and result.exception.__class__ is SystemExit


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path, data_dir):
    bogus = tmp_path / "notes.db"
    bogus.write_text("these are my notes, not a database\n" * 10)
    result = CliRunner().invoke(main, ["stats", "--database-url", f"sqlite:///{bogus}"])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: cannot connect to sqlite:///{bogus}: file is not a database"


def test_an_output_that_cannot_be_written_is_one_line(tmp_path, empty_db):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    result = CliRunner().invoke(main, ["export", "--format", "csv", "--out", str(blocker / "sub" / "out.csv"),
                                       "--database-url", empty_db])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {blocker / 'sub'}: Not a directory"]


def test_an_id_beyond_the_database_range_is_no_notice(empty_db):
    result = CliRunner().invoke(main, ["show", str(2**63), "--database-url", empty_db])
    assert result.exit_code == 1 and result.output == f"Error: no notice with id {2**63}\n"
