"""Storage backends: one module per backend, storage only.

Heavy backends are imported lazily, so ``import pastas_projects`` stays fast and a
missing optional backend only fails when it is used.
"""

from pastas_projects.connectors.base import (
    LIBRARIES,
    BaseConnector,
    StoredItem,
    VersionInfo,
)
from pastas_projects.connectors.dict import DictConnector

__all__ = [
    "LIBRARIES",
    "BaseConnector",
    "StoredItem",
    "VersionInfo",
    "DictConnector",
    "ArcticConnector",
    "PystoreConnector",
    "see_other_processes_writes",
]


def see_other_processes_writes() -> None:
    """Make stores opened from now on see what other processes wrote, at once.

    For work spread over processes (the Prefect tasks on Dask workers and the flow
    that reads their results): ArcticDB otherwise serves the latest version of an
    item from a cache up to ~5 s old, so a series another process just changed could
    look unchanged. PyStore and Dict connectors always read the latest state.
    """
    from pastas_projects.connectors.arctic import read_latest_versions

    read_latest_versions()


def __getattr__(name: str):  # PEP 562 lazy imports
    if name == "ArcticConnector":
        from pastas_projects.connectors.arctic import ArcticConnector

        return ArcticConnector
    if name == "PystoreConnector":
        from pastas_projects.connectors.pystore import PystoreConnector

        return PystoreConnector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
