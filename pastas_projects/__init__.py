"""pastas_projects: keep Pastas series and models in a database or on disk.

>>> import pastas_projects as pp
>>> conn = pp.ArcticConnector("my_connector", "lmdb://./data/arctic")
>>> pr = pp.PastasProject("my_project", conn)
>>> pr.db.get_oseries("B58C0698")  # doctest: +SKIP
"""

from pastas_projects import errors
from pastas_projects.connect import connect
from pastas_projects.connectors import BaseConnector, DictConnector
from pastas_projects.database import Database
from pastas_projects.project import PastasProject

__version__ = "0.1.0"

__all__ = [
    "ArcticConnector",
    "BaseConnector",
    "Database",
    "DictConnector",
    "PastasProject",
    "PystoreConnector",
    "connect",
    "errors",
    "read_csv",
]


def __getattr__(name: str):  # PEP 562: heavy backends load on first use
    if name == "ArcticConnector":
        from pastas_projects.connectors.arctic import ArcticConnector

        return ArcticConnector
    if name == "PystoreConnector":
        from pastas_projects.connectors.pystore import PystoreConnector

        return PystoreConnector
    if name == "read_csv":
        from pastas_projects.io import read_csv

        return read_csv
    raise AttributeError(f"module 'pastas_projects' has no attribute {name!r}")
