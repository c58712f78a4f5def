"""What the ingest step reads: CSV paths, metadata tables, bundled data sets, series.

Flow parameters are sent to the Prefect API as JSON (at most 512 KB), so series
cannot be flow parameters as they are; :class:`SeriesData` wraps in-memory series
so that Prefect records only a short summary of them.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_serializer

from pastas_projects.tasks.ingest import series_item


class SeriesData(BaseModel):
    """In-memory series to ingest, shown by Prefect as counts only.

    Examples
    --------
    >>> from pastas_projects.datasets import synthetic
    >>> data = SeriesData.of(synthetic(3))
    >>> data.model_dump()
    {'oseries': 3, 'stresses': 8, 'in_memory': True}

    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    oseries: dict[str, Any] = Field(default_factory=dict)
    oseries_metadata: dict[str, dict] = Field(default_factory=dict)
    stresses: dict[str, Any] = Field(default_factory=dict)
    stresses_metadata: dict[str, dict] = Field(default_factory=dict)

    @model_serializer
    def _summary(self) -> dict[str, Any]:
        return {"oseries": len(self.oseries), "stresses": len(self.stresses), "in_memory": True}

    @classmethod
    def of(cls, data: Any) -> SeriesData:
        """Wrap a :class:`~pastas_projects.datasets.SeriesCollection` or a dict like it."""
        if isinstance(data, SeriesData):
            return data
        fields = ("oseries", "oseries_metadata", "stresses", "stresses_metadata")
        get = data.get if isinstance(data, dict) else lambda k, d=None: getattr(data, k, d)
        return cls(**{f: dict(get(f, None) or {}) for f in fields})

    def items(self) -> list[dict[str, Any]]:
        """Ingest items (stresses first)."""
        found = []
        for name, series in self.stresses.items():
            meta = dict(self.stresses_metadata.get(name) or {})
            found.append(series_item("stresses", name, series=series, metadata=meta))
        for name, series in self.oseries.items():
            meta = dict(self.oseries_metadata.get(name) or {})
            found.append(series_item("oseries", name, series=series, metadata=meta))
        return found


def load_dataset(spec: str) -> SeriesData:
    """A bundled data set by name: ``"examples"`` or ``"synthetic:N[:SEED]"``.

    Raises
    ------
    ValueError
        If the name is not one of those.

    """
    from pastas_projects import datasets

    name, _, rest = spec.strip().partition(":")
    if name == "examples" and not rest:
        return SeriesData.of(datasets.load_examples())
    if name == "synthetic":
        n, _, seed = rest.partition(":")
        try:
            return SeriesData.of(datasets.synthetic(int(n), int(seed or 0)))
        except ValueError:
            pass
    raise ValueError(f"dataset must be 'examples' or 'synthetic:N[:SEED]', not {spec!r}")


def expand_paths(paths: list[str] | str | None) -> list[str]:
    """Absolute CSV paths from files, folders (their ``*.csv``) and glob patterns.

    A path that does not exist is kept (its item then fails with
    ``FileNotFoundError``, recorded like any other failure).
    """
    if paths is None:
        return []
    if isinstance(paths, str | Path):
        paths = [str(paths)]
    found: list[str] = []
    for entry in paths:
        path = Path(entry).expanduser()
        if path.is_dir():
            found += sorted(str(p.resolve()) for p in path.glob("*.csv") if p.is_file())
        elif glob.has_magic(str(path)):
            found += sorted(str(Path(p).resolve()) for p in glob.glob(str(path)))
        else:
            found.append(str(path.resolve()))
    return list(dict.fromkeys(found))


def read_metadata_csv(path: str | None) -> dict[str, dict]:
    """Metadata per series from a CSV table: first column the name, others the keys."""
    if not path:
        return {}
    table = pd.read_csv(path, index_col=0)
    return {
        str(name): {k: v.item() if hasattr(v, "item") else v for k, v in row.dropna().items()}
        for name, row in table.iterrows()
    }


def ingest_items(
    oseries_paths: list[str] | str | None = None,
    stress_paths: dict[str, list[str] | str] | None = None,
    metadata: dict[str, dict] | None = None,
    metadata_csv: str | None = None,
    dataset: str | None = None,
    data: Any = None,
) -> list[dict[str, Any]]:
    """All ingest items of a flow's inputs (see :func:`ingest_flow` for the meaning).

    Returns
    -------
    list of dict
        Items for :func:`~pastas_projects.tasks.ingest.ingest_batch`, stresses first.

    """
    meta = read_metadata_csv(metadata_csv) | dict(metadata or {})
    items: list[dict[str, Any]] = []
    for source in (load_dataset(dataset) if dataset else None, data):
        if source is not None:
            for item in SeriesData.of(source).items():
                item["metadata"] = item["metadata"] | meta.get(item["name"], {})
                items.append(item)
    for kind, paths in (stress_paths or {}).items():
        for path in expand_paths(paths):
            name = Path(path).stem
            items.append(series_item("stresses", name, path, metadata=meta.get(name), kind=kind))
    for path in expand_paths(oseries_paths):
        name = Path(path).stem
        items.append(series_item("oseries", name, path, metadata=meta.get(name)))
    return items
