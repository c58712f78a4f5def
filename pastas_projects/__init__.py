"""pastas_projects: keep Pastas series and models in a database or on disk.

>>> import pastas_projects as pp
>>> conn = pp.ArcticConnector("my_connector", "lmdb://./data/arctic")  # doctest: +SKIP
>>> pr = pp.PastasProject("my_project", conn)  # doctest: +SKIP
>>> pr.db.get_oseries("B58C0698")  # doctest: +SKIP

The package root is the public face; the layers below it are described in
``docs/architecture.md``.
"""

from pastas_projects import errors

__version__ = "0.1.0"

_LAZY = {
    "ArcticConnector": "pastas_projects.connectors.arctic",
    "BaseConnector": "pastas_projects.connectors.base",
    "Database": "pastas_projects.store",
    "DictConnector": "pastas_projects.connectors.dict",
    "PastasProject": "pastas_projects.project",
    "PystoreConnector": "pastas_projects.connectors.pystore",
    "connect": "pastas_projects.connectors",
    "read_csv": "pastas_projects.io",
    "copy_store": "pastas_projects.transfer",
    "export_pastastore": "pastas_projects.transfer",
    "import_pastastore": "pastas_projects.transfer",
}

__all__ = [
    "ArcticConnector",
    "BaseConnector",
    "Database",
    "DictConnector",
    "PastasProject",
    "PystoreConnector",
    "connect",
    "copy_store",
    "errors",
    "export_pastastore",
    "import_pastastore",
    "read_csv",
]


def __getattr__(name: str):  # PEP 562: pastas, pandas and the backends load on first use
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pastas_projects' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
