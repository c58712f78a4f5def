"""The series of models as CSV files that :func:`pastas_projects.read_csv` reads back."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from pastas_projects.store import Database
from pastas_projects.store.base import name_list
from pastas_projects.store.bookkeeping import user_metadata
from pastas_projects.store.model_json import json_series_names


def export_model_series_to_csv(
    db: Database,
    names: str | Iterable[str] | None,
    folder: str | os.PathLike,
    metadata: bool = True,
    progressbar: bool = False,
) -> list[Path]:
    """Write the oseries and stresses of models as CSV files, one series per file.

    Layout: ``folder/oseries/<name>.csv`` and ``folder/stresses/<name>.csv`` (a
    stress shared by several models is written once), plus, with ``metadata``,
    ``folder/oseries_metadata.csv`` and ``folder/stresses_metadata.csv`` (a ``name``
    column and one column per metadata key, as
    :func:`pastas_projects.io.read_metadata_csv` reads them). So the files go back
    into a store with ``pastas-projects ingest folder/oseries --metadata-csv
    folder/oseries_metadata.csv``.

    Each file has a header line ``time,<name>`` and one line per timestamp; values
    are written as float64 with all their digits, so
    ``pp.read_csv(path, dropna=False)`` gives the stored values and timestamps back
    exactly (as float64; without ``dropna=False`` missing values are dropped).

    Parameters
    ----------
    db : Database
        The store.
    names : str or list of str or None
        Models (``None``: all).
    folder : str or path
        Where to write (created if missing); files of the same name are replaced.
    metadata : bool, optional
        Also write the metadata tables.
    progressbar : bool, optional
        Show a progress bar.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ItemNotFoundError
        If a model is not in the store.
    ModelBuildError
        If a model's JSON cannot be read.

    """
    folder = Path(folder)
    wanted: dict[str, list[str]] = {"oseries": [], "stresses": []}
    for model in name_list(names, db.model_names):
        for library, series_name in json_series_names(db.read_item("models", model).data):
            if series_name not in wanted[library]:
                wanted[library].append(series_name)
    written = []
    total = sum(map(len, wanted.values()))
    with tqdm(total=total, desc="Writing CSV files", disable=not progressbar) as bar:
        for library, series_names in wanted.items():
            if not series_names:
                continue
            (folder / library).mkdir(parents=True, exist_ok=True)
            for series_name in series_names:
                series = db.get_oseries(series_name) if library == "oseries" else None
                if series is None:
                    series = db.get_stresses(series_name)
                path = folder / library / f"{series_name}.csv"
                frame = series.astype("float64").to_frame(series_name)
                frame.index = frame.index.rename("time")
                frame.to_csv(path, float_format=None)
                written.append(path)
                bar.update(1)
            if metadata:
                records = db.series_records(library, series_names)
                table = pd.DataFrame.from_dict(
                    {n: user_metadata(records[n]) for n in series_names}, orient="index"
                )
                table.index.name = "name"
                path = folder / f"{library}_metadata.csv"
                table.to_csv(path)
                written.append(path)
    return written
