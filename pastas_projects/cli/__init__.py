"""The ``pastas-projects`` command line: one module per command group.

The app is :data:`pastas_projects.cli.root.app`; importing this package registers
every command group on it (the console script is ``pastas_projects.cli:app``).
Command modules import only what their commands need, when they run.
"""

from pastas_projects.cli import block, demo, flows, server, store  # noqa: F401 (registers)
from pastas_projects.cli.root import app

__all__ = ["app"]

if __name__ == "__main__":  # pragma: no cover
    app()
