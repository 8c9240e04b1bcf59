"""The `drillbook` command line, an interface like the pages: one module per command group, all on one blueprint."""

from views.cli import actions, audit, backup, database, demo, export, notify, people, reports  # noqa: F401  (each adds its commands to bp)
from views.cli.support import bp

__all__ = ["bp"]
