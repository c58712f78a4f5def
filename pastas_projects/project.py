"""PastasProject: a Pastas project whose series and models live in a store."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from tqdm.auto import tqdm

from pastas_projects.errors import DefinitionError, ItemExistsError, ItemNotFoundError
from pastas_projects.store import Database, queries
from pastas_projects.store.base import name_list
from pastas_projects.store.bookkeeping import DEFAULT_STATISTICS
from pastas_projects.store.outcomes import Outcome

if TYPE_CHECKING:
    import pastas as ps

    from pastas_projects.connectors.base import BaseConnector
    from pastas_projects.plotting import Maps, Plots
    from pastas_projects.transfer.report import TransferReport

# pastas and the modelling layer load on first use, so that commands that only read
# the store (``pastas-projects status``) start without importing pastas and numba.


class PastasProject:
    """Manage Pastas series and models kept in a database or on disk.

    Parameters
    ----------
    name : str
        Name of the project.
    connector : BaseConnector
        Where the data lives, e.g. ``pp.ArcticConnector("x", "lmdb://./pastas_data")``.

    Attributes
    ----------
    db : Database
        Read, write and delete series and models: ``pr.db.get_oseries("x")``.

    Examples
    --------
    >>> import pastas_projects as pp
    >>> pr = pp.PastasProject("demo", pp.DictConnector("demo"))

    """

    def __init__(self, name: str, connector: BaseConnector) -> None:
        self.name = name
        self.db = Database(connector)

    def __repr__(self) -> str:
        return f"<PastasProject {self.name!r} on {self.db.conn!r}>"

    # ------------------------------------------------------------------ models
    def create_model(
        self,
        oseries: str,
        recharge: tuple[str, str] | str | None = "nearest",
        stresses: Sequence[str] = (),
        rfunc: str = "Exponential",
        recharge_model: str = "Linear",
        name: str | None = None,
        noise: bool = False,
        add: bool = True,
        overwrite: bool = False,
    ) -> ps.Model:
        """Build a model from stored series (and store it).

        Parameters
        ----------
        oseries : str
            Name of the oseries.
        recharge : (str, str), "nearest" or None, optional
            Precipitation and evaporation stress names for a RechargeModel;
            ``"nearest"`` (default) picks the stresses of kind ``prec`` and ``evap``
            nearest to the oseries by ``x``/``y`` metadata; None adds no recharge.
        stresses : sequence of str, optional
            Further stresses (e.g. pumping); see
            :func:`pastas_projects.modelling.build_model`.
        rfunc : str, optional
            Response function of the recharge, default ``"Exponential"``.
        recharge_model : str, optional
            Recharge model, default ``"Linear"``.
        name : str, optional
            Model name; defaults to the oseries name.
        noise : bool, optional
            Add an AR(1) noise model.
        add : bool, optional
            Store the model (default True).
        overwrite : bool, optional
            Replace a stored model of that name.

        Returns
        -------
        pastas.Model
            The (unsolved) model.

        """
        from pastas_projects.modelling import build_model

        model_name = name or oseries
        if add and not overwrite and self.db.has("models", model_name):
            raise ItemExistsError(
                f"model {model_name!r} is already in the store; use overwrite=True to replace it"
            )
        ml, inputs, versions = build_model(
            self.db, oseries, recharge, stresses, rfunc, recharge_model, name, noise
        )
        if add:
            self.db.write_model(ml, inputs, versions)
        return ml

    def solve_models(
        self,
        names: str | Iterable[str] | None = None,
        only_changed: bool = False,
        progressbar: bool = True,
        raise_errors: bool = False,
        warm_start: bool = True,
        **solve_kwargs: Any,
    ) -> pd.DataFrame:
        """Solve models one after another and store the results.

        Parameters
        ----------
        names : str or list of str, optional
            Models to solve (default all).
        only_changed : bool, optional
            Only models that are unsolved, failed, or whose series changed since
            they were solved.
        progressbar : bool, optional
            Show a progress bar.
        raise_errors : bool, optional
            Raise the first failure instead of recording it and going on.
        warm_start : bool, optional
            Start each model from its last optimal parameters, when it has them
            (default); ``False`` starts from the initial parameters (a cold solve).
        **solve_kwargs
            Passed to :meth:`pastas.Model.solve`.

        Returns
        -------
        pandas.DataFrame
            One row per model: ``ok``, ``step``, ``seconds``, ``error`` and the fit
            statistics. Failures are also stored with the model (``status`` ``failed``).

        """
        from pastas_projects.modelling import solve_batch

        if isinstance(names, str):
            names = [names]
        names = self.db.model_names if names is None else list(names)
        if only_changed:
            names = self.db.stale_models(names)
        bar = tqdm(total=len(names), desc="Solving models", disable=not progressbar)

        def progress(outcome: Outcome) -> None:
            bar.update(1)
            if raise_errors and not outcome.ok:
                raise RuntimeError(f"model {outcome.name!r} failed: {outcome.error}")

        try:
            outcomes = solve_batch(self.db, names, solve_kwargs, progress, warm_start=warm_start)
        finally:
            bar.close()
        failed = [o for o in outcomes if not o.ok]
        if failed and progressbar:
            print(
                f"{len(failed)} of {len(outcomes)} models failed, e.g. {failed[0].name}: "
                f"{failed[0].error}"
            )
        return outcomes_table(outcomes)

    def add_noise_models(self, names: str | Iterable[str] | None = None) -> int:
        """Give stored models without a noise model an AR(1) noise model.

        The changed models are stored unsolved (``solve_models(only_changed=True)``
        solves them next); see :func:`pastas_projects.modelling.edit.add_noise_models`.

        Parameters
        ----------
        names : str or list of str, optional
            Models (default all).

        Returns
        -------
        int
            How many models got one.

        """
        from pastas_projects.modelling.edit import add_noise_models

        names = (
            self.db.model_names if names is None else [names] if isinstance(names, str) else names
        )
        return add_noise_models(self.db, names)

    # ------------------------------------------------------------------ results
    def get_statistics(
        self,
        statistics: str | Sequence[str] = DEFAULT_STATISTICS,
        names: str | Iterable[str] | None = None,
        progressbar: bool = False,
    ) -> pd.DataFrame:
        """Fit statistics per model.

        Statistics stored at solve time (:data:`DEFAULT_STATISTICS`) are read from
        the store; any other ``pastas`` statistic (a method of ``ml.stats``) is
        computed on the rebuilt model.

        Parameters
        ----------
        statistics : str or list of str
            E.g. ``["evp", "rmse"]``.
        names : str or list of str, optional
            Models (default all).
        progressbar : bool, optional
            Show a progress bar when models must be rebuilt.

        Returns
        -------
        pandas.DataFrame
            One row per model, one column per statistic (NaN for unsolved models).

        """
        from pastas_projects.modelling.checks import check_statistic

        statistics = [
            check_statistic(s)
            for s in ([statistics] if isinstance(statistics, str) else statistics)
        ]
        infos = self.db.model_records(names)
        rows = {n: info.get("statistics") or {} for n, info in infos.items()}
        missing = [s for s in statistics if s not in DEFAULT_STATISTICS]
        if missing:
            for name in tqdm(list(infos), desc="Computing statistics", disable=not progressbar):
                ml = self.db.get_models(name)
                for stat in missing:
                    rows[name][stat] = float(getattr(ml.stats, stat)())
        table = pd.DataFrame.from_dict(rows, orient="index", columns=statistics, dtype=float)
        table = table.reindex(list(infos))  # unsolved and failed models: NaN
        table.index.name = "model"
        return table

    def get_parameters(
        self, names: str | Iterable[str] | None = None, parameters: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Optimal parameters per model (initial ones for unsolved models).

        Returns
        -------
        pandas.DataFrame
            One row per model, one column per parameter.

        """
        infos = self.db.model_records(names)
        table = pd.DataFrame.from_dict(
            {n: info.get("parameters", {}) for n, info in infos.items()}, orient="index"
        ).astype(float)
        table.index.name = "model"
        return table if parameters is None else table.reindex(columns=list(parameters))

    # ------------------------------------------------------------------ judge and look
    # (checks, plots, maps, report: issue 13)
    def get_checks(self, names: str | Iterable[str] | None = None) -> pd.DataFrame:
        """The checks stored with each model when it was solved (nothing is rebuilt).

        The solve step runs pastas' ``checks_brakenhoff_2022`` on every model it
        solves and stores the outcome beside the fit statistics.

        Parameters
        ----------
        names : str or list of str, optional
            Models (default all). Models without stored checks (never solved, failed)
            are left out with a :class:`~pastas_projects.errors.SkippedItemsWarning`.

        Returns
        -------
        pandas.DataFrame
            One row per model, one boolean column per check and ``pass`` (all
            checks passed); ``<NA>`` where a model had no such check.

        Raises
        ------
        ModelNotSolvedError
            If there are models but none has stored checks.

        Examples
        --------
        >>> checks = pr.get_checks()  # doctest: +SKIP
        >>> checks["pass"].mean()  # the pass rate  # doctest: +SKIP
        >>> checks.index[~checks["pass"]]  # the models that fail  # doctest: +SKIP

        """
        import warnings

        from pastas_projects.errors import ModelNotSolvedError, SkippedItemsWarning
        from pastas_projects.modelling.checks import PASS, checks_table

        records = self.db.model_records(names)
        found = {n: r["checks"] for n, r in records.items() if PASS in (r.get("checks") or {})}
        without = [n for n in records if n not in found]
        if records and not found:
            raise ModelNotSolvedError(
                f"none of the {len(records)} model(s) has stored checks: checks are stored "
                "when a model is solved (pr.solve_models); pr.check_models() checks now"
            )
        if without:
            more = f" and {len(without) - 10} more" if len(without) > 10 else ""
            warnings.warn(
                f"{len(without)} model{'s' if len(without) > 1 else ''} left out (no stored "
                "checks: never solved, failed, or "
                f"solved before checks were stored): {', '.join(without[:10])}{more}",
                SkippedItemsWarning,
                stacklevel=2,
            )
        return checks_table(found)

    def check_models(
        self,
        names: str | Iterable[str] | None = None,
        checklist: Sequence[Any] | None = None,
        progressbar: bool = False,
    ) -> pd.DataFrame:
        """Rebuild solved models and run a checklist on them now.

        Nothing is written: use it to try another checklist. The checks of the
        default list are also stored at every solve (:meth:`get_checks`).

        Parameters
        ----------
        names : str or list of str, optional
            Models (default all). Models never solved, or whose solve failed, are left
            out with a :class:`~pastas_projects.errors.SkippedItemsWarning`.
        checklist : list, optional
            What :func:`pastas.check.checklist` takes: check names (e.g.
            ``"rsq_geq_threshold"``), dicts ``{"func": ..., **options}`` or your own
            functions; default ``ps.check.checks_brakenhoff_2022``.
        progressbar : bool, optional
            Show a progress bar.

        Returns
        -------
        pandas.DataFrame
            One row per model, one boolean column per check and ``pass``.

        Raises
        ------
        UnknownNameError
            For a check pastas does not have (before any model is rebuilt).
        ModelNotSolvedError
            If none of the models was solved.

        Examples
        --------
        >>> pr.check_models(checklist=[  # doctest: +SKIP
        ...     {"func": "rsq_geq_threshold", "threshold": 0.8},
        ...     {"func": "parameter_bounds"},
        ... ])

        """
        from pastas_projects.modelling.checks import check_stored_models, checks_table

        bar = tqdm(desc="Checking models", disable=not progressbar)
        try:
            results, _ = check_stored_models(self.db, names, checklist, lambda _: bar.update(1))
        finally:
            bar.close()
        return checks_table(results)

    @property
    def plots(self) -> Plots:
        """Plots of the series and models: ``pr.plots.cumulative_hist("evp")``, ...

        See :class:`pastas_projects.plotting.Plots`.
        """
        from pastas_projects.plotting import Plots

        return Plots(self)

    @property
    def maps(self) -> Maps:
        """Maps of the series and models: ``pr.maps.modelstat("evp")``, ...

        See :class:`pastas_projects.plotting.Maps`.
        """
        from pastas_projects.plotting import Maps

        return Maps(self)

    def report(
        self,
        path: str | Path,
        statistic: str = "evp",
        worst: int = 10,
        names: str | Iterable[str] | None = None,
        title: str | None = None,
    ) -> Path:
        """Write one self-contained HTML page that judges the whole project.

        Counts and status, a map and histograms of the fit statistics, the pass
        rates of the checks, the worst models by ``statistic`` with their results
        plots, and the failures with their errors. Images are inline: the file
        opens anywhere, without network.

        Parameters
        ----------
        path : str or Path
            The HTML file to write; its folder must exist.
        statistic : str
            Stored statistic that ranks the models (``evp``, ``rsq``, ``rmse``,
            ``nse``, ``kge``, ``aic``, ``bic``).
        worst : int
            How many of the worst models get a results plot.
        names : str or list of str, optional
            Models to report on (default all).
        title : str, optional
            Page title (default: the project name).

        Returns
        -------
        pathlib.Path
            The file written.

        Examples
        --------
        >>> pr.report("report.html")  # doctest: +SKIP

        """
        from pastas_projects.plotting import write_report

        return write_report(self, path, statistic, worst, names, title)

    # ------------------------------------------------------------------ shape and feed
    # model definitions, edits, selection, queries over the network, apply
    def create_models(
        self,
        definition: Any,
        oseries: str | Iterable[str] | None = None,
        names: str | Iterable[str] | None = None,
        overwrite: bool = False,
        progressbar: bool = True,
    ) -> pd.DataFrame:
        """Build and store the models a definition describes.

        The definition (YAML or TOML file or text, a dict, or pastastore's YAML; see
        ``docs/definitions.md``) is checked and resolved against the store first:
        if any model cannot be made (unknown stress, kind or response function,
        ``nearest 3 well`` with two wells, ...) nothing is written.

        Parameters
        ----------
        definition : str, path, dict or Definition
            The definition.
        oseries : str or list of str, optional
            Only models of these oseries (default all the definition matches).
        names : str or list of str, optional
            Only these models.
        overwrite : bool, optional
            Build models that exist again (else they are kept, ``result`` ``skipped``).
        progressbar : bool, optional
            Show a progress bar.

        Returns
        -------
        pandas.DataFrame
            One row per model: ``ok``, ``step``, ``seconds``, ``error``, ``result``.

        Raises
        ------
        DefinitionError
            Naming the model (template) and what is wrong; the store is unchanged.

        Examples
        --------
        >>> pr.create_models("models.yaml")  # doctest: +SKIP
        >>> pr.solve_models(only_changed=True)  # doctest: +SKIP

        """
        from pastas_projects.modelling.definitions import build_plans, plan_models

        oseries = [oseries] if isinstance(oseries, str) else oseries
        names = [names] if isinstance(names, str) else names
        plans, failures = plan_models(self.db, definition, oseries, names)
        if failures:
            first = next(iter(failures.items()))
            more = f" (and {len(failures) - 1} more models)" if len(failures) > 1 else ""
            raise DefinitionError(
                f"{first[1].removeprefix('DefinitionError: ')}{more}; nothing was written"
            )
        bar = tqdm(total=len(plans), desc="Building models", disable=not progressbar)
        try:
            outcomes = build_plans(self.db, plans, overwrite, lambda _: bar.update(1))
        finally:
            bar.close()
        table = outcomes_table(outcomes)
        table["result"] = [o.result for o in outcomes]
        return table

    def export_definitions(
        self, names: str | Iterable[str] | None = None, path: str | None = None
    ) -> str:
        """Write stored models as a model definition (YAML), to build them again.

        Parameters
        ----------
        names : str or list of str, optional
            Models (default all).
        path : str or path, optional
            Also write the YAML to this file.

        Returns
        -------
        str
            The YAML text: a ``models`` section with one entry per model.

        """
        from pathlib import Path

        from pastas_projects.modelling.definitions import export_definition

        names = self.db.model_names if names is None else name_list(names, [])
        text = export_definition(self.db, names).to_yaml()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def add_stressmodel(
        self,
        names: str | Iterable[str] | None,
        spec: dict[str, Any],
        name: str | None = None,
        replace: bool = False,
    ) -> list[str]:
        """Add a stress model to stored models; they are stored unsolved.

        ``spec`` is one stress model as in a definition, e.g.
        ``{"class": "WellModel", "stress": "nearest 2 well"}``: ``nearest`` is
        resolved for each model's own oseries. Every model is checked first; if one
        cannot take it nothing is written. On Arctic the old versions stay readable.
        See :func:`pastas_projects.modelling.edit.add_stressmodel`.

        Returns
        -------
        list of str
            The models changed.

        """
        from pastas_projects.modelling.edit import add_stressmodel

        names = self.db.model_names if names is None else name_list(names, [])
        return add_stressmodel(self.db, names, spec, name=name, replace=replace)

    def add_recharge(
        self,
        names: str | Iterable[str] | None,
        prec: str = "nearest prec",
        evap: str = "nearest evap",
        rfunc: str | dict = "Exponential",
        recharge: str | dict = "Linear",
        name: str = "recharge",
        replace: bool = False,
    ) -> list[str]:
        """Add a RechargeModel (Linear, FlexModel, ...) to stored models.

        See :func:`pastas_projects.modelling.edit.add_recharge`; ``replace=True``
        swaps an existing one (e.g. Linear for FlexModel).

        Returns
        -------
        list of str
            The models changed.

        """
        from pastas_projects.modelling.edit import add_recharge

        names = self.db.model_names if names is None else name_list(names, [])
        return add_recharge(self.db, names, prec, evap, rfunc, recharge, name, replace)

    def select_models(
        self, by: str = "aic", names: str | Iterable[str] | None = None
    ) -> pd.DataFrame:
        """Keep the best solved model of each oseries among its alternatives.

        The choice is recorded with every candidate (``selected_models()`` reads it
        back); no model is deleted. See
        :func:`pastas_projects.modelling.selection.select_models`.

        Returns
        -------
        pandas.DataFrame
            One row per oseries: ``selected``, ``value``, ``candidates``, ``values``.

        """
        from pastas_projects.modelling.selection import select_models

        return select_models(self.db, by, None if names is None else name_list(names, []))

    def selected_models(self, names: str | Iterable[str] | None = None) -> pd.DataFrame:
        """The model chosen per oseries by the last :meth:`select_models`."""
        from pastas_projects.modelling.selection import selected_models

        return selected_models(self.db, None if names is None else name_list(names, []))

    def get_distances(
        self,
        oseries: str | Iterable[str] | None = None,
        stresses: str | Iterable[str] | None = None,
        kind: str | Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """Distances between oseries (rows) and stresses (columns), from x/y metadata."""
        return queries.get_distances(self.db, oseries, stresses, kind)

    def get_nearest_stresses(
        self,
        oseries: str | Iterable[str] | None = None,
        stresses: str | Iterable[str] | None = None,
        kind: str | Iterable[str] | None = None,
        n: int = 1,
        maxdist: float | None = None,
        distances: bool = False,
    ) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
        """The ``n`` stresses (of a ``kind``) nearest to each oseries.

        See :func:`pastas_projects.store.queries.get_nearest_stresses`.

        Examples
        --------
        >>> pr.get_nearest_stresses("B58C0698", kind="well", n=2)  # doctest: +SKIP

        """
        return queries.get_nearest_stresses(self.db, oseries, stresses, kind, n, maxdist, distances)

    def get_nearest_oseries(
        self,
        names: str | Iterable[str] | None = None,
        n: int = 1,
        maxdist: float | None = None,
        distances: bool = False,
    ) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
        """The ``n`` other oseries nearest to each oseries."""
        return queries.get_nearest_oseries(self.db, names, n, maxdist, distances)

    def within(
        self,
        extent: Sequence[float],
        names: str | Iterable[str] | None = None,
        library: str = "oseries",
    ) -> list[str]:
        """Names of series (models: whose oseries) inside ``[xmin, xmax, ymin, ymax]``."""
        return queries.within(self.db, extent, names, library)

    def get_extent(
        self,
        library: str = "oseries",
        names: str | Iterable[str] | None = None,
        buffer: float = 0.0,
    ) -> list[float]:
        """``[xmin, xmax, ymin, ymax]`` of a library's series (models: their oseries)."""
        return queries.get_extent(self.db, library, names, buffer)

    def get_tmin_tmax(
        self, library: str = "oseries", names: str | Iterable[str] | None = None
    ) -> pd.DataFrame:
        """First and last timestamp (and count) of series, or models' calibration period.

        Read from the store's bookkeeping, not from the series; see
        :func:`pastas_projects.store.queries.get_tmin_tmax`.
        """
        return queries.get_tmin_tmax(self.db, library, names)

    def get_signatures(
        self,
        names: str | Iterable[str] | None = None,
        signatures: Sequence[str] | None = None,
        library: str = "oseries",
        progressbar: bool = False,
    ) -> pd.DataFrame:
        """Groundwater signatures (``ps.stats.signatures``) of series, one row per series."""
        return queries.get_signatures(self.db, names, signatures, library, progressbar)

    def search(
        self,
        pattern: str | Iterable[str],
        library: str | None = None,
        case_sensitive: bool = True,
    ) -> list[str] | dict[str, list[str]]:
        """Names containing ``pattern``, or matching it as a glob (``B58*``)."""
        return queries.search(self.db, pattern, library, case_sensitive)

    def apply(
        self,
        func: Callable,
        library: str = "models",
        names: str | Iterable[str] | None = None,
        parallel: bool = False,
        kwargs: dict[str, Any] | None = None,
        progressbar: bool = True,
        workers: int = 2,
        cluster_address: str | None = None,
    ) -> pd.DataFrame | dict[str, Any]:
        """Run your own function on every stored model (rebuilt) or series.

        ``func(item, **kwargs)`` gets a ``pastas.Model`` (library ``"models"``) or a
        ``pandas.Series`` named after the item. A function that fails on an item
        records the error and the others go on.

        Parameters
        ----------
        func : callable
            The function.
        library : {"models", "oseries", "stresses"}, optional
            The items.
        names : str or list of str, optional
            Only these items (default all).
        parallel : bool, optional
            Run on a Dask cluster: a local one of ``workers`` processes, or the one
            at ``cluster_address``. The function is checked to pickle first. (The
            ``apply`` Prefect flow does the same as a flow run.)
        kwargs : dict, optional
            Further keyword arguments of ``func``.
        progressbar : bool, optional
            Show a progress bar.
        workers : int, optional
            Processes of the local Dask cluster (``parallel=True``).
        cluster_address : str, optional
            Address of an existing Dask scheduler (``tcp://host:8786``).

        Returns
        -------
        pandas.DataFrame or dict
            See :func:`pastas_projects.modelling.apply.collect`: a DataFrame (one row
            per item, an ``error`` column if something failed) when the results are
            numbers or Series/dicts of numbers, else a dict.

        Raises
        ------
        NotPicklableError
            With ``parallel=True``, for a function that cannot be sent to Dask.

        Examples
        --------
        >>> pr.apply(lambda ml: ml.stats.evp())  # doctest: +SKIP

        """
        from pastas_projects.modelling.apply import apply_batch, check_picklable, collect, label_of

        library_names = self.db.names(library)
        names = library_names if names is None else name_list(names, [])
        missing = sorted(set(names) - set(library_names))
        if missing:
            raise ItemNotFoundError(f"{library} {missing[0]!r} is not in the store")
        label = label_of(func)
        if not parallel:
            bar = tqdm(total=len(names), desc=f"Applying {label}", disable=not progressbar)
            try:
                rows = apply_batch(self.db, library, names, func, kwargs, lambda _: bar.update(1))
            finally:
                bar.close()
            return collect(rows, label)
        check_picklable(func, kwargs)
        rows = _apply_on_dask(
            self.db, library, names, func, kwargs, progressbar, workers, cluster_address, label
        )
        return collect(rows, label)

    # ------------------------------------------------------------------ move
    transfer_report: TransferReport | None = None
    """What :meth:`from_zip` did to each item (``None`` for other projects)."""

    def to_zip(
        self, path: str | os.PathLike, overwrite: bool = False, progressbar: bool = True
    ) -> Path:
        """Write the whole project to one portable, self-describing zip file.

        The file holds a manifest (format version, package versions, counts), every
        series as Parquet with its metadata, and every model as pastas JSON with its
        bookkeeping (status, statistics, parameters, the hashes of its series).
        Read it back with :meth:`from_zip`; the layout is described in
        :mod:`pastas_projects.transfer.zip`.

        Parameters
        ----------
        path : str or path
            The zip file.
        overwrite : bool, optional
            Replace an existing file (the new one is written under a temporary name
            first).
        progressbar : bool, optional
            Show a progress bar.

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> pr.to_zip("my_project.zip")  # doctest: +SKIP
        >>> pr2 = pp.PastasProject.from_zip("my_project.zip", pp.DictConnector())  # doctest: +SKIP

        """
        from pastas_projects.transfer.zip import write_zip

        return write_zip(self.db, path, self.name, overwrite, progressbar)

    @classmethod
    def from_zip(
        cls,
        path: str | os.PathLike,
        connector: BaseConnector,
        name: str | None = None,
        overwrite: bool = False,
        progressbar: bool = True,
    ) -> PastasProject:
        """Read a zip written by :meth:`to_zip` (or by pastastore) into a store.

        The whole file is checked before anything is written: a truncated or corrupt
        file, one of a newer format version, or items that differ in the store
        (without ``overwrite``) raise and leave the store as it was. A zip written by
        pastastore's ``PastaStore.to_zip`` goes through
        :func:`pastas_projects.import_pastastore`.

        Parameters
        ----------
        path : str or path
            The zip file.
        connector : BaseConnector
            The store to read it into (it may hold other items already).
        name : str, optional
            Name of the project; default the name in the file's manifest.
        overwrite : bool, optional
            Replace items that differ in the store.
        progressbar : bool, optional
            Show a progress bar.

        Returns
        -------
        PastasProject
            The project on ``connector``; ``pr.transfer_report`` says what happened
            to each item.

        Raises
        ------
        ArchiveError
            If the file is truncated, corrupt or of a newer format version.
        ItemExistsError
            If items differ in the store and ``overwrite`` is False.

        """
        from pastas_projects.transfer.pastastore import import_pastastore
        from pastas_projects.transfer.zip import is_pastastore_zip, read_manifest, read_zip

        if is_pastastore_zip(path):
            project = cls(name or Path(path).stem, connector)
            report = import_pastastore(path, project, overwrite=overwrite, progressbar=progressbar)
        else:
            manifest = read_manifest(path)
            project = cls(name or manifest.get("project") or connector.name, connector)
            report = read_zip(path, project.db, overwrite, progressbar)
        project.transfer_report = report
        return project

    def export_model_series_to_csv(
        self,
        names: str | Iterable[str] | None = None,
        folder: str | os.PathLike = ".",
        metadata: bool = True,
    ) -> list[Path]:
        """Write the oseries and stresses of models as CSV files, one series per file.

        ``folder/oseries/<name>.csv`` and ``folder/stresses/<name>.csv``, plus the
        metadata tables ``folder/oseries_metadata.csv`` and
        ``folder/stresses_metadata.csv``. ``pp.read_csv(path, dropna=False)`` reads a
        file back exactly (values as float64); see
        :func:`pastas_projects.transfer.export_model_series_to_csv`.

        Parameters
        ----------
        names : str or list of str, optional
            Models (default all).
        folder : str or path, optional
            Where to write (created if missing).
        metadata : bool, optional
            Also write the metadata tables.

        Returns
        -------
        list of pathlib.Path
            The files written.

        Examples
        --------
        >>> pr.export_model_series_to_csv(["B58C0698"], "export")  # doctest: +SKIP
        >>> pp.read_csv("export/oseries/B58C0698.csv")  # doctest: +SKIP

        """
        from pastas_projects.transfer.csv import export_model_series_to_csv

        return export_model_series_to_csv(self.db, names, folder, metadata)


def _apply_on_dask(
    db: Database,
    library: str,
    names: list[str],
    func: Callable,
    kwargs: dict[str, Any] | None,
    progressbar: bool,
    workers: int,
    cluster_address: str | None,
    label: str,
) -> list[dict[str, Any]]:
    """Run :func:`~pastas_projects.modelling.apply.apply_batch` over batches on Dask."""
    from distributed import Client, LocalCluster, as_completed

    conn = db.conn
    if not conn.multiprocess_safe:
        raise ValueError(
            f"{type(conn).__name__} lives in this process only; Dask workers cannot open "
            "it: use parallel=False or a store on disk or a server"
        )
    uri, connector_name = conn.uri, conn.name
    size = max(1, min(50, -(-len(names) // (4 * max(workers, 1)))))
    batches = [names[i : i + size] for i in range(0, len(names), size)]
    cluster = None
    if cluster_address is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)
    rows: list[dict[str, Any]] = []
    bar = tqdm(total=len(names), desc=f"Applying {label} on Dask", disable=not progressbar)
    try:
        with Client(cluster_address or cluster) as client:
            futures = [
                client.submit(
                    _remote_apply, uri, connector_name, library, b, func, kwargs, pure=False
                )
                for b in batches
            ]
            for future in as_completed(futures):
                batch_rows = future.result()
                rows.extend(batch_rows)
                bar.update(len(batch_rows))
    finally:
        bar.close()
        if cluster is not None:
            cluster.close()
    order = {n: i for i, n in enumerate(names)}
    return sorted(rows, key=lambda r: order[r["name"]])


def _remote_apply(
    uri: str,
    connector_name: str,
    library: str,
    names: list[str],
    func: Callable,
    kwargs: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """One batch of :meth:`PastasProject.apply` on a Dask worker: open the store, apply."""
    from pastas_projects.connectors import connect
    from pastas_projects.modelling.apply import apply_batch

    return apply_batch(Database(connect(uri, connector_name)), library, names, func, kwargs)


def outcomes_table(outcomes: Sequence[Outcome]) -> pd.DataFrame:
    """Table of batch outcomes: one row per model, its statistics as columns."""
    columns = ["ok", "step", "seconds", "error"]
    rows = {o.name: {c: getattr(o, c) for c in columns} | o.statistics for o in outcomes}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table = table.reindex(columns=columns + [c for c in table.columns if c not in columns])
    table.index.name = "name"
    return table


__all__ = ["PastasProject", "outcomes_table"]
