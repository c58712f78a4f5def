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
]


def __getattr__(name: str):  # PEP 562 lazy imports
    if name == "ArcticConnector":
        from pastas_projects.connectors.arctic import ArcticConnector

        return ArcticConnector
    if name == "PystoreConnector":
        from pastas_projects.connectors.pystore import PystoreConnector

        return PystoreConnector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
