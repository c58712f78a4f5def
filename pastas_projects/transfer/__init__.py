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

from pastas_projects.transfer.copy import CopyPlan, copy_items, copy_store, plan_copy
from pastas_projects.transfer.csv import export_model_series_to_csv
from pastas_projects.transfer.pastastore import export_pastastore, import_pastastore
from pastas_projects.transfer.report import TransferReport
from pastas_projects.transfer.zip import FORMAT_VERSION, read_manifest, read_zip, write_zip

__all__ = [
    "FORMAT_VERSION",
    "CopyPlan",
    "TransferReport",
    "copy_items",
    "copy_store",
    "export_model_series_to_csv",
    "export_pastastore",
    "import_pastastore",
    "plan_copy",
    "read_manifest",
    "read_zip",
    "write_zip",
]
