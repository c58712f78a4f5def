"""Open any connector from one URI string (CLI, Prefect blocks, config files)."""

from __future__ import annotations

from pastas_projects.connectors.base import BaseConnector
from pastas_projects.errors import UnsupportedURIError

SCHEMES: dict[str, str] = {
    "lmdb": "ArcticDB on LMDB: an embedded store in a folder, no server",
    "mongodb": "ArcticDB on MongoDB",
    "s3": "ArcticDB on S3 (or an S3-compatible object store)",
    "mem": "ArcticDB in memory (this process only)",
    "pystore": "PyStore: Parquet files in a folder",
    "memory": "DictConnector: plain dictionaries in this process",
}


def connect(uri: str, name: str = "pastas_projects") -> BaseConnector:
    """Open a connector from a URI.

    Parameters
    ----------
    uri : str
        Where the store lives. The scheme picks the connector:

        * ``lmdb://./pastas_data`` -- ArcticDB on LMDB (embedded, the default)
        * ``mongodb://localhost:27017/`` -- ArcticDB on MongoDB
        * ``s3://host:bucket?...`` -- ArcticDB on S3
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

    """
    if not isinstance(uri, str) or "://" not in uri:
        raise UnsupportedURIError(
            f"store URI {uri!r} has no scheme; use one of " + ", ".join(f"{s}://" for s in SCHEMES)
        )
    scheme, rest = uri.split("://", 1)
    scheme = scheme.lower()
    if scheme in ("lmdb", "mongodb", "mongodb+srv", "s3", "s3s", "mem"):
        from pastas_projects.connectors.arctic import ArcticConnector

        return ArcticConnector(name, uri)
    if scheme == "pystore":
        from pastas_projects.connectors.pystore import PystoreConnector

        return PystoreConnector(name, rest)
    if scheme == "memory":
        from pastas_projects.connectors.dict import DictConnector

        return DictConnector(name)
    raise UnsupportedURIError(
        f"store URI {uri!r}: unsupported scheme {scheme!r}; supported: "
        + "; ".join(f"{s}:// ({what})" for s, what in SCHEMES.items())
    )
