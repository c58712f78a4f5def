"""The stores ``bench_store.py`` measures: data, backends and what runs in their processes.

One :class:`Store` adapter per backend (pastas_projects' connectors through
``PastasProject``, pastastore's connectors through ``PastaStore``), the series and the
model every backend gets, filling a big store, and opening it in a fresh process.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pastas as ps

PP_BACKENDS = ("pp-Dict", "pp-Arctic-LMDB", "pp-Arctic-Mongo", "pp-PyStore")
PST_BACKENDS = ("pst-ArcticDB", "pst-Pas", "pst-ArcticDB-Mongo")
MONGO_BACKENDS = ("pp-Arctic-Mongo", "pst-ArcticDB-Mongo")
BACKENDS = PP_BACKENDS + PST_BACKENDS
EMBEDDED = ("pp-Arctic-LMDB", "pp-PyStore")
"""pastas_projects backends the 'open < 1 s' target applies to."""

MONGO_MAX_N = 250
"""The MongoDB-wire test server slows down with its size (see README): big stores capped."""
METADATA_N = 1000
"""Size of the metadata table read from the big store."""
OPS_METADATA = {"x": 187_000.0, "y": 337_000.0}
"""Metadata written with the series of the single-item operations."""


def quiet() -> None:
    """Silence the logging and warnings of pastas, pastastore and ArcticDB."""
    ps.set_log_level("ERROR")
    logging.getLogger("pastastore").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*BlockManagerUnconsolidated")
    warnings.filterwarnings("ignore", category=FutureWarning)
    with contextlib.suppress(ImportError):
        from arcticdb.config import set_log_level

        set_log_level("WARN")


# ---------------------------------------------------------------------- data
@dataclass
class Data:
    """The series and the solved model every backend gets."""

    stress: pd.Series  # daily precipitation, ~15,000 values
    head: pd.Series  # irregular heads, ~1,000 values
    small: pd.Series  # the small head written 10,000 times into the big store
    model: ps.Model  # RechargeModel(Exponential), solved
    model_series: dict[str, tuple[str, pd.Series]]  # name -> (library, series)
    source: str


def load_data() -> Data:
    """Bundled real series (rain_260, evap_260, B58C0698001, B32C0609001) or synthetic."""
    rng = np.random.default_rng(20240601)
    folder = files("pastas_projects") / "data"
    try:
        from pastas_projects.io import read_csv

        rain = read_csv(folder / "rain_260.csv")
        evap = read_csv(folder / "evap_260.csv")
        model_head = read_csv(folder / "B58C0698001.csv")
        long_head = read_csv(folder / "B32C0609001.csv")
        source = "bundled pastas_projects/data (rain_260, evap_260, B58C0698001, B32C0609001)"
    except (OSError, ImportError, ValueError):
        rain, evap, model_head, long_head = _synthetic(rng)
        source = "synthetic"
    rain = rain.rename("rain_260") if rain.name is None else rain
    pick = np.sort(rng.choice(len(long_head), size=min(1000, len(long_head)), replace=False))
    head = long_head.iloc[pick].rename("bench_head")
    ml = ps.Model(model_head, name="bench_model")
    ml.add_stressmodel(ps.RechargeModel(rain, evap, ps.Exponential(), name="recharge"))
    ml.solve(report=False)
    model_series = {
        str(model_head.name): ("oseries", model_head),
        str(rain.name): ("stresses", rain),
        str(evap.name): ("stresses", evap),
    }
    small = model_head.iloc[:100].rename("small")
    return Data(rain, head, small, ml, model_series, source)


def _synthetic(rng: np.random.Generator) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    days = pd.date_range("1980-01-01", periods=15_000, freq="D")
    rain = pd.Series(rng.gamma(0.5, 4.0, len(days)) * (rng.random(len(days)) < 0.5), days)
    doy = days.dayofyear.to_numpy()
    evap = pd.Series(np.clip(2 + 1.8 * np.sin(2 * np.pi * (doy - 100) / 365), 0, None), days)
    kernel = np.exp(-np.arange(400) / 80.0) * 0.002
    level = 10 + np.convolve((rain - evap).to_numpy(), kernel)[: len(days)]
    daily = pd.Series(level + rng.normal(0, 0.02, len(days)), days)
    model_head = daily.iloc[500::14].rename("head_model")
    long_head = daily.iloc[500:].sample(3000, random_state=1).sort_index().rename("head_long")
    return rain.rename("rain"), evap.rename("evap"), model_head, long_head


def small_metadata(i: int) -> dict[str, Any]:
    """Metadata of series ``i`` of the big store."""
    return {"x": 100_000.0 + i, "y": 400_000.0 + 2 * i, "screen_top": -5.0, "source": "bench"}


def big_name(i: int) -> str:
    return f"head_{i:05d}"


# ---------------------------------------------------------------------- backends
@dataclass(frozen=True)
class Spec:
    """Where one store of one backend lives (picklable, for worker processes)."""

    backend: str
    name: str
    location: str  # path, URI or "" (in memory)


class Store:
    """The operations measured, on top of one backend's public API."""

    def write_oseries(self, series: pd.Series, name: str, metadata: dict) -> None:
        raise NotImplementedError

    def write_stress(self, series: pd.Series, name: str, kind: str, metadata: dict) -> None:
        raise NotImplementedError

    def read_oseries(self, name: str) -> pd.Series:
        raise NotImplementedError

    def read_stress(self, name: str) -> pd.Series:
        raise NotImplementedError

    def write_model(self, ml: ps.Model) -> None:
        raise NotImplementedError

    def read_model(self, name: str) -> ps.Model:
        raise NotImplementedError

    def metadata(self, names: list[str] | None = None) -> pd.DataFrame:
        """Oseries metadata table: of ``names``, or the store's full table (as a user gets it)."""
        raise NotImplementedError

    def names(self) -> list[str]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def clear_caches(self) -> None:
        """Forget cached names and metadata tables, so the next call reads the store."""


class ProjectStore(Store):
    """pastas_projects: ``pp.PastasProject(name, connector).db``."""

    def __init__(self, spec: Spec) -> None:
        import pastas_projects as pp

        if spec.backend == "pp-Dict":
            conn = pp.DictConnector(spec.name)
        elif spec.backend in ("pp-Arctic-LMDB", "pp-Arctic-Mongo"):
            conn = pp.ArcticConnector(spec.name, spec.location)
        elif spec.backend == "pp-PyStore":
            conn = pp.PystoreConnector(spec.name, spec.location)
        else:
            raise ValueError(spec.backend)
        self.conn = conn
        self.db = pp.PastasProject(spec.name, conn).db

    def write_oseries(self, series: pd.Series, name: str, metadata: dict) -> None:
        self.db.add_oseries(series, name, metadata=dict(metadata))

    def write_stress(self, series: pd.Series, name: str, kind: str, metadata: dict) -> None:
        self.db.add_stress(series, name, kind=kind, metadata=dict(metadata))

    def read_oseries(self, name: str) -> pd.Series:
        return self.db.get_oseries(name)

    def read_stress(self, name: str) -> pd.Series:
        return self.db.get_stresses(name)

    def write_model(self, ml: ps.Model) -> None:
        self.db.add_model(ml)

    def read_model(self, name: str) -> ps.Model:
        return self.db.get_models(name)

    def metadata(self, names: list[str] | None = None) -> pd.DataFrame:
        return self.db.oseries if names is None else self.db.get_metadata("oseries", names)

    def names(self) -> list[str]:
        return self.db.oseries_names

    def close(self) -> None:
        self.conn.close()


class PastaStoreStore(Store):
    """pastastore 2.0: ``pastastore.PastaStore(connector)``."""

    def __init__(self, spec: Spec) -> None:
        import pastastore

        if spec.backend in ("pst-ArcticDB", "pst-ArcticDB-Mongo"):
            conn = pastastore.ArcticDBConnector(spec.name, spec.location, verbose=False)
        elif spec.backend == "pst-Pas":
            conn = pastastore.PasConnector(spec.name, spec.location, verbose=False)
        else:
            raise ValueError(spec.backend)
        self.pstore: Any = pastastore.PastaStore(conn)

    def write_oseries(self, series: pd.Series, name: str, metadata: dict) -> None:
        self.pstore.add_oseries(series, name, metadata=dict(metadata))

    def write_stress(self, series: pd.Series, name: str, kind: str, metadata: dict) -> None:
        self.pstore.add_stress(series, name, kind=kind, metadata=dict(metadata))

    def read_oseries(self, name: str) -> pd.Series:
        return self.pstore.get_oseries(name)

    def read_stress(self, name: str) -> pd.Series:
        return self.pstore.get_stresses(name)

    def write_model(self, ml: ps.Model) -> None:
        self.pstore.add_model(ml)

    def read_model(self, name: str) -> ps.Model:
        return self.pstore.get_models(name)

    def metadata(self, names: list[str] | None = None) -> pd.DataFrame:
        if names is None:  # a cached property that PastaStore() fills when it opens
            return self.pstore.oseries
        return self.pstore.conn.get_metadata("oseries", names)  # uncached

    def names(self) -> list[str]:
        return self.pstore.oseries_names

    def clear_caches(self) -> None:
        # cached_property values of the connector (PasConnector caches oseries_names)
        for attr in ("oseries", "oseries_names"):
            self.pstore.conn.__dict__.pop(attr, None)

    def close(self) -> None:
        self.pstore = None  # pastastore has no close(); drop the Arctic/handles
        gc.collect()


def open_store(spec: Spec) -> Store:
    return ProjectStore(spec) if spec.backend.startswith("pp-") else PastaStoreStore(spec)


def preload(backend: str) -> None:
    """Import a backend's modules, so that 'open' times exclude module imports."""
    quiet()
    import pastastore  # noqa: F401

    import pastas_projects as pp

    if "Arctic" in backend:
        import arcticdb  # noqa: F401

        _ = pp.ArcticConnector
    if backend == "pp-PyStore":
        _ = pp.PystoreConnector


def specs(backend: str, root: Path, mongo_uri: str | None) -> tuple[Spec, Spec]:
    """Specs of the store for single-item operations ('ops') and the big store."""
    if backend == "pp-Dict":
        return Spec(backend, "bench_ops", ""), Spec(backend, "bench_big", "")
    if backend in MONGO_BACKENDS:
        if mongo_uri is None:
            raise RuntimeError("no MongoDB server")
        prefix = backend.split("-")[0]  # pp / pst: their own libraries on one server
        return tuple(Spec(backend, f"{prefix}_{r}", mongo_uri) for r in ("ops", "big"))
    slug = backend.lower().replace("-", "_")
    if backend in ("pp-Arctic-LMDB", "pst-ArcticDB"):
        return tuple(
            Spec(backend, "bench", f"lmdb://{root / f'{slug}_{r}'}") for r in ("ops", "big")
        )
    return tuple(Spec(backend, "bench", str(root / f"{slug}_{r}")) for r in ("ops", "big"))


def relocate(spec: Spec, old: Path, new: Path) -> Spec:
    """The same spec with the folder ``old`` replaced by ``new``."""
    return Spec(spec.backend, spec.name, spec.location.replace(str(old), str(new)))


def spec_folder(spec: Spec) -> Path | None:
    if spec.location.startswith("lmdb://"):
        return Path(spec.location[len("lmdb://") :])
    if spec.location and "://" not in spec.location:
        return Path(spec.location)
    return None


# ---------------------------------------------------------------------- worker processes
def populate(spec: Spec, n: int, series: pd.Series) -> float:
    """Write ``n`` small heads with metadata into a new store; return the seconds taken."""
    preload(spec.backend)
    store = open_store(spec)
    start = time.perf_counter()
    for i in range(n):
        store.write_oseries(series, big_name(i), small_metadata(i))
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed


def measure_open(spec: Spec, n: int, warm_reps: int) -> dict[str, Any]:
    """Run in a fresh process: time opening the big store (module imports excluded).

    Returns the seconds of the first open + metadata table in this process, then of
    ``warm_reps`` (1 when the first took over a second) of each of 'open', 'open +
    names' and 'open + metadata', every one closed again (untimed) before the next.
    """
    preload(spec.backend)
    times: dict[str, list[float]] = {}
    errors: dict[str, str] = {}
    try:
        start = time.perf_counter()
        store = open_store(spec)
        table = store.metadata()
        times["open_metadata_first"] = [time.perf_counter() - start]
        store.close()
        if len(table) != n:
            errors["open_metadata_first"] = f"metadata table has {len(table)} rows, not {n}"
        if times["open_metadata_first"][0] > 1.0:
            warm_reps = 1
    except Exception as exc:  # report a broken backend, go on with the others
        errors["open_metadata_first"] = error_text(exc)

    variants: dict[str, Callable[[Store], object] | None] = {
        "open": None,
        "open_names": lambda s: s.names(),
        "open_metadata": lambda s: s.metadata(),
    }
    for key, query in variants.items():
        try:
            for _ in range(warm_reps):
                start = time.perf_counter()
                store = open_store(spec)
                if query is not None:
                    query(store)
                times.setdefault(key, []).append(time.perf_counter() - start)
                store.close()
        except Exception as exc:
            errors[key] = error_text(exc)
    return {"times": times, "errors": errors}


def error_text(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in where if "pastas_projects" in f.filename or "pastastore" in f.filename]
    frame = (ours or where or [None])[-1]
    at = f" (at {Path(frame.filename).name}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}{at}"
