"""Store work of the command line that needs no Prefect: ``ingest`` and ``status``."""

from __future__ import annotations

import fnmatch
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pastas_projects.cli_common import CLIError

if TYPE_CHECKING:
    from pastas_projects.project import PastasProject

KINDS = ("oseries", "prec", "evap", "well")
"""Kinds of series ``ingest`` accepts; all but ``oseries`` are stresses."""


# ---------------------------------------------------------------------- ingest
@dataclass
class IngestReport:
    """What ``ingest`` did, by series name."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    unused_metadata: list[str] = field(default_factory=list)


def csv_files(paths: Iterable[Path]) -> list[Path]:
    """CSV files given directly or found (``*.csv``) in given folders, in order, once each.

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    CLIError
        If no CSV file is found at all.

    """
    found: dict[Path, None] = {}
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(2, "no such file or folder", str(path))
        if path.is_dir():
            found |= dict.fromkeys(sorted(p for p in path.glob("*.csv") if p.is_file()))
        else:
            found[path] = None
    if not found:
        raise CLIError(f"no CSV files in {', '.join(map(str, paths))}")
    return list(found)


def _plain(value: Any) -> Any:
    """A metadata cell as a JSON value (None for missing)."""
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_metadata_csv(path: Path) -> dict[str, dict[str, Any]]:
    """Read a CSV with a ``name`` column and metadata columns (``x``, ``y``, ...).

    Returns
    -------
    dict
        ``series name -> metadata``; empty cells are left out.

    """
    if not path.is_file():
        raise FileNotFoundError(2, "no such file", str(path))
    table = pd.read_csv(path, sep=None, engine="python", dtype={"name": str})
    table.columns = [str(c).strip() for c in table.columns]
    table = table.convert_dtypes()  # integer columns with gaps stay integers
    if "name" not in table.columns:
        raise CLIError(
            f"{path}: metadata CSV needs a 'name' column (found {', '.join(table.columns)})"
        )
    if table["name"].duplicated().any():
        dup = table["name"][table["name"].duplicated()].iloc[0]
        raise CLIError(f"{path}: name {dup!r} occurs more than once")
    metadata = {}
    for row in table.to_dict(orient="records"):
        name = str(row.pop("name")).strip()
        values = {str(k): _plain(v) for k, v in row.items()}
        metadata[name] = {k: v for k, v in values.items() if v is not None}
    return metadata


def ingest(
    project: PastasProject,
    paths: Sequence[Path],
    kind: str = "oseries",
    metadata: dict[str, dict[str, Any]] | None = None,
    unit: str | None = None,
    overwrite: bool = True,
) -> IngestReport:
    """Read CSV files (one series each, named after the file) into the store.

    A series already stored with other values is replaced (``overwrite``) even when
    models use it: those models become stale and ``solve --only-changed`` re-solves
    them. Stored metadata is kept and updated with ``metadata``.

    Parameters
    ----------
    project : PastasProject
        The store.
    paths : sequence of pathlib.Path
        CSV files or folders holding them.
    kind : {"oseries", "prec", "evap", "well"}
        Heads (``oseries``) or the kind of stress.
    metadata : dict, optional
        ``name -> metadata`` from :func:`read_metadata_csv`.
    unit : str, optional
        Unit conversion of the values, e.g. ``"cm->m"``.
    overwrite : bool
        Replace series that changed; with ``False`` they are reported as failed.

    Returns
    -------
    IngestReport

    """
    from pastas_projects.bookkeeping import series_hash, user_metadata
    from pastas_projects.io import read_csv

    if kind not in KINDS:
        raise CLIError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    files = csv_files(paths)
    library = "oseries" if kind == "oseries" else "stresses"
    metadata = dict(metadata or {})
    report = IngestReport()
    db = project.db
    stored_meta = db.conn._read_metadata(library, db._names(library))
    for path in files:
        name = path.stem
        try:
            series = read_csv(path, unit=unit)
            meta = user_metadata(stored_meta.get(name, {})) | metadata.pop(name, {})
            if library == "stresses":
                meta["kind"] = kind
            old = stored_meta.get(name)
            if library == "oseries":
                db.add_oseries(series, name, meta, overwrite=overwrite, force=overwrite)
            else:
                db.add_stress(series, name, metadata=meta, overwrite=overwrite, force=overwrite)
        except (ValueError, TypeError, OSError) as err:  # one bad file does not stop others
            report.failed[str(path)] = str(err)
            continue
        if old is None:
            report.added.append(name)
        elif old.get("_hash") != series_hash(series):
            report.updated.append(name)
        else:
            report.unchanged.append(name)
    report.unused_metadata = sorted(metadata)
    return report


# ---------------------------------------------------------------------- models
def select_models(
    project: PastasProject, names: list[str] | None, pattern: str | None
) -> list[str]:
    """Stored models by name list and/or glob pattern (all when both are None).

    Raises
    ------
    CLIError
        If a named model is not in the store, or nothing matches.

    """
    available = project.db.model_names
    if names:
        missing = sorted(set(names) - set(available))
        if missing:
            raise CLIError(f"model(s) not in the store: {', '.join(missing[:10])}")
        available = [n for n in available if n in set(names)]
    if pattern:
        available = [n for n in available if fnmatch.fnmatchcase(n, pattern)]
    if not available:
        what = f" matching {pattern!r}" if pattern else ""
        raise CLIError(f"no models{what} in the store; build them with `pastas-projects calibrate`")
    return available


def add_noise_models(project: PastasProject, names: Iterable[str]) -> int:
    """Give models without a noise model an AR(1) noise model; store them unsolved.

    Returns
    -------
    int
        How many models got one.

    """
    import pastas as ps

    db = project.db
    added = 0
    for name in names:
        ml = db.get_models(name)
        if ml.noisemodel is not None:
            continue
        ps.ArNoiseModel(ml)  # attaches itself to the model
        info = db.conn._read_metadata("models", [name])[name]
        db._write_model(ml, info.get("inputs", {}), info.get("input_versions", {}))
        added += 1
    return added


# ---------------------------------------------------------------------- status
def store_status(project: PastasProject) -> dict[str, Any]:
    """Counts of series and models in the store, and of models to (re-)solve.

    Returns
    -------
    dict
        ``oseries``, ``stresses``, ``stress_kinds`` (count per kind), ``models``,
        ``solved``, ``outdated`` (solved, but a series changed since), ``failed``,
        ``never_solved`` and ``to_solve`` (what ``solve --only-changed`` would solve).

    """
    db = project.db
    stresses = db.stresses
    kinds = Counter(stresses["kind"].fillna("-")) if "kind" in stresses else Counter()
    info = db.get_model_info()
    status = info["status"].value_counts()
    stale = set(db.stale_models()) if len(info) else set()
    solved = info.index[info["status"] == "solved"]
    return {
        "oseries": len(db.oseries_names),
        "stresses": int(len(stresses)),
        "stress_kinds": {str(k): int(v) for k, v in sorted(kinds.items())},
        "models": int(len(info)),
        "solved": int(status.get("solved", 0)),
        "outdated": int(sum(name in stale for name in solved)),
        "failed": int(status.get("failed", 0)),
        "never_solved": int(status.get("built", 0)),
        "to_solve": len(stale),
    }


def status_rows(counts: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """Rows of the ``status`` table."""
    kinds = ", ".join(f"{k} {v}" for k, v in counts["stress_kinds"].items())
    return [
        ("oseries", counts["oseries"], ""),
        ("stresses", counts["stresses"], kinds),
        ("models", counts["models"], ""),
        ("  solved", counts["solved"], f"{counts['outdated']} with changed series"),
        ("  failed", counts["failed"], ""),
        ("  never solved", counts["never_solved"], ""),
        ("to solve (--only-changed)", counts["to_solve"], ""),
    ]
