"""`tenderwatch user add NAME`: a reviewer for `tenderwatch serve --review`; the password is read from stdin."""

from __future__ import annotations

import sys

import click

from tenderwatch.options import database_url_option


@click.group()
def user():
    """Reviewers who may sign in to the review site."""


@user.command("add")
@click.argument("name")
@database_url_option
def add(name, database_url):
    """Add a reviewer. The password comes from standard input (typed twice at a terminal, else its first
    line), never from the command line where other users of the machine could read it."""
    from storage import db
    from storage.review import ReviewError, ReviewWriter

    if sys.stdin.isatty():
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        with ReviewWriter.open(database_url) as writer:
            writer.add_user(name, password)
    except (ReviewError, db.DatabaseError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {name} added")


@user.command("signout")
@click.argument("name")
@database_url_option
def signout(name, database_url):
    """End every review-site session of a reviewer at once (a lost laptop, a shared password)."""
    from storage import db
    from storage.review import ReviewError, ReviewWriter

    try:
        with ReviewWriter.open(database_url) as writer:
            ended = writer.end_sessions_of(name)
    except (ReviewError, db.DatabaseError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{ended} session{'s' if ended != 1 else ''} of {name} ended")
