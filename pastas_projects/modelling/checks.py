"""Judge solved models: run a checklist of pastas checks on a model in memory.

A checklist is what :func:`pastas.check.checklist` takes: a list of check functions
of :mod:`pastas.check` (by name or as the function), of dicts ``{"func": ...,
**options}``, or of your own functions that take a model and return pastas' check
table. The default is pastas' ``checks_brakenhoff_2022`` (R² >= 0.7, response memory
shorter than half the calibration period, no autocorrelation in the noise by the
runs test, gain larger than 1.96 standard errors, no parameter on its bounds).

The solve step (:func:`pastas_projects.modelling.solve_batch`) runs
:func:`run_checks` right after a model is solved, while it is in memory, and stores
the result with the model, beside its fit statistics: ``{check: bool, ..., "pass":
bool}``. So "which models pass" needs no model rebuilt later.

Why not simply call ``ps.check.checklist``: pastas simulates the model again for
each check that needs the residuals and builds its result table row by row; for a
model that solves in a tenth of a second that is more than 10 % of the solve. The
checks of the default list are therefore computed here from one simulation, with
the same pastas functions (``metrics.rsq``, ``stats.runs_test``,
``Model.get_response_tmax``) and the same labels and thresholds as pastas;
``tests/test_checks.py`` compares the outcome with ``ps.check.checklist`` itself.
Every other check, and the cases this module leaves to pastas (well models,
``Hantush`` and ``FourParam`` responses, whose memory pastas computes specially),
runs through pastas.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pastas as ps
from pastas.modelstats import Statistics
from pastas.stats import metrics
from pastas.stats.tests import runs_test

from pastas_projects.errors import ModelNotSolvedError, SkippedItemsWarning, UnknownNameError
from pastas_projects.store import Database, SeriesCache
from pastas_projects.store.outcomes import error_text

DEFAULT_CHECKLIST: list[dict[str, Any]] = ps.check.checks_brakenhoff_2022
"""pastas' checklist of Brakenhoff et al. (2022): the checks run at every solve."""

PASS = "pass"
"""Key of the overall result: True when every check passed."""

Checklist = Sequence[str | Callable | dict] | str | Callable | dict | None
"""What the functions here take as a checklist (``None``: :data:`DEFAULT_CHECKLIST`)."""


class CheckEntry:
    """One entry of a checklist: the check function and its options.

    Attributes
    ----------
    name : str
        The function's name (the label of the check when it cannot run).
    func : callable
        ``func(model, **options)`` returns pastas' check table.
    options : dict
        Keyword arguments of the function.

    """

    def __init__(self, func: Callable, options: dict[str, Any]) -> None:
        self.func = func
        self.options = options
        self.name = getattr(func, "__name__", type(func).__name__)

    def __repr__(self) -> str:
        return f"CheckEntry({self.name}, {self.options})"


def known_checks() -> list[str]:
    """Names of the check functions of :mod:`pastas.check` a checklist may name."""
    return sorted(ps.check.checks)


def _pastas_check(name: str, where: str) -> Callable:
    try:
        return ps.check.checks[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown check {name!r} in {where}; pastas' checks are: "
            f"{', '.join(known_checks())} (or give a function of your own)"
        ) from None


def checklist_entries(checklist: Checklist = None) -> list[CheckEntry]:
    """Validate a checklist before any model is checked.

    Parameters
    ----------
    checklist : list, str, callable, dict or None
        See the module documentation; ``None`` is :data:`DEFAULT_CHECKLIST`.

    Returns
    -------
    list of CheckEntry

    Raises
    ------
    UnknownNameError
        For a check name that is not one of :func:`known_checks`.
    TypeError
        For an entry that is no name, function or dict with ``"func"``, or options
        the check function does not take.
    ValueError
        For an empty checklist.

    Examples
    --------
    >>> from pastas_projects.modelling.checks import checklist_entries
    >>> checklist_entries(["rsq_geq_threshold", {"func": "parameter_bounds"}])
    [CheckEntry(rsq_geq_threshold, {}), CheckEntry(parameter_bounds, {})]

    """
    if checklist is None:
        checklist = DEFAULT_CHECKLIST
    if isinstance(checklist, str | dict) or callable(checklist):
        checklist = [checklist]
    entries = []
    for i, entry in enumerate(checklist):
        where = f"checklist entry {i}"
        if isinstance(entry, str):
            func, options = _pastas_check(entry, where), {}
        elif isinstance(entry, dict):
            if "func" not in entry:
                raise TypeError(f"{where} is a dict without 'func': {entry!r}")
            func = entry["func"]
            options = {k: v for k, v in entry.items() if k != "func"}
            if isinstance(func, str):
                func = _pastas_check(func, where)
            elif not callable(func):
                raise TypeError(f"'func' of {where} is no check function: {func!r}")
        elif callable(entry):
            func, options = entry, {}
        else:
            raise TypeError(
                f"{where} must be a check name, a function or a dict with 'func', "
                f"not {type(entry).__name__}"
            )
        try:
            inspect.signature(func).bind(None, **options)
        except TypeError as err:
            name = getattr(func, "__name__", repr(func))
            raise TypeError(f"{where}: check {name} does not take {options}: {err}") from None
        except ValueError:  # no signature to inspect (a builtin): let it run
            pass
        entries.append(CheckEntry(func, options))
    if not entries:
        raise ValueError("the checklist is empty; give at least one check (or None)")
    return entries


# ---------------------------------------------------------------------- statistics
def known_statistics() -> list[str]:
    """Statistics of a model: the stored ones first, then every other ``ml.stats`` method."""
    from pastas_projects.store.bookkeeping import DEFAULT_STATISTICS as STORED_STATISTICS

    methods = {
        m for m in dir(Statistics) if not m.startswith("_") and callable(getattr(Statistics, m))
    }
    others = sorted(methods - set(STORED_STATISTICS) - {"summary", "diagnostics"})
    return [*STORED_STATISTICS, *others]


def check_statistic(statistic: str, stored_only: bool = False) -> str:
    """Return ``statistic``, or raise :class:`UnknownNameError` if pastas has no such one.

    Parameters
    ----------
    statistic : str
        E.g. ``"evp"``.
    stored_only : bool
        Allow only the statistics stored with every model (no rebuild needed).

    """
    allowed = known_statistics()
    if stored_only:
        from pastas_projects.store.bookkeeping import DEFAULT_STATISTICS

        allowed = list(DEFAULT_STATISTICS)
    if not isinstance(statistic, str) or statistic not in allowed:
        what = "the statistics stored with every model" if stored_only else "pastas statistics"
        raise UnknownNameError(f"unknown statistic {statistic!r}; {what}: {', '.join(allowed)}")
    return statistic


# ---------------------------------------------------------------------- running
class _Simulation:
    """The residuals and noise of a solved model, simulated once for all checks."""

    def __init__(self, ml: ps.Model) -> None:
        self.ml = ml
        self._res: pd.Series | None = None
        self._noise: pd.Series | None = None

    @property
    def res(self) -> pd.Series:
        if self._res is None:
            self._res = self.ml.residuals()
        return self._res

    @property
    def noise(self) -> pd.Series:
        """The noise, or the residuals of a model without noise model (as pastas)."""
        if self._noise is None:
            ml = self.ml
            self._noise = ml.noise(res=self.res) if ml.noisemodel is not None else self.res
        return self._noise

    @property
    def obs(self) -> pd.Series:
        return self.ml.observations()


Rows = list[tuple[str, bool]] | None
"""``(label, passed)`` per row of a check, or None: leave this check to pastas."""


def _rsq(ml: ps.Model, sim: _Simulation, threshold: float = 0.7, **kwargs: Any) -> Rows:
    if kwargs:
        return None
    value = metrics.rsq(obs=sim.obs, res=sim.res)
    return [(f"rsq>={threshold}", bool(np.greater_equal(value, threshold)))]


def _memory_is_plain(ml: ps.Model, names: list[str]) -> bool:
    """Whether pastas computes the memory of these stress models with get_response_tmax."""
    for name in names:
        sm = ml.stressmodels.get(name)
        if sm is None or sm._name == "WellModel" or sm.rfunc is None:
            return False
        if sm.rfunc._name in ("Hantush", "FourParam"):
            return False
    return True


def _names(ml: ps.Model, names: list[str] | str | None) -> list[str]:
    if names is None:
        return list(ml.stressmodels)
    return list(names) if isinstance(names, list) else [names]


def _response_memory(
    ml: ps.Model,
    sim: _Simulation,
    cutoff: float = 0.95,
    factor_length_oseries: float = 0.5,
    names: list[str] | str | None = None,
) -> Rows:
    names = _names(ml, names)
    if not _memory_is_plain(ml, names):
        return None
    threshold = factor_length_oseries * (ml.settings["tmax"] - ml.settings["tmin"]).days
    rows = []
    for name in names:
        tmem = ml.get_response_tmax(name, cutoff=cutoff)
        label = f"t{cutoff * 100:.0f}_{name} < {factor_length_oseries} Δt_calib"
        rows.append((label, bool(tmem < threshold)))
    return rows


def _acf_runs_test(ml: ps.Model, sim: _Simulation, p_threshold: float = 0.05) -> Rows:
    _, p = runs_test(sim.noise.iloc[1:])
    return [("runs_test (p > α)", bool(p > p_threshold))]


def _uncertainty_gain(
    ml: ps.Model, sim: _Simulation, n_std: float = 1.96, names: list[str] | str | None = None
) -> Rows:
    names = _names(ml, names)
    parameters = ml.parameters
    rows = []
    for name in names:
        sm = ml.stressmodels.get(name)
        parameter = f"{name}_A"
        if sm is None or sm._name == "WellModel" or parameter not in parameters.index:
            return None
        p = parameters.at[parameter, "optimal"]
        std = parameters.at[parameter, "stderr"]
        rows.append((f"|{parameter}| > {n_std}σ", bool(np.abs(p) > n_std * std)))
    return rows


def _parameter_bounds(
    ml: ps.Model, sim: _Simulation, parameters: list[str] | str | None = None
) -> Rows:
    table = ml.parameters
    if parameters is None:
        parameters = table.index.tolist()
    elif isinstance(parameters, str):
        parameters = [p for p in table.index if parameters in p]
    rows = []
    for name in parameters:
        optimal, pmin, pmax = (table.at[name, c] for c in ("optimal", "pmin", "pmax"))
        if pmin == 0.0 or np.isnan(pmin):  # pastas' tolerance rule
            atol = 1e-8
        else:
            atol = np.min([1e-8, 10 ** (np.floor(np.log10(np.abs(pmin))) - 1)])
        pmin = -np.inf if np.isnan(pmin) else pmin
        pmax = np.inf if np.isnan(pmax) else pmax
        hit = np.allclose(optimal, pmin, atol=atol, rtol=1e-5) or np.allclose(
            optimal, pmax, atol=atol, rtol=1e-5
        )
        rows.append((f"Bounds: {name}", not hit))
    return rows


_FAST: dict[Callable, Callable[..., Rows]] = {
    ps.check.rsq_geq_threshold: _rsq,
    ps.check.response_memory: _response_memory,
    ps.check.acf_runs_test: _acf_runs_test,
    ps.check.uncertainty_gain: _uncertainty_gain,
    ps.check.parameter_bounds: _parameter_bounds,
}
"""pastas check functions computed here from one simulation (see the module doc)."""


class _NoNoiseModelFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "No noisemodel found" not in record.getMessage()


@contextlib.contextmanager
def _quiet_pastas() -> Iterator[None]:
    """Drop pastas' "No noisemodel found" warning (logged once per model and check)."""
    logger = logging.getLogger("pastas.check")
    quiet = _NoNoiseModelFilter()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def _pastas_rows(ml: ps.Model, entry: CheckEntry) -> list[tuple[str, bool]]:
    table = entry.func(ml, **entry.options)
    if not isinstance(table, pd.DataFrame) or "pass" not in table.columns:
        raise TypeError(f"check {entry.name} returned no check table with a 'pass' column")
    return [(str(label), bool(value)) for label, value in table["pass"].items()]


def _unique_labels(labels: list[str]) -> list[str]:
    """Labels made unique as ``ps.check.checklist`` does: duplicates get ``.1``, ``.2``..."""
    index = pd.Index(labels)
    duplicated = index.duplicated(keep=False)
    if not duplicated.any():
        return labels
    unique, j = [], 0
    for label, dup in zip(labels, duplicated, strict=True):
        if dup:
            j += 1
            unique.append(f"{label}.{j}")
        else:
            unique.append(label)
    return unique


def run_checks(
    ml: ps.Model, checklist: Checklist | list[CheckEntry] = None
) -> tuple[dict[str, bool], dict[str, str]]:
    """Run a checklist on a solved model.

    Parameters
    ----------
    ml : pastas.Model
        A solved model.
    checklist : list, optional
        A checklist (see :func:`checklist_entries`), or the entries it returned;
        default :data:`DEFAULT_CHECKLIST`.

    Returns
    -------
    (dict, dict)
        ``{check label: passed, ..., "pass": all passed}`` with the labels of
        :func:`pastas.check.checklist`, and ``{label: "Type: message"}`` of checks
        that could not run (each counts as failed, under its function's name).

    Examples
    --------
    >>> checks, errors = run_checks(ml)  # doctest: +SKIP
    >>> checks["pass"], checks["rsq>=0.7"]  # doctest: +SKIP
    (False, True)

    """
    if not (isinstance(checklist, list) and all(isinstance(e, CheckEntry) for e in checklist)):
        checklist = checklist_entries(checklist)
    sim = _Simulation(ml)
    rows: list[tuple[str, bool]] = []
    errors: dict[str, str] = {}
    with _quiet_pastas():
        for entry in checklist:
            try:
                fast = _FAST.get(entry.func)
                found = fast(ml, sim, **entry.options) if fast is not None else None
                rows += found if found is not None else _pastas_rows(ml, entry)
            except Exception as err:  # one check that cannot run fails alone
                rows.append((entry.name, False))
                errors[entry.name] = error_text(err)
    labels = _unique_labels([label for label, _ in rows])
    checks = {
        (f"{label} (check)" if label == PASS else label): ok
        for label, (_, ok) in zip(labels, rows, strict=True)
    }
    checks[PASS] = all(checks.values())
    return checks, errors


def checks_table(records: dict[str, dict[str, bool]]) -> pd.DataFrame:
    """One row per model, one nullable boolean column per check, ``pass`` last.

    Parameters
    ----------
    records : dict
        ``model -> {check: passed, ..., "pass": passed}``.

    Returns
    -------
    pandas.DataFrame
        Columns in the order the checks first appear; a check a model did not have
        (e.g. another stress model name) is ``<NA>`` for it.

    """
    columns: dict[str, None] = {}
    for checks in records.values():
        columns.update(dict.fromkeys(c for c in checks if c != PASS))
    order = [*columns, PASS]
    table = pd.DataFrame.from_dict(
        {n: {c: checks.get(c) for c in order} for n, checks in records.items()},
        orient="index",
        columns=order,
    ).astype("boolean")
    table.index.name = "model"
    table.columns.name = "check"
    return table


# ---------------------------------------------------------------------- stored models
def check_stored_models(
    db: Database,
    names: str | Iterable[str] | None = None,
    checklist: Checklist = None,
    progress: Callable[[str], Any] | None = None,
) -> tuple[dict[str, dict[str, bool]], dict[str, dict[str, str]]]:
    """Rebuild solved models from the store and run a checklist on each.

    Nothing is written: the checks stored at solve time stay as they were.

    Parameters
    ----------
    db : Database
        The store.
    names : str or list of str, optional
        Models (default all). Models never solved, or whose solve failed, are left
        out with a :class:`~pastas_projects.errors.SkippedItemsWarning`.
    checklist : list, optional
        Default :data:`DEFAULT_CHECKLIST`.
    progress : callable, optional
        Called with each model's name when it is done.

    Returns
    -------
    (dict, dict)
        ``model -> checks`` and ``model -> {check: error}`` (models with errors only).

    Raises
    ------
    UnknownNameError
        For an unknown check name (before any model is rebuilt).
    ModelNotSolvedError
        If none of the models was solved.

    """
    entries = checklist_entries(checklist)
    records = db.model_records(names)
    solved = [n for n, r in records.items() if r.get("status") == "solved"]
    unsolved = [n for n, r in records.items() if r.get("status") != "solved"]
    if records and not solved:
        states = ", ".join(f"{n}: {records[n].get('status')}" for n in unsolved[:10])
        raise ModelNotSolvedError(
            f"no model to check was solved ({states}); solve them first (pr.solve_models)"
        )
    if unsolved:
        more = f" and {len(unsolved) - 10} more" if len(unsolved) > 10 else ""
        warnings.warn(
            f"{len(unsolved)} model{'s' if len(unsolved) > 1 else ''} left out (never solved "
            "or failed): "
            f"{', '.join(unsolved[:10])}{more}",
            SkippedItemsWarning,
            stacklevel=3,
        )
    cache = SeriesCache(db)
    results, errors = {}, {}
    for name in solved:
        ml = db.rebuild_model(name, cache=cache).model
        results[name], failed = run_checks(ml, entries)
        if failed:
            errors[name] = failed
        if progress is not None:
            progress(name)
    return results, errors
