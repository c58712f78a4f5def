"""Models in the store: kept as JSON without their series, rebuilt on read.

:class:`ModelStore` is the model part of :class:`~pastas_projects.store.Database`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from tqdm.auto import tqdm

from pastas_projects.connectors.base import AsOf, StoredItem
from pastas_projects.errors import (
    ItemExistsError,
    ItemNotFoundError,
    ModelBuildError,
    ModelSeriesError,
)
from pastas_projects.store.base import StoreBase, name_list
from pastas_projects.store.bookkeeping import (
    HASH_KEY,
    finite,
    model_info,
    series_hash,
    series_key,
    split_series_key,
    utc_now,
)
from pastas_projects.store.model_json import stored_period
from pastas_projects.store.validation import validate_metadata, validate_name

if TYPE_CHECKING:
    import pastas as ps

# pastas (and numba) load when a model is first rebuilt or written: reading records
# (statuses, statistics) needs neither.

INFO_COLUMNS = [
    "oseries",
    "stresses",
    "status",
    "solved",
    "checks",
    "error",
    "written",
    "solved_at",
]


def checks_word(record: dict[str, Any]) -> str | None:
    """``"pass"`` or ``"fail"`` from a model's stored checks (``None``: not checked)."""
    checks = record.get("checks") or {}
    if "pass" not in checks:
        return None
    return "pass" if checks["pass"] else "fail"


CARRIED_KEYS = ("period", "definition", "solve_options", "annotations")
"""Record keys a model keeps when it is written again (solved, edited): see :func:`carried`."""


def model_period(ml: ps.Model) -> dict[str, str | None]:
    """The calibration period a model keeps fixed: ``{"tmin": ..., "tmax": ...}``.

    A bound of ``ml.settings`` that equals the first (last) timestamp of the model's
    oseries follows the oseries (``None``): when new observations arrive the next
    solve uses them. Any other bound was set on purpose and is kept (ISO string).
    """
    period: dict[str, str | None] = {}
    for key in ("tmin", "tmax"):
        setting, own = ml.settings.get(key), ml.oseries.settings.get(key)
        fixed = setting is not None and (own is None or pd.Timestamp(setting) != pd.Timestamp(own))
        period[key] = pd.Timestamp(setting).isoformat() if fixed else None
    return period


def carried(record: dict[str, Any]) -> dict[str, Any]:
    """The parts of a model's record that stay with it when it is written again.

    ``period`` (a calibration period fixed by a definition or a solve), ``definition``
    (the template or definition it was built from), ``solve_options`` (options its
    definition gives the solver) and ``annotations`` (e.g. which alternative
    :meth:`~pastas_projects.PastasProject.select_models` chose).
    """
    return {key: record[key] for key in CARRIED_KEYS if key in record}


class SeriesCache:
    """Series read for rebuilding models, shared by the models of one call.

    Stresses are shared by many models (one meteo station serves many wells), so a
    batch reads each of them once. Series are handed out with a microsecond index,
    the unit pastas 2 works in: pastas converts other units itself, in place, and
    mixing units makes its index unions fall back to slow object arrays.
    """

    def __init__(self, db: StoreBase) -> None:
        self.db = db
        self.items: dict[tuple[str, str, AsOf], tuple[pd.Series, StoredItem]] = {}
        self._stress_records: dict[str, dict] | None = None

    def stress_records(self) -> dict[str, dict]:
        """The records of all stresses, read once: models look up the nearest ones."""
        if self._stress_records is None:
            self._stress_records = self.db.series_records("stresses")
        return self._stress_records

    def get(self, library: str, name: str, as_of: AsOf = None) -> tuple[pd.Series, StoredItem]:
        """Read a series once; later calls get the same object back."""
        key = (library, name, as_of)
        if key not in self.items:
            series, stored = self.db._read_series(library, name, as_of)
            try:
                series.index = series.index.as_unit("us")
            except ValueError:  # sub-microsecond timestamps: leave them to pastas
                pass
            self.items[key] = (series, stored)
        return self.items[key]


@dataclass
class RebuiltModel:
    """A model rebuilt from the store, with what is needed to write it back.

    Attributes
    ----------
    model : pastas.Model
        The model, with the stored series put back.
    record : dict
        Its stored bookkeeping (see :meth:`StoreBase.model_records`).
    inputs : dict
        ``series key -> content hash`` of the series it was rebuilt with now.
    versions : dict
        ``series key -> version`` of those series (``None`` without versions).
    period : dict
        The calibration period the model keeps fixed (see :func:`model_period`):
        from its record, or for models stored before records had it, from its JSON.

    """

    model: ps.Model
    record: dict[str, Any]
    inputs: dict[str, str]
    versions: dict[str, int | None]
    period: dict[str, str | None] | None = None


class ModelStore(StoreBase):
    """Add, read and delete models; part of ``Database``."""

    # ------------------------------------------------------------------ reading
    @property
    def models(self) -> pd.DataFrame:
        """One row per model: its series, status, error and when it was written/solved."""
        return self.get_model_info()

    @property
    def n_models(self) -> int:
        """Number of models in the store."""
        return len(self.conn._list_names("models"))

    def get_model_info(self, names: str | Iterable[str] | None = None) -> pd.DataFrame:
        """Bookkeeping of models (no model is rebuilt).

        Parameters
        ----------
        names : str or list of str, optional
            Only these models (default all).

        Returns
        -------
        pandas.DataFrame
            Columns ``oseries``, ``stresses``, ``status`` (``built``, ``solved`` or
            ``failed``), ``solved``, ``checks`` (``"pass"`` or ``"fail"``: the checks
            stored at solve time; ``None`` if not checked), ``error``, ``written``,
            ``solved_at``.

        """
        infos = self.model_records(names)
        table = pd.DataFrame.from_dict(
            {
                n: {c: info.get(c) for c in INFO_COLUMNS} | {"checks": checks_word(info)}
                for n, info in infos.items()
            },
            orient="index",
            columns=INFO_COLUMNS,
        )
        table.index.name = "name"
        return table

    def get_models(
        self,
        names: str | Iterable[str],
        as_of: AsOf = None,
        progressbar: bool = False,
    ) -> ps.Model | dict[str, ps.Model]:
        """Read models, rebuilt from the stored series.

        Parameters
        ----------
        names : str or list of str
            One name (returns a Model) or several (returns a dict).
        as_of : int, str or pandas.Timestamp, optional
            Version or time of the model to read (connectors with versions only).
            Its series are then read at the versions it was stored with, so an old
            model simulates as it did then.
        progressbar : bool, optional
            Show a progress bar when reading several.

        Returns
        -------
        pastas.Model or dict of pastas.Model

        """
        cache = SeriesCache(self)
        if isinstance(names, str):
            return self.rebuild_model(names, as_of, cache).model
        names = list(names)
        return {
            n: self.rebuild_model(n, as_of, cache).model
            for n in tqdm(names, desc="Reading models", disable=not progressbar)
        }

    def rebuild_model(
        self, name: str, as_of: AsOf = None, cache: SeriesCache | None = None
    ) -> RebuiltModel:
        """Rebuild one stored model from its JSON and the stored series.

        Parameters
        ----------
        name : str
            The model.
        as_of : int, str or pandas.Timestamp, optional
            Version or time of the model (connectors with versions only); its series
            are then read at the versions it was stored with.
        cache : SeriesCache, optional
            Shares series reads with other models of the same batch.

        Returns
        -------
        RebuiltModel

        Raises
        ------
        ItemNotFoundError
            If the model is not in the store.
        ModelBuildError
            If a series it uses is gone, or its JSON cannot be read.

        """
        cache = cache or SeriesCache(self)
        item = self.read_item("models", name, as_of)
        pinned = item.metadata.get("input_versions", {}) if as_of is not None else {}
        versions: dict[str, int | None] = {}
        hashes: dict[str, str] = {}

        def lookup(library: str, series_name: str) -> pd.Series:
            key = series_key(library, series_name)
            try:
                series, stored = cache.get(library, series_name, pinned.get(key))
            except ItemNotFoundError as err:
                raise ModelBuildError(f"model {name!r} cannot be rebuilt: {err}") from None
            versions[key] = stored.version
            hashes[key] = stored.metadata.get(HASH_KEY)
            return series

        from pastas_projects.store.pastas_compat import json_to_model

        try:
            ml = json_to_model(item.data, lookup)
        except ModelBuildError:
            raise
        except Exception as err:  # a corrupt or incompatible model document
            raise ModelBuildError(
                f"model {name!r} cannot be rebuilt: {type(err).__name__}: {err}"
            ) from err
        period = item.metadata.get("period") or stored_period(item.data)
        return RebuiltModel(ml, item.metadata, hashes, versions, period)

    # ------------------------------------------------------------------ writing
    def add_model(
        self,
        ml: ps.Model,
        overwrite: bool = False,
        statistics: dict[str, float | None] | None = None,
    ) -> Literal["added", "updated"]:
        """Store a model (as JSON, without its series).

        Every series the model uses must be in the store, under the name the model
        gives it and with the same values; the model's name is its item name.

        Parameters
        ----------
        ml : pastas.Model
            The model.
        overwrite : bool, optional
            Replace an existing model of that name.
        statistics : dict, optional
            Fit statistics of a solved model, stored in its record (e.g.
            :func:`pastas_projects.modelling.fit_statistics` of a model solved
            elsewhere).

        Raises
        ------
        ModelSeriesError
            If a series is not in the store or differs from the stored one.
        ItemExistsError
            If the model exists and ``overwrite`` is False.

        Returns
        -------
        {"added", "updated"}

        """
        import pastas as ps

        from pastas_projects.store.pastas_compat import model_series

        if not isinstance(ml, ps.Model):
            raise TypeError(f"add_model needs a pastas.Model, not {type(ml).__name__}")
        name = validate_name(ml.name, "model")
        exists = self.conn._has("models", name)
        if exists and not overwrite:
            raise ItemExistsError(
                f"model {name!r} is already in the store; use overwrite=True to replace it"
            )
        refs = model_series(ml)
        stored = self.series_hashes([(library, n) for library, n, _ in refs])
        inputs: dict[str, str] = {}
        for library, series_name, series in refs:
            word = "oseries" if library == "oseries" else "stress"
            stored_hash = stored[(library, series_name)]
            if stored_hash is None:
                adder = "add_oseries" if library == "oseries" else "add_stress"
                raise ModelSeriesError(
                    f"model {name!r} uses {word} {series_name!r}, which is not in the "
                    f"store; add it first with pr.db.{adder}(series, {series_name!r})"
                )
            if series_hash(series) != stored_hash:
                raise ModelSeriesError(
                    f"model {name!r}: its {word} {series_name!r} differs from the stored "
                    f"{word} {series_name!r}; store the model's series first (overwrite=True)"
                )
            inputs[series_key(library, series_name)] = stored_hash
        self.write_model(ml, inputs, self._current_versions(inputs), statistics=statistics)
        return "updated" if exists else "added"

    def _current_versions(self, inputs: dict[str, str]) -> dict[str, int | None]:
        if not self.conn.supports_versions:
            return {key: None for key in inputs}
        versions = {}
        for key in inputs:
            library, name = split_series_key(key)
            versions[key] = self.conn._list_versions(library, name)[-1].version
        return versions

    def write_model(
        self,
        ml: ps.Model,
        inputs: dict[str, str],
        versions: dict[str, int | None],
        statistics: dict[str, float | None] | None = None,
        error: str | None = None,
        checks: dict[str, bool] | None = None,
        check_errors: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> int | None:
        """Write a model built from the stored series, with its bookkeeping.

        For models built or rebuilt from the store (:meth:`rebuild_model`,
        :func:`pastas_projects.modelling.build_model`), which know the series they
        were built with: unlike :meth:`add_model` the series are not compared again.
        A model you built yourself goes in with :meth:`add_model`.

        Parameters
        ----------
        ml : pastas.Model
            The model; solved when all its optimal parameters are finite.
        inputs : dict
            ``series key -> content hash`` of the series it was built with.
        versions : dict
            ``series key -> version`` of those series.
        statistics : dict, optional
            Fit statistics of a solved model.
        error : str, optional
            Why solving failed: the model is stored with status ``failed``.
        checks : dict, optional
            Checks of a solved model, ``{check: passed, ..., "pass": all passed}``
            (see :mod:`pastas_projects.modelling.checks`).
        check_errors : dict, optional
            ``{check: error}`` of checks that could not run.
        extra : dict, optional
            Further JSON-serialisable bookkeeping to keep with the model, e.g. what
            :func:`carried` takes from its previous record, ``solve_info``
            (``nfev``, ``warm_start``) and ``period`` (its fixed calibration period).
            Without ``period`` it is read from the model: a ``tmin``/``tmax`` of its
            settings that differs from its oseries' first/last timestamp is fixed,
            one that equals it follows the oseries when new values arrive.

        Returns
        -------
        int or None
            The version written (connectors with versions only).

        """
        optimal = ml.parameters["optimal"]
        solved = bool(optimal.notna().all()) and error is None
        values = optimal if solved else ml.parameters["initial"]
        info = model_info(
            inputs,
            versions,
            solved=solved,
            parameters={p: finite(v) for p, v in values.items()},
            statistics=statistics,
            checks=checks if solved else None,
            check_errors=check_errors if solved else None,
        )
        if error is not None:
            info["status"] = "failed"
            info["error"] = error
            info["failed_at"] = utc_now()
        for key in ("tmin", "tmax"):  # the calibration period, for get_tmin_tmax
            value = ml.settings.get(key)
            info[key] = None if value is None else pd.Timestamp(value).isoformat()
        extra = dict(extra or {})
        if "period" not in extra:
            extra["period"] = model_period(ml)
        for key, value in extra.items():
            if key in info:
                raise ValueError(f"model {ml.name!r}: extra key {key!r} is bookkeeping of its own")
            info[key] = value

        from pastas_projects.store.pastas_compat import model_to_json

        return self.conn._write("models", validate_name(ml.name, "model"), model_to_json(ml), info)

    def mark_failed(self, names: str | Iterable[str], error: str) -> list[str]:
        """Record stored models as failed, with the reason, without rebuilding them.

        For models that cannot be rebuilt (a series they use is gone) or must not be
        trusted any more: their status becomes ``failed`` with ``error``, their fit
        statistics and checks are dropped (so no table shows a stale fit) and the model itself
        is kept as it is, so it can be re-solved once its series are back. On
        connectors with versions this writes a new version; the old one stays
        readable.

        Parameters
        ----------
        names : str or list of str
            The models; names that are not in the store are left out.
        error : str
            Why, as it should appear in ``pr.db.models["error"]``.

        Returns
        -------
        list of str
            The models marked.

        """
        marked = []
        for name in name_list(names, []):
            try:
                item = self.read_item("models", name)
            except ItemNotFoundError:
                continue
            info = dict(item.metadata)
            info.update(
                status="failed", solved=False, error=str(error), failed_at=utc_now(), statistics={}
            )
            info.pop("checks", None)  # the checks judged a fit that no longer stands
            info.pop("check_errors", None)
            self.conn._write("models", name, item.data, info)
            marked.append(name)
        return marked

    def annotate_model(self, name: str, key: str, value: Any) -> None:
        """Keep a note with a stored model's record, without rebuilding it.

        Notes live under ``annotations`` in the record and stay with the model when it
        is solved or edited again (e.g. ``"selection"``, written by
        :meth:`~pastas_projects.PastasProject.select_models`). On connectors with
        versions this writes a new version.

        Parameters
        ----------
        name : str
            The model.
        key : str
            Name of the note.
        value : JSON-serialisable
            The note; ``None`` removes it.

        """
        value = validate_metadata({str(key): value}, name, "annotation of model")[str(key)]
        item = self.read_item("models", name)
        info = dict(item.metadata)
        notes = dict(info.get("annotations") or {})
        if value is None:
            notes.pop(key, None)
        else:
            notes[key] = value
        info["annotations"] = notes
        self.conn._write("models", name, item.data, info)

    def del_models(self, names: str | Iterable[str]) -> None:
        """Delete models (all their versions)."""
        names = name_list(names, [])
        for name in names:
            self._require("models", name)
        for name in names:
            self.conn._delete("models", name)

    # ------------------------------------------------------------------ staleness
    def stale_models(self, names: Iterable[str] | None = None) -> list[str]:
        """Models to re-solve: unsolved, failed, or with series changed since their solve.

        A model is up to date when it was solved and every series it uses still has
        the content it was solved with (same content hash). New observations, an
        updated stress or a model written again unsolved all make it stale.
        """
        infos = self.model_records(names)
        keys = {split_series_key(key) for info in infos.values() for key in info.get("inputs", {})}
        current = self.series_hashes(keys)
        stale = []
        for name, info in infos.items():
            inputs: dict[str, Any] = info.get("inputs", {})
            changed = any(current[split_series_key(k)] != h for k, h in inputs.items())
            if info.get("status") != "solved" or changed:
                stale.append(name)
        return stale
