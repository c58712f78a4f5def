"""Move a project: copy between stores, zip files, pastastore, CSV files.

* :func:`copy_store` copies series and models between any two stores, with their
  bookkeeping; :func:`plan_copy` and :func:`copy_items` are its parts (the copy
  flow runs them on Dask).
* :func:`write_zip` and :func:`read_zip` write and read one portable,
  self-describing zip file (``PastasProject.to_zip`` / ``PastasProject.from_zip``).
* :func:`import_pastastore` and :func:`export_pastastore`: the way in from
  pastastore and the way back.
* :func:`export_model_series_to_csv` writes the series of models as CSV files
  that :func:`pastas_projects.read_csv` reads back exactly.

Each returns a :class:`TransferReport` of what happened to every item.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "FORMAT_VERSION": "pastas_projects.transfer.zip",
    "CopyPlan": "pastas_projects.transfer.copy",
    "TransferReport": "pastas_projects.transfer.report",
    "copy_items": "pastas_projects.transfer.copy",
    "copy_store": "pastas_projects.transfer.copy",
    "export_model_series_to_csv": "pastas_projects.transfer.csv",
    "export_pastastore": "pastas_projects.transfer.pastastore",
    "import_pastastore": "pastas_projects.transfer.pastastore",
    "plan_copy": "pastas_projects.transfer.copy",
    "read_manifest": "pastas_projects.transfer.zip",
    "read_zip": "pastas_projects.transfer.zip",
    "write_zip": "pastas_projects.transfer.zip",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):  # PEP 562: pastas and pastastore load when they are used
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
