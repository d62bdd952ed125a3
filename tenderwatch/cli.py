"""The `tenderwatch` command. Each subcommand lives in its own module under tenderwatch/commands/ and is
imported only when used, so `tenderwatch search` does not pay for Scrapy or spaCy start-up."""

import importlib
import importlib.util

import click

# name -> "module:function"; every module defines one click command.
COMMANDS = {
    "crawl": "tenderwatch.commands.crawl:crawl",
    "demo": "tenderwatch.commands.demo:demo",
    "replica": "tenderwatch.commands.replica:replica",
    "extract": "tenderwatch.commands.extract:extract",
    "reextract": "tenderwatch.commands.reextract:reextract",
    "ingest": "tenderwatch.commands.ingest:ingest",
    "search": "tenderwatch.commands.search:search",
    "show": "tenderwatch.commands.show:show",
    "stats": "tenderwatch.commands.stats:stats",
    "db": "tenderwatch.commands.db:db",
    "serve": "tenderwatch.commands.serve:serve",
    "digest": "tenderwatch.commands.digest:digest",
    "export": "tenderwatch.commands.export:export",
    "weekly": "tenderwatch.commands.weekly:weekly",
    "review": "tenderwatch.commands.review:review",
    "user": "tenderwatch.commands.user:user",
    "eval": "tenderwatch.commands.eval:eval_",
    "orgs": "tenderwatch.commands.orgs:orgs",
    "screening": "tenderwatch.commands.screening:screening",
}


class LazyGroup(click.Group):
    def invoke(self, ctx):
        # The one place where expected failures (an unreachable or missing database, a full disk, a closed
        # pipe) become one line and exit status 1 instead of a traceback. Bugs still show their traceback.
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # `tenderwatch search … | head`: the reader has gone, stop quietly
            _silence_stdout()
            ctx.exit(141)
        except Exception as exc:
            message = expected_failure(exc)
            if message is None:
                raise
            raise click.ClickException(message) from None

    def list_commands(self, ctx):
        return sorted(name for name, target in COMMANDS.items() if _module_exists(target))

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None or not _module_exists(target):
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


def expected_failure(exc: BaseException) -> str | None:
    """The one-line message for a failure the user can fix, or None for a bug."""
    from storage.db import DatabaseError

    if isinstance(exc, DatabaseError):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    import sqlalchemy.exc

    if isinstance(exc, sqlalchemy.exc.OperationalError):  # locked beyond the busy timeout, disk full, server gone
        first = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        return f"database error: {first}"
    return None


def _silence_stdout() -> None:
    import os
    import sys

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
    except (OSError, ValueError):
        pass


def _module_exists(target: str) -> bool:
    return importlib.util.find_spec(target.split(":")[0]) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tenderwatch")
def main():
    """Crawl public procurement notices, find remote-compute cases, search them."""


if __name__ == "__main__":
    main()
