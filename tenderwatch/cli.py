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
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(name for name, target in COMMANDS.items() if _module_exists(target))

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None or not _module_exists(target):
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


def _module_exists(target: str) -> bool:
    return importlib.util.find_spec(target.split(":")[0]) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tenderwatch")
def main():
    """Crawl public procurement notices, find remote-compute cases, search them."""


if __name__ == "__main__":
    main()
