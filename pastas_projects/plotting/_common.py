"""What the plots, maps and report share: axes, PNGs, names, positions, values, warnings.

Figures for files (the report, the Prefect artifacts) are made as
:class:`matplotlib.figure.Figure` objects drawn by the Agg canvas, never through
``pyplot``: no window, no global backend switch, and safe in worker threads. Only
a plot a user asks for without ``ax=`` goes through ``pyplot``, so that it shows in
a notebook or window like any matplotlib plot.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pastas_projects.errors import (
    ModelNotSolvedError,
    NoCoordinatesError,
    SkippedItemsWarning,
    UnknownNameError,
)
from pastas_projects.modelling.checks import check_statistic
from pastas_projects.store import Database
from pastas_projects.store.bookkeeping import DEFAULT_STATISTICS


class PastasProject(Protocol):
    """What plots, maps and the report use of a :class:`pastas_projects.PastasProject`.

    Typed as a protocol so that the plotting layer names no layer above it.
    """

    name: str
    db: Database

    def get_statistics(
        self, statistics: str | Sequence[str], names: Any = None, progressbar: bool = False
    ) -> pd.DataFrame:
        """Fit statistics per model."""


HIGHER_IS_BETTER = frozenset({"evp", "rsq", "nse", "kge", "rsq_adj", "kge_2012", "pi"})
"""Statistics for which a higher value is a better fit (for others: lower is better)."""

LABELS = {
    "evp": "EVP (%)",
    "rsq": "R²",
    "rmse": "RMSE (m)",
    "nse": "NSE",
    "kge": "KGE",
    "aic": "AIC",
    "bic": "BIC",
}
"""Axis labels of the stored statistics."""

SINGULAR = {"models": "model", "stresses": "stress"}
MAX_NAMED = 10
"""How many skipped names a warning lists before it says "and N more"."""


def label(statistic: str) -> str:
    """Axis label of a statistic."""
    return LABELS.get(statistic, statistic)


# ---------------------------------------------------------------------- figures
def new_axes(ax: Axes | None, figsize: tuple[float, float] | None, default: tuple) -> Axes:
    """``ax``, or new axes of a new pyplot figure (a user's interactive plot)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize or default, layout="constrained")
    return ax


def file_figure(figsize: tuple[float, float]) -> Figure:
    """A figure for a file: no pyplot, drawn by Agg."""
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure, dpi: int = 90) -> bytes:
    """The figure as PNG bytes (white background)."""
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


# ---------------------------------------------------------------------- names
def name_list(names: str | Iterable[str] | None, default: list[str]) -> list[str]:
    """``names`` as a list (one name, several, or ``default`` for None)."""
    if names is None:
        return default
    if isinstance(names, str):
        return [names]
    return list(dict.fromkeys(names))


def shown(names: Sequence[str]) -> str:
    """Names for a message: at most :data:`MAX_NAMED`, then "and N more"."""
    names = list(names)
    text = ", ".join(map(str, names[:MAX_NAMED]))
    if len(names) > MAX_NAMED:
        text += f" and {len(names) - MAX_NAMED} more"
    return text


def warn_skipped(what: str, names: Sequence[str], why: str, stacklevel: int = 4) -> None:
    """Warn that items were left out, naming them."""
    if names:
        if len(names) == 1:
            what = SINGULAR.get(what, what)
        warnings.warn(
            f"{len(names)} {what} left out ({why}): {shown(names)}",
            SkippedItemsWarning,
            stacklevel=stacklevel,
        )


def solved_models(
    project: PastasProject,
    names: str | Iterable[str] | None,
    action: str,
    records: dict[str, dict] | None = None,
) -> tuple[list[str], dict[str, dict]]:
    """Models that were solved, of those asked; warn about (or refuse) the others.

    ``records`` are the models' records when the caller read them already.

    Returns
    -------
    (list of str, dict)
        The solved models and the records of all models asked for.

    Raises
    ------
    ItemNotFoundError
        If a named model is not in the store.
    ModelNotSolvedError
        If none of the models was solved.

    """
    records = project.db.model_records(names) if records is None else records
    solved = [n for n, r in records.items() if r.get("status") == "solved"]
    unsolved = [n for n, r in records.items() if r.get("status") != "solved"]
    if not solved:
        if not records:
            raise ModelNotSolvedError(f"no models in the store to {action}")
        raise ModelNotSolvedError(
            f"cannot {action}: no model of those asked was solved ({describe(records)}); "
            "solve them first (pr.solve_models() or `pastas-projects solve`)"
        )
    warn_skipped("models", unsolved, f"never solved or failed; nothing to {action}")
    return solved, records


def describe(records: dict[str, dict]) -> str:
    """E.g. ``"a: built, b: failed"`` (the first few)."""
    items = [f"{n}: {r.get('status')}" for n, r in records.items()]
    return shown(items)


# ---------------------------------------------------------------------- values
def statistic_values(
    project: PastasProject,
    statistic: str,
    names: str | Iterable[str] | None,
    action: str,
    records: dict[str, dict] | None = None,
) -> pd.Series:
    """One statistic of the solved models asked for (warning about the others).

    A stored statistic is read from the records (``records`` if given, so a map of
    many models reads them once); any other is computed on the rebuilt models.
    """
    check_statistic(statistic)
    solved, records = solved_models(project, names, action, records)
    if statistic in DEFAULT_STATISTICS:
        values = pd.Series(
            {n: (records[n].get("statistics") or {}).get(statistic) for n in solved},
            dtype=float,
        )
    else:
        values = project.get_statistics([statistic], solved)[statistic]
    missing = values.index[values.isna()].tolist()
    warn_skipped("models", missing, f"{statistic} is undefined for them")
    return values.dropna()


def parameter_values(
    project: PastasProject,
    parameter: str,
    names: str | Iterable[str] | None,
    action: str,
    records: dict[str, dict] | None = None,
) -> pd.Series:
    """One optimal parameter of the solved models that have it."""
    solved, records = solved_models(project, names, action, records)
    known = sorted({p for n in solved for p in (records[n].get("parameters") or {})})
    if parameter not in known:
        raise UnknownNameError(
            f"unknown parameter {parameter!r}; the solved models have: {', '.join(known)}"
        )
    values = pd.Series(
        {n: (records[n].get("parameters") or {}).get(parameter) for n in solved}, dtype=float
    )
    warn_skipped("models", values.index[values.isna()].tolist(), f"they have no {parameter}")
    return values.dropna()


# ---------------------------------------------------------------------- positions
def series_positions(
    project: PastasProject, library: str, names: Iterable[str] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """``x``/``y`` (and the other metadata) of series, and the names without both."""
    table = project.db.get_metadata(library, None if names is None else list(names))
    for column in ("x", "y"):
        if column not in table:
            table[column] = np.nan
        table[column] = pd.to_numeric(table[column], errors="coerce")
    ok = table["x"].notna() & table["y"].notna() & np.isfinite(table["x"]) & np.isfinite(table["y"])
    return table[ok], table.index[~ok].tolist()


def model_positions(
    project: PastasProject, names: Sequence[str], records: dict[str, dict] | None = None
) -> pd.DataFrame:
    """``x``/``y`` of models (those of their oseries), warning about models without.

    Raises
    ------
    NoCoordinatesError
        If none of the models has a position.

    """
    records = records if records is not None else project.db.model_records(names)
    oseries = {n: records[n].get("oseries") for n in names}
    wanted = sorted({o for o in oseries.values() if o is not None})
    known = set(project.db.oseries_names)
    table, _ = series_positions(project, "oseries", [o for o in wanted if o in known])
    rows = {n: o for n, o in oseries.items() if o in table.index}
    without = [n for n in names if n not in rows]
    if not rows:
        raise NoCoordinatesError(
            f"none of the {len(names)} model(s) has a position: their oseries have no x/y "
            f"metadata ({shown(without)}); add it with pr.db.update_metadata or "
            "`pastas-projects ingest --metadata-csv`"
        )
    warn_skipped("models", without, "their oseries have no x/y metadata")
    positions = table.loc[list(rows.values()), ["x", "y"]]
    positions.index = pd.Index(list(rows), name="model")
    return positions


def require_positions(table: pd.DataFrame, missing: list[str], what: str) -> pd.DataFrame:
    """Positions of series: warn about those without, fail when none has any."""
    if table.empty:
        raise NoCoordinatesError(
            f"none of the {len(missing)} {what} has x/y metadata"
            + (f" ({shown(missing)})" if missing else "")
        )
    warn_skipped(what, missing, "no x/y metadata")
    return table


def finish_map(ax: Axes, title: str) -> Axes:
    """Equal scales, light grid, labels: a map without basemap tiles."""
    ax.set_aspect("equal", adjustable="datalim")
    ax.grid(True, color="0.9", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.ticklabel_format(style="plain", useOffset=False)
    ax.tick_params(labelsize=8)
    ax.set_title(title, loc="left", fontsize=11)
    return ax


def marker_size(n: int) -> float:
    """Marker area that keeps 10 points visible and 10,000 points apart."""
    return float(np.clip(4000.0 / max(n, 1), 4.0, 60.0))
