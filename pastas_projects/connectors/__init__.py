"""Storage backends: one module per backend, storage only; :func:`connect` opens any.

Heavy backends are imported lazily, so ``import pastas_projects`` stays fast and a
missing optional backend only fails when it is used. What a store URI means is
decided in one place, :mod:`pastas_projects.connectors.uri`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pastas_projects.connectors.uri import ARCTIC_SCHEMES, check_uri, scheme_of

if TYPE_CHECKING:
    from pastas_projects.connectors.base import BaseConnector

_LAZY = {
    "LIBRARIES": "pastas_projects.connectors.base",
    "BaseConnector": "pastas_projects.connectors.base",
    "StoredItem": "pastas_projects.connectors.base",
    "VersionInfo": "pastas_projects.connectors.base",
    "DictConnector": "pastas_projects.connectors.dict",
    "ArcticConnector": "pastas_projects.connectors.arctic",
    "PystoreConnector": "pastas_projects.connectors.pystore",
}

__all__ = [
    "LIBRARIES",
    "BaseConnector",
    "StoredItem",
    "VersionInfo",
    "DictConnector",
    "ArcticConnector",
    "PystoreConnector",
    "connect",
    "see_other_processes_writes",
]


def connect(uri: str, name: str = "pastas_projects") -> BaseConnector:
    """Open a connector from a URI.

    Parameters
    ----------
    uri : str
        Where the store lives. The scheme picks the connector:

        * ``lmdb://./pastas_data`` -- ArcticDB on LMDB (embedded, the default)
        * ``mongodb://localhost:27017/`` or ``mongodb+srv://...`` -- ArcticDB on MongoDB
        * ``s3://host:bucket?...`` or ``s3s://...`` -- ArcticDB on S3
        * ``mem://`` -- ArcticDB in memory
        * ``pystore://./data/pystore`` -- PyStore folder
        * ``memory://`` -- :class:`~pastas_projects.DictConnector`
    name : str, optional
        Name of the connector (names its libraries or folders).

    Returns
    -------
    BaseConnector
        A live connector.

    Raises
    ------
    UnsupportedURIError
        When the scheme is not one of the above.

    Examples
    --------
    >>> import pastas_projects as pp
    >>> pp.connect("memory://", name="demo")
    DictConnector(name='demo')

    """
    scheme = scheme_of(check_uri(uri))
    if scheme in ARCTIC_SCHEMES:
        from pastas_projects.connectors.arctic import ArcticConnector

        return ArcticConnector(name, uri)
    if scheme == "pystore":
        from pastas_projects.connectors.pystore import PystoreConnector

        return PystoreConnector(name, uri.partition("://")[2])
    from pastas_projects.connectors.dict import DictConnector

    return DictConnector(name)


def see_other_processes_writes() -> None:
    """Make stores opened from now on see what other processes wrote, at once.

    For work spread over processes (the Prefect tasks on Dask workers and the flow
    that reads their results): ArcticDB otherwise serves the latest version of an
    item from a cache that may be seconds old, so a series another process just changed could
    look unchanged. PyStore and Dict connectors always read the latest state.
    """
    from pastas_projects.connectors.arctic import read_latest_versions

    read_latest_versions()


def __getattr__(name: str):  # PEP 562: backends (and pandas) load on first use
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
