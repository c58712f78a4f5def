"""Maps of a project's series and models: ``pr.maps``.

Positions come from the ``x``/``y`` metadata of the series (a model sits at its
oseries). There are no basemap tiles: the machines these maps are made on need not
reach the internet. A series or model without ``x``/``y`` is left out with a
:class:`~pastas_projects.errors.SkippedItemsWarning` that names it; a map with
nothing to show raises :class:`~pastas_projects.errors.NoCoordinatesError`.
"""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Colormap, LogNorm, Normalize
from matplotlib.lines import Line2D

from pastas_projects.errors import ModelNotSolvedError, UnknownNameError
from pastas_projects.modelling.checks import PASS
from pastas_projects.plotting._common import (
    HIGHER_IS_BETTER,
    PastasProject,
    finish_map,
    marker_size,
    model_positions,
    name_list,
    new_axes,
    parameter_values,
    require_positions,
    series_positions,
    statistic_values,
    warn_skipped,
)
from pastas_projects.plotting._common import label as stat_label

MAP_SIZE = (7.0, 7.0)
PASS_COLOUR, FAIL_COLOUR, NONE_COLOUR = "#2e9e5b", "#d1483b", "#b8b8b8"
STATUS_COLOURS = {"solved": "#2a7f9e", "failed": FAIL_COLOUR, "built": NONE_COLOUR}


def _colormap(cmap: str | Colormap, reverse: bool = False) -> Colormap:
    colours = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap
    return colours.reversed() if reverse else colours


def _categories(
    ax: Axes,
    table: pd.DataFrame,
    column: str,
    cmap: str | Colormap | None,
    colours: dict[str, str] | None = None,
    size: float | None = None,
    marker: str = "o",
    title: str | None = None,
    legend: bool = True,
    shrink: bool = False,
) -> list[Line2D]:
    """Points coloured by a categorical column, with a legend; return its handles.

    With ``shrink``, each next category is drawn smaller, so that series at the
    same place (precipitation and evaporation of one station) both stay visible.
    """
    values = table[column].astype(object).where(table[column].notna(), "-").astype(str)
    categories = sorted(values.unique())
    palette = _colormap(cmap or "tab10")
    handles = []
    for i, category in enumerate(categories):
        colour = (colours or {}).get(category) or palette(i % palette.N)
        part = table[values == category]
        area = (size or marker_size(len(table))) * (0.75**i if shrink else 1.0)
        ax.scatter(
            part["x"],
            part["y"],
            s=area,
            color=colour,
            marker=marker,
            edgecolors="white",
            linewidths=0.4,
            zorder=3,
        )
        handles.append(
            Line2D(
                [], [], marker=marker, linestyle="", color=colour, label=f"{category} ({len(part)})"
            )
        )
    if legend:
        ax.legend(handles=handles, title=title or column, loc="best", fontsize=8, title_fontsize=8)
    return handles


def _values(
    ax: Axes,
    positions: pd.DataFrame,
    values: pd.Series,
    cmap: str | Colormap,
    colorbar_label: str,
    vmin: float | None,
    vmax: float | None,
    log: bool,
    size: float | None,
) -> None:
    """Points coloured by a value, with a colour bar; the worst drawn on top."""
    joined = positions.join(values.rename("value"), how="inner")
    joined = joined.sort_values("value")
    v = joined["value"].to_numpy(dtype=float)
    if log:
        positive = v[v > 0]
        if positive.size == 0:
            raise ValueError(f"log=True needs positive values of {colorbar_label}")
        norm: Normalize = LogNorm(vmin or positive.min(), vmax or positive.max())
    else:
        low, high = np.nanpercentile(v, [2, 98]) if v.size > 20 else (v.min(), v.max())
        norm = Normalize(low if vmin is None else vmin, high if vmax is None else vmax)
    points = ax.scatter(
        joined["x"],
        joined["y"],
        c=v,
        cmap=cmap,
        norm=norm,
        s=size or marker_size(len(joined)),
        edgecolors="0.25",
        linewidths=0.3,
        zorder=3,
    )
    extend = "neither" if log else _extend(v, norm)
    ax.figure.colorbar(points, ax=ax, label=colorbar_label, shrink=0.8, pad=0.02, extend=extend)


def _extend(v: np.ndarray, norm: Normalize) -> str:
    below, above = bool((v < norm.vmin).any()), bool((v > norm.vmax).any())
    return {(True, True): "both", (True, False): "min", (False, True): "max"}.get(
        (below, above), "neither"
    )


def _labels(ax: Axes, positions: pd.DataFrame, labels: bool | None) -> None:
    if labels or (labels is None and len(positions) <= 25):
        for name, row in positions.iterrows():
            ax.annotate(
                str(name),
                (row["x"], row["y"]),
                xytext=(4, 3),
                textcoords="offset points",
                fontsize=7,
                color="0.25",
                zorder=4,
            )


class Maps:
    """Maps of the series and models of a project: ``pr.maps``.

    Parameters
    ----------
    project : PastasProject
        The project whose store is mapped.

    Examples
    --------
    >>> ax = pr.maps.modelstat("evp")  # doctest: +SKIP
    >>> ax = pr.maps.checks()  # doctest: +SKIP

    """

    def __init__(self, project: PastasProject) -> None:
        self.project = project

    def __repr__(self) -> str:
        return f"<Maps of {self.project!r}>"

    # ------------------------------------------------------------------ series
    def oseries(
        self,
        names: str | Iterable[str] | None = None,
        column: str | None = None,
        ax: Axes | None = None,
        figsize: tuple[float, float] | None = None,
        cmap: str | Colormap | None = None,
        labels: bool | None = None,
        size: float | None = None,
    ) -> Axes:
        """Positions of the oseries.

        Parameters
        ----------
        names : str or list of str, optional
            Oseries (default all).
        column : str, optional
            Colour the points by this metadata column (categories get a legend,
            numbers a colour bar).
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        figsize : (float, float), optional
            Size of a new figure.
        cmap : str or Colormap, optional
            Colours of ``column``.
        labels : bool, optional
            Write the names (default: when there are at most 25).
        size : float, optional
            Marker area.

        Returns
        -------
        matplotlib.axes.Axes

        """
        return self._series("oseries", names, column, ax, figsize, cmap, labels, size, "o")

    def stresses(
        self,
        names: str | Iterable[str] | None = None,
        column: str | None = "kind",
        ax: Axes | None = None,
        figsize: tuple[float, float] | None = None,
        cmap: str | Colormap | None = None,
        labels: bool | None = None,
        size: float | None = None,
    ) -> Axes:
        """Positions of the stresses, coloured by ``kind`` (prec, evap, well, ...).

        Parameters are those of :meth:`oseries`; ``column`` defaults to ``"kind"``.

        Returns
        -------
        matplotlib.axes.Axes

        """
        return self._series("stresses", names, column, ax, figsize, cmap, labels, size, "^")

    def _series(
        self,
        library: str,
        names: str | Iterable[str] | None,
        column: str | None,
        ax: Axes | None,
        figsize: tuple[float, float] | None,
        cmap: str | Colormap | None,
        labels: bool | None,
        size: float | None,
        marker: str,
    ) -> Axes:
        wanted = None if names is None else name_list(names, [])
        table, missing = series_positions(self.project, library, wanted)
        what = "oseries" if library == "oseries" else "stresses"
        table = require_positions(table, missing, what)
        ax = new_axes(ax, figsize, MAP_SIZE)
        if column is not None and column in table and table[column].notna().any():
            if pd.api.types.is_numeric_dtype(table[column]):
                _values(
                    ax,
                    table[["x", "y"]],
                    table[column],
                    cmap or "viridis",
                    column,
                    None,
                    None,
                    False,
                    size,
                )
            else:
                _categories(ax, table, column, cmap, size=size, marker=marker, shrink=True)
        elif column is not None and column != "kind":
            raise UnknownNameError(
                f"no metadata column {column!r} in {library}; columns: "
                f"{', '.join(c for c in table.columns if c not in ('x', 'y'))}"
            )
        else:
            ax.scatter(
                table["x"],
                table["y"],
                s=size or marker_size(len(table)),
                marker=marker,
                color="#2a7f9e" if library == "oseries" else "#c77d1a",
                edgecolors="white",
                linewidths=0.4,
                zorder=3,
            )
        _labels(ax, table, labels)
        return finish_map(ax, f"{len(table)} {what}")

    # ------------------------------------------------------------------ models
    def models(
        self,
        names: str | Iterable[str] | None = None,
        ax: Axes | None = None,
        figsize: tuple[float, float] | None = None,
        cmap: str | Colormap | None = None,
        labels: bool | None = None,
        size: float | None = None,
    ) -> Axes:
        """Positions of the models, coloured by status (solved, failed, built).

        Parameters
        ----------
        names : str or list of str, optional
            Models (default all).
        ax, figsize, cmap, labels, size
            As for :meth:`oseries`; ``cmap=None`` uses fixed status colours.

        Returns
        -------
        matplotlib.axes.Axes

        """
        records = self.project.db.model_records(names)
        if not records:
            raise ModelNotSolvedError("no models in the store to map")
        positions = model_positions(self.project, list(records), records)
        positions["status"] = [records[n].get("status") for n in positions.index]
        ax = new_axes(ax, figsize, MAP_SIZE)
        _categories(
            ax, positions, "status", cmap, None if cmap else STATUS_COLOURS, size, title="status"
        )
        _labels(ax, positions, labels)
        return finish_map(ax, f"{len(positions)} models")

    def modelstat(
        self,
        statistic: str = "evp",
        names: str | Iterable[str] | None = None,
        ax: Axes | None = None,
        figsize: tuple[float, float] | None = None,
        cmap: str | Colormap = "viridis",
        vmin: float | None = None,
        vmax: float | None = None,
        labels: bool | None = None,
        size: float | None = None,
    ) -> Axes:
        """The models coloured by a fit statistic, with a colour bar.

        Parameters
        ----------
        statistic : str
            A stored statistic (``evp``, ``rsq``, ``rmse``, ``nse``, ``kge``, ``aic``,
            ``bic``) or another ``ml.stats`` method (those rebuild the models).
        names : str or list of str, optional
            Models (default all solved ones).
        ax : matplotlib.axes.Axes, optional
            Axes to draw into.
        figsize : (float, float), optional
            Size of a new figure.
        cmap : str or Colormap
            Colour map; for statistics where lower is better (``rmse``, ``aic``)
            it is reversed, so the good end has the same colour for all.
        vmin, vmax : float, optional
            Colour range (default: the 2nd to 98th percentile).
        labels : bool, optional
            Write the names (default: when there are at most 25).
        size : float, optional
            Marker area.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        UnknownNameError
            If pastas has no such statistic.
        ModelNotSolvedError
            If none of the models was solved.
        NoCoordinatesError
            If none of them has a position.

        """
        records = self.project.db.model_records(names)
        values = statistic_values(self.project, statistic, names, "map", records)
        positions = model_positions(self.project, values.index.tolist(), records)
        colours = _colormap(cmap, reverse=statistic not in HIGHER_IS_BETTER)
        ax = new_axes(ax, figsize, MAP_SIZE)
        _values(ax, positions, values, colours, stat_label(statistic), vmin, vmax, False, size)
        _labels(ax, positions, labels)
        return finish_map(ax, f"{stat_label(statistic)} of {len(positions)} models")

    def modelparam(
        self,
        parameter: str,
        names: str | Iterable[str] | None = None,
        ax: Axes | None = None,
        figsize: tuple[float, float] | None = None,
        cmap: str | Colormap = "viridis",
        vmin: float | None = None,
        vmax: float | None = None,
        log: bool = False,
        labels: bool | None = None,
        size: float | None = None,
    ) -> Axes:
        """The models coloured by an optimal parameter, with a colour bar.

        Parameters
        ----------
        parameter : str
            A parameter name, e.g. ``"recharge_A"``.
        names : str or list of str, optional
            Models (default all solved ones); models without the parameter are
            left out with a warning.
        log : bool
            Logarithmic colour scale (for gains and time scales).
        ax, figsize, cmap, vmin, vmax, labels, size
            As for :meth:`modelstat`.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        UnknownNameError
            If no solved model has such a parameter.

        """
        records = self.project.db.model_records(names)
        values = parameter_values(self.project, parameter, names, "map", records)
        positions = model_positions(self.project, values.index.tolist(), records)
        ax = new_axes(ax, figsize, MAP_SIZE)
        _values(ax, positions, values, cmap, parameter, vmin, vmax, log, size)
        _labels(ax, positions, labels)
        return finish_map(ax, f"{parameter} of {len(positions)} models")

    def checks(
        self,
        check: str = PASS,
        names: str | Iterable[str] | None = None,
        ax: Axes | None = None,
        figsize: tuple[float, float] | None = None,
        cmap: str | Colormap | None = None,
        labels: bool | None = None,
        size: float | None = None,
    ) -> Axes:
        """The models coloured by the checks stored at solve time: pass or fail.

        Parameters
        ----------
        check : str
            ``"pass"`` (all checks passed; the default) or the label of one check,
            e.g. ``"rsq>=0.7"`` (see ``pr.get_checks().columns``).
        names : str or list of str, optional
            Models (default all); models without stored checks are grey.
        cmap : str or Colormap, optional
            Colours for fail (low end) and pass (high end); default red and green.
        ax, figsize, labels, size
            As for :meth:`oseries`.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        UnknownNameError
            If no model has a check of that label.

        """
        records = self.project.db.model_records(names)
        if not records:
            raise ModelNotSolvedError("no models in the store to map")
        checks = {n: r.get("checks") or {} for n, r in records.items()}
        known = sorted({c for found in checks.values() for c in found})
        if check not in known:
            if not known:
                raise ModelNotSolvedError(
                    f"none of the {len(records)} model(s) has stored checks (checks are "
                    "stored when a model is solved); solve them, or use pr.check_models()"
                )
            raise UnknownNameError(
                f"unknown check {check!r}; the stored checks are: {', '.join(known)}"
            )
        positions = model_positions(self.project, list(records), records)
        words = {True: "pass", False: "fail", None: "not checked"}
        positions["result"] = [words[checks[n].get(check)] for n in positions.index]
        unchecked = positions.index[positions["result"] == "not checked"].tolist()
        if unchecked:
            warn_skipped("models", unchecked, "no stored checks: shown grey")
        colours = {"pass": PASS_COLOUR, "fail": FAIL_COLOUR, "not checked": NONE_COLOUR}
        if cmap is not None:
            palette = _colormap(cmap)
            colours |= {"pass": palette(1.0), "fail": palette(0.0)}
        ax = new_axes(ax, figsize, MAP_SIZE)
        what = "all checks" if check == PASS else check
        _categories(ax, positions, "result", None, colours, size, title=what)
        _labels(ax, positions, labels)
        passed = int((positions["result"] == "pass").sum())
        judged = int((positions["result"] != "not checked").sum())
        return finish_map(ax, f"{what}: {passed} of {judged} models pass")

    def stresslinks(
        self,
        names: str | Iterable[str] | None = None,
        ax: Axes | None = None,
        figsize: tuple[float, float] | None = None,
        cmap: str | Colormap | None = None,
        labels: bool | None = None,
        size: float | None = None,
    ) -> Axes:
        """A line from each model's oseries to every stress the model uses.

        Parameters
        ----------
        names : str or list of str, optional
            Models (default all).
        cmap : str or Colormap, optional
            Colours of the stress kinds.
        ax, figsize, labels, size
            As for :meth:`oseries`; ``labels`` names the stresses.

        Returns
        -------
        matplotlib.axes.Axes

        """
        records = self.project.db.model_records(names)
        if not records:
            raise ModelNotSolvedError("no models in the store to map")
        positions = model_positions(self.project, list(records), records)
        used = sorted({s for n in positions.index for s in records[n].get("stresses") or []})
        stresses, missing = series_positions(
            self.project, "stresses", [s for s in used if self.project.db.has("stresses", s)]
        )
        if missing:
            warn_skipped("stresses", missing, "no x/y metadata: no line drawn to them")
        if "kind" not in stresses:
            stresses["kind"] = None
        segments, kinds = [], []
        for name in positions.index:
            start = positions.loc[name, ["x", "y"]].to_numpy(dtype=float)
            for stress in records[name].get("stresses") or []:
                if stress in stresses.index:
                    end = stresses.loc[stress, ["x", "y"]].to_numpy(dtype=float)
                    segments.append([start, end])
                    kinds.append(str(stresses.loc[stress, "kind"]))
        ax = new_axes(ax, figsize, MAP_SIZE)
        palette = _colormap(cmap or "tab10")
        kind_names = sorted(set(kinds) | set(stresses["kind"].astype(str)))
        colour_of = {k: palette(i % palette.N) for i, k in enumerate(kind_names)}
        if segments:
            ax.add_collection(
                LineCollection(
                    segments,
                    colors=[colour_of[k] for k in kinds],
                    linewidths=0.6,
                    alpha=0.6,
                    zorder=2,
                )
            )
        ax.scatter(
            positions["x"],
            positions["y"],
            s=size or marker_size(len(positions)),
            color="0.2",
            zorder=3,
        )
        handles = [
            Line2D(
                [], [], marker="o", linestyle="", color="0.2", label=f"oseries ({len(positions)})"
            )
        ]
        handles += _categories(
            ax,
            stresses.assign(kind=stresses["kind"].astype(str)),
            "kind",
            None,
            colour_of,
            60.0,
            "^",
            legend=False,
            shrink=True,
        )
        ax.legend(handles=handles, loc="best", fontsize=8)
        ax.autoscale_view()
        _labels(ax, stresses, labels)
        return finish_map(ax, f"Stresses of {len(positions)} models ({len(segments)} links)")


__all__ = ["Maps"]
