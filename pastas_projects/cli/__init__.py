"""The ``pastas-projects`` command line: one module per command group.

The app is :data:`pastas_projects.cli.root.app`; importing this package registers
every command group on it (the console script is ``pastas_projects.cli:app``).
Command modules import only what their commands need, when they run.
"""

# each command group registers itself on the app when imported
from pastas_projects.cli import (
    block,  # noqa: F401
    cluster,  # noqa: F401
    demo,  # noqa: F401
    flows,  # noqa: F401
    report,  # noqa: F401
    server,  # noqa: F401
    store,  # noqa: F401
    transfer,  # noqa: F401
)
from pastas_projects.cli.root import app

__all__ = ["app"]

if __name__ == "__main__":  # pragma: no cover
    app()
