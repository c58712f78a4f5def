"""Plots of a project's series and models: ``pr.plots``.

Every plot returns its matplotlib ``Axes`` (the results plot of one model returns
pastas' list of them), draws into ``ax=`` when given and otherwise makes a new
figure of ``figsize``. Models that cannot be shown (never solved, failed) are left
out with a :class:`~pastas_projects.errors.SkippedItemsWarning` that names them;
when none is left the plot raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from pastas_projects.errors import ItemNotFoundError, ModelNotSolvedError
from pastas_projects.plotting._common import (
    HIGHER_IS_BETTER,
    PastasProject,
    name_list,
    new_axes,
    shown,
    solved_models,
    statistic_values,
)
from pastas_projects.plotting._common import label as stat_label

PERIODS = {"YS": ("Y", "year"), "QS": ("Q", "quarter"), "MS": ("M", "month"), "W": ("W", "week")}
"""Periods :meth:`Plots.data_availability` counts observations in: pandas period, word."""


class Plots:
    """Plots of the series and models of a project: ``pr.plots``.

    Parameters
    ----------
    project : PastasProject
        The project whose store is plotted.

    Examples
    --------
    >>> ax = pr.plots.cumulative_hist("evp")  # doctest: +SKIP
    >>> axes = pr.plots.model("B58C0698001")  # doctest: +SKIP

    """

    def __init__(self, project: PastasProject) -> None:
        self.project = project

    def __repr__(self) -> str:
        return f"<Plots of {self.project!r}>"

    # ------------------------------------------------------------------ series
    def data_availability(
        self,
        names: str | Iterable[str] | None = None,
        libraries: Iterable[str] = ("oseries", "stresses"),
        period: str = "YS",
        ax: Axes | None = None,
        figsize: tuple[float, float] | None = None,
        cmap: str = "viridis",
    ) -> Axes:
        """When the series have observations: observations per period, one row each.

        Parameters
        ----------
        names : str or list of str, optional
            Series to show (looked up in ``libraries``); default all of them.
        libraries : sequence of {"oseries", "stresses"}
            Libraries to show, oseries rows first.
        period : {"YS", "QS", "MS", "W"}
            Count observations per year (default), quarter, month or week.
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        figsize : (float, float), optional
            Size of a new figure.
        cmap : str, optional
            Colour map of the counts (log scale); empty periods stay white.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        ItemNotFoundError
            If a named series is in none of the libraries.

        """
        if period not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
        libraries = list(libraries)
        for library in libraries:
            if library not in ("oseries", "stresses"):
                raise ValueError(f"libraries must be 'oseries' and/or 'stresses', not {library!r}")
        db = self.project.db
        chosen: list[tuple[str, str]] = []
        wanted = None if names is None else name_list(names, [])
        for library in libraries:
            available = db.names(library)
            chosen += [(library, n) for n in available if wanted is None or n in wanted]
        if wanted is not None:
            found = {n for _, n in chosen}
            missing = [n for n in wanted if n not in found]
            if missing:
                raise ItemNotFoundError(f"series not in {' or '.join(libraries)}: {shown(missing)}")
        if not chosen:
            raise ItemNotFoundError("no series in the store to show")
        code, word = PERIODS[period]
        counts = {}
        for library, name in chosen:
            series = (db.get_oseries if library == "oseries" else db.get_stresses)(name)
            observed = series.dropna()
            counts[(library, name)] = observed.groupby(observed.index.to_period(code)).size()
        table = pd.DataFrame(counts).T.fillna(0.0)
        table = table.reindex(columns=sorted(table.columns))
        if table.shape[1] == 0:
            raise ValueError("none of the series has an observation")
        full = pd.period_range(table.columns[0], table.columns[-1], freq=table.columns[0].freq)
        table = table.reindex(columns=full, fill_value=0.0)
        ax = new_axes(ax, figsize, (10.0, 1.5 + 0.22 * min(len(table), 60)))
        edges = [p.start_time for p in full] + [full[-1].end_time]
        values = np.ma.masked_less_equal(table.to_numpy(dtype=float), 0.0)
        mesh = ax.pcolormesh(
            edges,
            np.arange(len(table) + 1),
            values,
            cmap=cmap,
            norm=LogNorm(vmin=1, vmax=max(float(values.max() or 1), 2.0)),
            shading="flat",
        )
        ax.invert_yaxis()
        rows = [name for _, name in table.index]
        if len(rows) <= 60:
            ax.set_yticks(np.arange(len(rows)) + 0.5, rows, fontsize=7)
        else:
            ax.set_yticks([])
            ax.set_ylabel(f"{len(rows)} series")
        n_oseries = sum(lib == "oseries" for lib, _ in table.index)
        if 0 < n_oseries < len(rows):
            ax.axhline(n_oseries, color="k", linewidth=1.0)
        ax.figure.colorbar(
            mesh, ax=ax, label=f"observations per {word}", pad=0.01, fraction=0.03, aspect=30
        )
        ax.set_title("Data availability", loc="left", fontsize=11)
        ax.grid(True, axis="x", color="0.85", linewidth=0.5)
        return ax

    # ------------------------------------------------------------------ statistics
    def cumulative_hist(
        self,
        statistic: str = "evp",
        names: str | Iterable[str] | None = None,
        ax: Axes | None = None,
        figsize: tuple[float, float] | None = None,
        color: str | None = None,
        label: str | None = None,
    ) -> Axes:
        """Cumulative histogram of a fit statistic over the solved models.

        Parameters
        ----------
        statistic : str
            A stored statistic (``evp``, ``rsq``, ``rmse``, ``nse``, ``kge``, ``aic``,
            ``bic``) or any other ``ml.stats`` method (those rebuild the models).
        names : str or list of str, optional
            Models (default all solved ones).
        ax : matplotlib.axes.Axes, optional
            Axes to draw into (e.g. to compare two selections).
        figsize : (float, float), optional
            Size of a new figure.
        color : str, optional
            Line colour.
        label : str, optional
            Legend label (default: the number of models).

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        UnknownNameError
            If pastas has no such statistic.
        ModelNotSolvedError
            If none of the models was solved.

        """
        values = statistic_values(self.project, statistic, names, "plot")
        ax = new_axes(ax, figsize, (6.0, 4.0))
        x = np.sort(values.to_numpy())
        y = np.arange(1, len(x) + 1) / len(x)
        ax.step(x, y, where="post", color=color, label=label or f"{len(x)} models")
        median = float(np.median(x))
        ax.axvline(median, color="0.5", linestyle=":", linewidth=1.0)
        ax.annotate(
            f"median {median:.3g}",
            (median, 0.02),
            xytext=(3, 0),
            textcoords="offset points",
            fontsize=8,
            color="0.35",
        )
        ax.set_xlabel(stat_label(statistic))
        ax.set_ylabel("fraction of models ≤ value")
        ax.set_ylim(0.0, 1.02)
        ax.grid(True, color="0.9")
        better = "higher" if statistic in HIGHER_IS_BETTER else "lower"
        ax.set_title(
            f"Cumulative histogram of {stat_label(statistic)} ({better} is better)",
            loc="left",
            fontsize=11,
        )
        ax.legend(loc="upper left", frameon=False)
        return ax

    def histogram(
        self,
        statistic: str = "evp",
        names: str | Iterable[str] | None = None,
        bins: int = 30,
        ax: Axes | None = None,
        figsize: tuple[float, float] | None = None,
        color: str | None = None,
    ) -> Axes:
        """Histogram of a fit statistic over the solved models.

        Parameters
        ----------
        statistic : str
            See :meth:`cumulative_hist`.
        names : str or list of str, optional
            Models (default all solved ones).
        bins : int
            Number of bins.
        ax, figsize, color
            As for :meth:`cumulative_hist`.

        Returns
        -------
        matplotlib.axes.Axes

        """
        values = statistic_values(self.project, statistic, names, "plot")
        ax = new_axes(ax, figsize, (6.0, 4.0))
        ax.hist(
            values.to_numpy(), bins=bins, color=color or "#2a7f9e", edgecolor="white", linewidth=0.5
        )
        ax.set_xlabel(stat_label(statistic))
        ax.set_ylabel("models")
        ax.grid(True, axis="y", color="0.9")
        ax.set_axisbelow(True)
        ax.set_title(f"{stat_label(statistic)} of {len(values)} models", loc="left", fontsize=11)
        return ax

    # ------------------------------------------------------------------ models
    def model(
        self,
        name: str,
        figsize: tuple[float, float] | None = None,
        fig: Figure | None = None,
        **kwargs: Any,
    ) -> list[Axes]:
        """The results plot of pastas for one stored model, rebuilt from the store.

        Parameters
        ----------
        name : str
            The model.
        figsize : (float, float), optional
            Size of a new figure.
        fig : matplotlib.figure.Figure, optional
            Figure to draw into (the results plot needs a figure of its own).
        **kwargs
            Passed to :meth:`pastas.plotting.Plotting.results`, e.g. ``tmin``.

        Returns
        -------
        list of matplotlib.axes.Axes
            The axes of the results plot (simulation first).

        Raises
        ------
        ItemNotFoundError
            If the model is not in the store.
        ModelNotSolvedError
            If the model was never solved or solving it failed.

        """
        record = self.project.db.model_records(name)[name]
        if record.get("status") != "solved":
            why = f": {record.get('error')}" if record.get("error") else ""
            raise ModelNotSolvedError(
                f"model {name!r} is {record.get('status')}{why}; only a solved model has "
                "results to plot (pr.solve_models)"
            )
        ml = self.project.db.get_models(name)
        if fig is not None:
            kwargs["fig"] = fig
        elif figsize is not None:
            kwargs["figsize"] = figsize
        return ml.plots.results(**kwargs)

    def compare_models(
        self,
        names: Iterable[str],
        ax: Axes | None = None,
        figsize: tuple[float, float] | None = None,
        cmap: str = "tab10",
        tmin: str | pd.Timestamp | None = None,
        tmax: str | pd.Timestamp | None = None,
    ) -> Axes:
        """Observations and the simulations of several models in one plot.

        Parameters
        ----------
        names : list of str
            Models, e.g. several models of one well.
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        figsize : (float, float), optional
            Size of a new figure.
        cmap : str
            Colour map of the simulations.
        tmin, tmax : str or pandas.Timestamp, optional
            Period to show.

        Returns
        -------
        matplotlib.axes.Axes

        """
        names = name_list(names, [])
        if isinstance(names, str) or not names:
            raise ValueError("compare_models needs a list of model names")
        solved, records = solved_models(self.project, names, "compare")
        models = self.project.db.get_models(solved)
        ax = new_axes(ax, figsize, (10.0, 4.5))
        colours = mpl.colormaps[cmap]
        shown_oseries = set()
        for i, (name, ml) in enumerate(models.items()):
            oseries = ml.oseries.name
            if oseries not in shown_oseries:
                obs = ml.observations(tmin=tmin, tmax=tmax)
                ax.plot(
                    obs.index,
                    obs.to_numpy(),
                    ".",
                    color="0.2" if not shown_oseries else "0.55",
                    markersize=3,
                    label=f"{oseries} (observed)",
                )
                shown_oseries.add(oseries)
            sim = ml.simulate(tmin=tmin, tmax=tmax)
            evp = (records[name].get("statistics") or {}).get("evp")
            text = f"{name} (EVP {evp:.1f}%)" if evp is not None else name
            colour = (
                colours(i % colours.N) if colours.N < 256 else colours(i / max(len(models) - 1, 1))
            )
            ax.plot(sim.index, sim.to_numpy(), color=colour, linewidth=1.2, label=text)
        ax.set_ylabel("head")
        ax.grid(True, color="0.9")
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.08), ncol=3, frameon=False, fontsize=8)
        ax.set_title(f"{len(models)} models compared", loc="left", fontsize=11)
        return ax


def worst_first(values: pd.Series, statistic: str) -> pd.Series:
    """Values sorted from the worst fit to the best."""
    return values.sort_values(ascending=statistic in HIGHER_IS_BETTER)


__all__ = ["Plots", "worst_first"]
