"""Models in the store: kept as JSON without their series, rebuilt on read.

:class:`ModelStore` is the model half of :class:`~pastas_projects.database.Database`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd
import pastas as ps
from tqdm.auto import tqdm

from pastas_projects.bookkeeping import (
    finite,
    model_info,
    series_hash,
    series_key,
    split_series_key,
    utc_now,
)
from pastas_projects.connectors.base import AsOf, BaseConnector, StoredItem
from pastas_projects.errors import (
    ItemExistsError,
    ItemNotFoundError,
    ModelBuildError,
    ModelSeriesError,
)
from pastas_projects.pastas_compat import json_to_model, model_series, model_to_json
from pastas_projects.validation import validate_name

if TYPE_CHECKING:
    from pastas_projects.database import Database

INFO_COLUMNS = ["oseries", "stresses", "status", "solved", "error", "written", "solved_at"]


class SeriesCache:
    """Series read for rebuilding models, shared by the models of one call.

    Stresses are shared by many models (one meteo station serves many wells), so a
    batch reads each of them once. Series are handed out with a microsecond index,
    the unit pastas 2 works in: pastas converts other units itself, in place, and
    mixing units makes its index unions fall back to slow object arrays.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.items: dict[tuple[str, str, AsOf], tuple[pd.Series, StoredItem]] = {}

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


class ModelStore:
    """Add, read and delete models; mixed into :class:`Database`."""

    conn: BaseConnector

    # ------------------------------------------------------------------ reading
    @property
    def models(self) -> pd.DataFrame:
        """One row per model: its series, status, error and when it was written/solved."""
        return self.get_model_info()

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
            ``failed``), ``solved``, ``error``, ``written``, ``solved_at``.

        """
        infos = self._model_infos(names)
        table = pd.DataFrame.from_dict(
            {n: {c: info.get(c) for c in INFO_COLUMNS} for n, info in infos.items()},
            orient="index",
            columns=INFO_COLUMNS,
        )
        table.index.name = "name"
        return table

    def _model_infos(self, names: str | Iterable[str] | None = None) -> dict[str, dict]:
        if names is None:
            wanted = sorted(self.conn._list_names("models"))
        else:
            wanted = [names] if isinstance(names, str) else list(names)
        found = self.conn._read_metadata("models", wanted)
        missing = [n for n in wanted if n not in found]
        if missing:
            raise ItemNotFoundError(f"model {missing[0]!r} is not in the store")
        return {n: found[n] for n in wanted}

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
            return self._build_model(names, as_of, cache)[0]
        names = list(names)
        return {
            n: self._build_model(n, as_of, cache)[0]
            for n in tqdm(names, desc="Reading models", disable=not progressbar)
        }

    def _build_model(
        self, name: str, as_of: AsOf, cache: SeriesCache
    ) -> tuple[ps.Model, dict, dict[str, int | None]]:
        """Rebuild one model; return it, its stored info and the series versions used."""
        item = self._read_item("models", name, as_of)
        info = item.metadata
        pinned = info.get("input_versions", {}) if as_of is not None else {}
        versions: dict[str, int | None] = {}
        hashes: dict[str, str] = {}

        def lookup(library: str, series_name: str) -> pd.Series:
            key = series_key(library, series_name)
            try:
                series, stored = cache.get(library, series_name, pinned.get(key))
            except ItemNotFoundError as err:
                raise ModelBuildError(f"model {name!r} cannot be rebuilt: {err}") from None
            versions[key] = stored.version
            hashes[key] = stored.metadata.get("_hash")
            return series

        try:
            ml = json_to_model(item.data, lookup)
        except ModelBuildError:
            raise
        except Exception as err:  # a corrupt or incompatible model document
            raise ModelBuildError(
                f"model {name!r} cannot be rebuilt: {type(err).__name__}: {err}"
            ) from err
        return ml, info | {"current_inputs": hashes}, versions

    # ------------------------------------------------------------------ writing
    def add_model(self, ml: ps.Model, overwrite: bool = False) -> None:
        """Store a model (as JSON, without its series).

        Every series the model uses must be in the store, under the name the model
        gives it and with the same values; the model's name is its item name.

        Parameters
        ----------
        ml : pastas.Model
            The model.
        overwrite : bool, optional
            Replace an existing model of that name.

        Raises
        ------
        ModelSeriesError
            If a series is not in the store or differs from the stored one.
        ItemExistsError
            If the model exists and ``overwrite`` is False.

        """
        if not isinstance(ml, ps.Model):
            raise TypeError(f"add_model needs a pastas.Model, not {type(ml).__name__}")
        name = validate_name(ml.name, "model")
        if not overwrite and self.conn._has("models", name):
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
        versions = self._current_versions(inputs)
        self._write_model(ml, inputs, versions)

    def _current_versions(self, inputs: dict[str, str]) -> dict[str, int | None]:
        if not self.conn.supports_versions:
            return {key: None for key in inputs}
        versions = {}
        for key in inputs:
            library, name = split_series_key(key)
            versions[key] = self.conn._list_versions(library, name)[-1].version
        return versions

    def _write_model(
        self,
        ml: ps.Model,
        inputs: dict[str, str],
        versions: dict[str, int | None],
        statistics: dict[str, float | None] | None = None,
        error: str | None = None,
    ) -> int | None:
        """Write a model whose series are known to match the store (no checks)."""
        optimal = ml.parameters["optimal"]
        solved = bool(optimal.notna().all()) and error is None
        values = optimal if solved else ml.parameters["initial"]
        info = model_info(
            inputs,
            versions,
            solved=solved,
            parameters={p: finite(v) for p, v in values.items()},
            statistics=statistics,
        )
        if error is not None:
            info["status"] = "failed"
            info["error"] = error
            info["failed_at"] = utc_now()
        return self.conn._write("models", validate_name(ml.name, "model"), model_to_json(ml), info)

    def del_models(self, names: str | Iterable[str]) -> None:
        """Delete models (all their versions)."""
        names = [names] if isinstance(names, str) else list(names)
        for name in names:
            self._require("models", name)
        for name in names:
            self.conn._delete("models", name)

    # ------------------------------------------------------------------ relations
    def models_using(self, library: str, names: Iterable[str]) -> dict[str, list[str]]:
        """Which models use each of these series.

        Returns
        -------
        dict
            ``series name -> sorted model names``, only for series that are used.

        """
        keys = {series_key(library, n): n for n in names}
        users: dict[str, list[str]] = {}
        model_names = self.conn._list_names("models")
        if not model_names:
            return users
        for model, info in self.conn._read_metadata("models", model_names).items():
            for key in info.get("inputs", {}):
                if key in keys:
                    users.setdefault(keys[key], []).append(model)
        return {n: sorted(m) for n, m in users.items()}

    def stale_models(self, names: Iterable[str] | None = None) -> list[str]:
        """Models to re-solve: unsolved, failed, or with series changed since their solve.

        A model is up to date when it was solved and every series it uses still has
        the content it was solved with (same content hash). New observations, an
        updated stress or a model written again unsolved all make it stale.
        """
        infos = self._model_infos(names)
        keys = {split_series_key(key) for info in infos.values() for key in info.get("inputs", {})}
        current = self.series_hashes(keys)
        stale = []
        for name, info in infos.items():
            inputs: dict[str, Any] = info.get("inputs", {})
            changed = any(current[split_series_key(k)] != h for k, h in inputs.items())
            if info.get("status") != "solved" or changed:
                stale.append(name)
        return stale
