"""`dangan` command line: a thin layer over the library (never over the web layer)."""
from __future__ import annotations

import click

from . import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dangan")
def cli() -> None:
    """Dang'an (档案): index and search archives of scraped Chinese official reports."""


def _register() -> None:
    # Each command family lives in its own module under indexer/commands/.
    from .commands import extract, index, users

    for module in (extract, index, users):
        module.register(cli)


def main() -> None:
    _register()
    cli()
