"""Store benchmark: pastas_projects connectors against pastastore 2.0 on the same data.

Median wall-clock time (``time.perf_counter``, warm-up calls excluded) of:

* writing and reading a daily stress (~15,000 values) and an irregular head series
  (~1,000 values);
* writing a solved RechargeModel(Exponential) (under a new name each time) and
  reading (rebuilding) it;
* reading the metadata table of 1,000 series and listing the names of a store of
  ``--n`` series (10,000; 1,000 with ``--quick``);
* opening that store in a fresh process: ``open`` (connector + project/PastaStore),
  ``open + names`` and ``open + metadata`` (the full metadata table).

Backends: pastas_projects' DictConnector, ArcticConnector on LMDB and on a MongoDB-wire
server this script starts (SecantusDB, see tests/mongo_server.py; or ``MONGO_URI``),
PystoreConnector; pastastore's ArcticDBConnector (LMDB) and PasConnector.

Run ``python benchmarks/bench_store.py --quick`` (a few minutes) or without
``--quick`` (about 10-15 minutes on 2 cores); see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import gc
import logging
import math
import multiprocessing
import os
import shutil
import sys
import tempfile
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402 (needs the path above when run as a script)
    Timing,
    finish_args,
    format_ms,
    load_average,
    make_parser,
    measure_interleaved,
    print_table,
    start_mongo,
    warn_if_busy,
    write_json,
)

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
TARGET_N = 10_000
"""Store size the 'open < 1 s' target is set for."""
OPEN_TARGET_S = 1.0

OPS: tuple[tuple[str, str], ...] = (
    ("write_stress", "write stress (daily, {stress_n:,})"),
    ("write_oseries", "write oseries (irregular, {head_n:,})"),
    ("read_stress", "read stress (daily, {stress_n:,})"),
    ("read_oseries", "read oseries (irregular, {head_n:,})"),
    ("write_model", "write model"),
    ("read_model", "read model (rebuild)"),
    ("metadata", "metadata table ({meta_n:,} series)"),
    ("names", "list names ({n:,})"),
    ("open", "open {n:,}-series store"),
    ("open_names", "open + names"),
    ("open_metadata", "open + metadata table"),
    ("open_metadata_first", "open + metadata, 1st in process"),
)
READ_OPS = ("read_stress", "read_oseries", "read_model")


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
        errors["open_metadata_first"] = _error(exc)

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
            errors[key] = _error(exc)
    return {"times": times, "errors": errors}


def _error(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in where if "pastas_projects" in f.filename or "pastastore" in f.filename]
    frame = (ours or where or [None])[-1]
    at = f" (at {Path(frame.filename).name}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}{at}"


# ---------------------------------------------------------------------- main process
@dataclass
class Settings:
    n: int
    mongo_n: int
    reps: int
    open_rounds: int
    open_reps: int
    budget_s: float


class Bench:
    """All measurements of one run."""

    def __init__(self, args: argparse.Namespace, data: Data) -> None:
        self.args = args
        self.data = data
        self.results: dict[str, dict[str, Timing]] = {b: {} for b in args.backends}
        self.errors: dict[str, dict[str, str]] = {b: {} for b in args.backends}
        self.sizes: dict[str, int] = {}
        self.populate_s: dict[str, float] = {}
        self.dict_big: Store | None = None
        self.load_at_start = load_average()

    def record(self, op: str, timings: dict[str, Timing], errors: dict[str, BaseException]) -> None:
        for backend, timing in timings.items():
            self.results[backend][op] = timing
        for backend, exc in errors.items():  # a broken backend: report it, go on
            self.errors[backend][op] = _error(exc)
            print(f"  {backend} {op}: FAILED {self.errors[backend][op]}", flush=True)

    def open_ops(self, spec: Spec) -> Store:
        """Open the store for single-item operations; write the model and its series."""
        d = self.data
        store = open_store(spec)
        for name, (library, series) in d.model_series.items():
            if library == "oseries":
                store.write_oseries(series, name, OPS_METADATA)
            else:
                kind = "evap" if "evap" in name else "prec"
                store.write_stress(series, name, kind, OPS_METADATA)
        store.write_oseries(d.head, "bench_head", OPS_METADATA)
        d.model.name = "bench_model"
        store.write_model(d.model)
        self._check_reads(store, spec.backend)
        return store

    def ops(self, stores: dict[str, Store], s: Settings) -> None:
        """Write/read single items, all backends interleaved call by call."""
        d = self.data
        stress_name = str(d.stress.name)
        ml = d.model

        def write_model(store: Store, i: int) -> None:
            ml.name = f"bench_model_{i}"
            store.write_model(ml)

        makers: dict[str, Callable[[Store], Callable[[int], object]]] = {
            "write_stress": lambda st: (
                lambda i: st.write_stress(d.stress, f"p{i}", "prec", OPS_METADATA)
            ),
            "write_oseries": lambda st: lambda i: st.write_oseries(d.head, f"h{i}", OPS_METADATA),
            "read_stress": lambda st: lambda i: st.read_stress(stress_name),
            "read_oseries": lambda st: lambda i: st.read_oseries("bench_head"),
            "write_model": lambda st: lambda i: write_model(st, i),
            "read_model": lambda st: lambda i: st.read_model("bench_model"),
        }
        try:
            for op, make in makers.items():
                print(f"  {op} ...", flush=True)
                fns = {b: make(st) for b, st in stores.items()}
                self.record(op, *measure_interleaved(fns, s.reps, budget_s=s.budget_s))
        finally:
            ml.name = "bench_model"

    def _check_reads(self, store: Store, backend: str) -> None:
        """Fail loudly (as an error of the backend) if a read gives other data back."""
        d = self.data
        try:
            got = store.read_stress(str(d.stress.name))
            np.testing.assert_allclose(got.to_numpy(), d.stress.to_numpy())
            assert (got.index == d.stress.index).all(), "stress index differs"
            got = store.read_oseries("bench_head")
            np.testing.assert_allclose(got.to_numpy(), d.head.to_numpy())
            ml = store.read_model("bench_model")
            np.testing.assert_allclose(
                ml.parameters["optimal"].to_numpy(float),
                d.model.parameters["optimal"].to_numpy(float),
                rtol=1e-10,
            )
        except Exception as exc:
            self.errors[backend]["roundtrip"] = _error(exc)
            print(f"  {backend}: ROUND TRIP FAILED {self.errors[backend]['roundtrip']}")

    def big(self, stores: dict[str, Store], s: Settings) -> None:
        """Metadata table and names on the big stores, interleaved, in this process."""
        wanted: dict[str, list[str]] = {}
        for b, store in stores.items():
            names = sorted(store.names())
            if len(names) != self.sizes[b]:
                self.errors[b]["names"] = f"store lists {len(names)} names, not {self.sizes[b]}"
            wanted[b] = names[:METADATA_N]

        def metadata(b: str) -> Callable[[int], object]:
            def run(_: int) -> None:
                table = stores[b].metadata(wanted[b])
                if len(table) != len(wanted[b]):
                    raise AssertionError(f"metadata table has {len(table)} rows")

            return run

        clear = {b: (lambda _, st=st: st.clear_caches()) for b, st in stores.items()}
        print("  metadata ...", flush=True)
        fns = {b: metadata(b) for b in stores}
        self.record("metadata", *measure_interleaved(fns, s.reps, budget_s=s.budget_s, setup=clear))
        print("  names ...", flush=True)
        fns = {b: (lambda _, st=st: st.names()) for b, st in stores.items()}
        self.record("names", *measure_interleaved(fns, s.reps, budget_s=s.budget_s, setup=clear))


def run(args: argparse.Namespace) -> dict[str, Any]:
    quiet()
    s = Settings(
        n=args.n,
        mongo_n=min(args.n, args.mongo_n),
        reps=args.reps or (5 if args.quick else 15),
        open_rounds=args.open_rounds or (2 if args.quick else 4),
        open_reps=args.open_reps or 2,
        budget_s=3.0 if args.quick else 10.0,
    )
    print(f"pastas_projects store benchmark: big store of {s.n:,} series", end="")
    print(" (--quick)" if args.quick else "", f"; {s.reps} reps per operation, median", sep="")
    t0 = time.perf_counter()
    data = load_data()
    print(
        f"data: {data.source}; stress {len(data.stress):,} values, head {len(data.head):,}, "
        f"model {data.model.name} solved in {time.perf_counter() - t0:.1f} s incl. loading"
    )
    warn_if_busy()
    bench = Bench(args, data)
    root = Path(args.dir or tempfile.mkdtemp(prefix="pp-bench-")).resolve()
    root.mkdir(parents=True, exist_ok=True)
    stage = _stage_dir(args, root)
    print(
        f"stores in {root}" + (f" (big stores populated in {stage}, then copied)" if stage else "")
    )
    server = None
    mongo_uri = None
    try:
        if any(b in MONGO_BACKENDS for b in args.backends):
            try:
                server = start_mongo(root / "mongo")
                mongo_uri = server.uri
                print(f"MongoDB-wire server: {server!r}; its big store holds {s.mongo_n:,} series")
            except Exception as exc:
                for b in MONGO_BACKENDS:
                    if b in args.backends:
                        print(f"{b} skipped: {exc}")
                        bench.errors[b]["server"] = _error(exc)
                        args.backends.remove(b)
        all_specs = {b: specs(b, root, mongo_uri) for b in args.backends}
        for b in args.backends:
            bench.sizes[b] = s.mongo_n if b in MONGO_BACKENDS else s.n
        _populate_all(bench, all_specs, s, stage, root)
        print("measuring single-item operations (backends interleaved) ...", flush=True)
        stores = {}
        for b in args.backends:
            try:
                stores[b] = bench.open_ops(all_specs[b][0])
            except Exception as exc:
                bench.errors[b]["setup"] = _error(exc)
                print(f"  {b}: FAILED {bench.errors[b]['setup']}")
        bench.ops(stores, s)
        _close_all(stores)
        print("measuring the big stores (backends interleaved) ...", flush=True)
        stores = {}
        for b in args.backends:
            if b in bench.errors and "populate" in bench.errors[b]:
                continue
            try:
                stores[b] = bench.dict_big if b == "pp-Dict" else open_store(all_specs[b][1])
            except Exception as exc:
                bench.errors[b]["big"] = _error(exc)
                print(f"  {b}: FAILED {bench.errors[b]['big']}")
        bench.big(stores, s)
        _close_all(stores)
        if not args.skip_open:
            _measure_opens(bench, {b: all_specs[b][1] for b in args.backends}, s)
    finally:
        if server is not None:
            server.stop()
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        if not args.keep and args.dir is None:
            shutil.rmtree(root, ignore_errors=True)
    return report(bench, s)


def _measure_opens(bench: Bench, big_specs: dict[str, Spec], s: Settings) -> None:
    """Open every big store in fresh processes: rounds of one process per backend.

    The backends take turns (in a rotating order), so that other load on the machine
    hits them alike; the first open of each process is one sample of its own row.
    """
    backends = [b for b in big_specs if b != "pp-Dict" and "populate" not in bench.errors[b]]
    if not backends:
        return
    print(
        f"opening the big stores: {s.open_rounds} round(s) of one fresh process per backend ...",
        flush=True,
    )
    ctx = multiprocessing.get_context("spawn")
    times: dict[str, dict[str, list[float]]] = {b: {} for b in backends}
    for r in range(s.open_rounds):
        shift = r % len(backends)
        for b in backends[shift:] + backends[:shift]:
            with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as pool:
                job = pool.submit(measure_open, big_specs[b], bench.sizes[b], s.open_reps)
                try:
                    out = job.result()
                except Exception as exc:
                    bench.errors[b]["open"] = _error(exc)
                    continue
            for op, values in out["times"].items():
                times[b].setdefault(op, []).extend(values)
            bench.errors[b].update(out["errors"])
        print(f"  round {r + 1} done", flush=True)
    for b, ops in times.items():
        for op, values in ops.items():
            bench.results[b][op] = Timing(values, warmup=0 if op.endswith("first") else 1)


def _close_all(stores: dict[str, Store | None]) -> None:
    for store in stores.values():
        if store is not None:
            with contextlib.suppress(Exception):
                store.close()


def _stage_dir(args: argparse.Namespace, root: Path) -> Path | None:
    if args.stage_dir == "none":
        return None
    base = Path(args.stage_dir) if args.stage_dir else Path("/dev/shm")
    if not base.is_dir() or not os.access(base, os.W_OK):
        return None
    return Path(tempfile.mkdtemp(prefix="pp-bench-stage-", dir=base))


def _populate_all(
    bench: Bench,
    all_specs: dict[str, tuple[Spec, Spec]],
    s: Settings,
    stage: Path | None,
    root: Path,
) -> None:
    """Fill every big store once, in worker processes (file stores on tmpfs, then copied)."""
    start = time.perf_counter()
    print(f"populating big stores ({s.n:,} series each) with {bench.args.workers} worker(s) ...")
    ctx = multiprocessing.get_context("spawn")
    jobs = {}
    with concurrent.futures.ProcessPoolExecutor(bench.args.workers, mp_context=ctx) as pool:
        for b, (_, big) in all_specs.items():
            if b == "pp-Dict":
                continue
            target = (
                big if stage is None or spec_folder(big) is None else relocate(big, root, stage)
            )
            jobs[pool.submit(populate, target, bench.sizes[b], bench.data.small)] = (b, big, target)
        if "pp-Dict" in all_specs:  # in-memory: lives in this process
            store = open_store(all_specs["pp-Dict"][1])
            t = time.perf_counter()
            for i in range(s.n):
                store.write_oseries(bench.data.small, big_name(i), small_metadata(i))
            bench.populate_s["pp-Dict"] = time.perf_counter() - t
            bench.dict_big = store
        for job in concurrent.futures.as_completed(jobs):
            b, big, target = jobs[job]
            try:
                bench.populate_s[b] = job.result()
            except Exception as exc:
                bench.errors[b]["populate"] = _error(exc)
                print(f"  {b}: populating FAILED {bench.errors[b]['populate']}")
                continue
            if target != big:
                src, dst = spec_folder(target), spec_folder(big)
                assert src is not None and dst is not None
                shutil.copytree(src, dst, symlinks=True)
                shutil.rmtree(src, ignore_errors=True)
            print(f"  {b}: {bench.sizes[b]:,} series written in {bench.populate_s[b]:.1f} s")
    print(f"populated in {time.perf_counter() - start:.0f} s")


# ---------------------------------------------------------------------- report
def ratio(bench: Bench, op: str, a: str, b: str) -> float | None:
    ta, tb = bench.results.get(a, {}).get(op), bench.results.get(b, {}).get(op)
    if ta is None or tb is None or not tb.median:
        return None
    return ta.median / tb.median


def report(bench: Bench, s: Settings) -> dict[str, Any]:
    d = bench.data
    labels = {
        op: text.format(
            stress_n=len(d.stress), head_n=len(d.head), meta_n=min(METADATA_N, s.n), n=s.n
        )
        for op, text in OPS
    }
    backends = list(bench.results)

    def cell(label: str, backend: str) -> str:
        op = next(k for k, v in labels.items() if v == label)
        if op in bench.errors[backend] or (op == "open" and "open" in bench.errors[backend]):
            return "ERR"
        t = bench.results[backend].get(op)
        return format_ms(t.median) if t else "-"

    print_table(
        "median time in ms (lower is better)", list(labels.values()), backends, cell, "operation"
    )
    notes = []
    if any(b in MONGO_BACKENDS for b in backends) and s.mongo_n != s.n:
        notes.append(
            f"MongoDB backends: their big stores hold {s.mongo_n:,} series, not {s.n:,} "
            "(the metadata table and names rows too)"
        )
    if s.n != TARGET_N:
        notes.append(f"big stores hold {s.n:,} series; the open target is for {TARGET_N:,}")
    for note in notes:
        print(f"note: {note}")

    targets: list[dict[str, Any]] = []
    ratios: dict[str, dict[str, float | None]] = {}

    pair = ("pp-Arctic-LMDB", "pst-ArcticDB")
    if all(b in backends for b in pair):
        ratios["Arctic-LMDB / pastastore-ArcticDB"] = {op: ratio(bench, op, *pair) for op, _ in OPS}
        for op, _ in OPS:
            value = ratios["Arctic-LMDB / pastastore-ArcticDB"][op]
            targets.append(_target(f"Arctic-LMDB / pastastore-ArcticDB: {labels[op]}", value, 1.0))
    pair = ("pp-PyStore", "pst-Pas")
    if all(b in backends for b in pair):
        ratios["PyStore / pastastore-Pas"] = {op: ratio(bench, op, *pair) for op, _ in OPS}
        for op in READ_OPS:
            value = ratios["PyStore / pastastore-Pas"][op]
            targets.append(_target(f"PyStore / pastastore-Pas: {labels[op]}", value, 1.0))
    pair = ("pp-Arctic-Mongo", "pst-ArcticDB-Mongo")
    if all(b in backends for b in pair):  # no target: the test server dominates
        ratios["Arctic-Mongo / pastastore-ArcticDB-Mongo"] = {
            op: ratio(bench, op, *pair) for op, _ in OPS
        }
    for b in (b for b in EMBEDDED if b in backends):
        for op in ("open_metadata", "open_metadata_first"):
            t = bench.results.get(b, {}).get(op)
            what = f"{b}: {labels[op]} of {s.n:,} series (s)"
            targets.append(_target(what, None if t is None else t.median, OPEN_TARGET_S, "<"))

    if ratios:
        names = list(ratios)
        print_table(
            "ratios (pastas_projects / pastastore; < 1 means pastas_projects is faster)",
            [labels[op] for op, _ in OPS],
            names,
            lambda label, name: _fmt_ratio(
                ratios[name][next(k for k, v in labels.items() if v == label)]
            ),
            "operation",
        )
    print("\ntargets")
    for t in targets:
        value = "n/a" if t["value"] is None else f"{t['value']:.3g}"
        print(f"  [{t['status']:>6}] {t['what']}: {value} (target {t['rule']} {t['limit']:g})")
    met = sum(t["status"] == "met" for t in targets)
    print(f"  {met} of {len(targets)} targets met")
    errors = {b: e for b, e in bench.errors.items() if e}
    if errors:
        print("\nerrors")
        for b, e in errors.items():
            for op, msg in e.items():
                print(f"  {b} {op}: {msg}")
    print(
        "\npopulating the big stores took (s): "
        + ", ".join(f"{b} {t:.1f}" for b, t in bench.populate_s.items())
    )
    return {
        "benchmark": "store",
        "load_average_at_start": bench.load_at_start,
        "settings": vars(s),
        "data": {
            "source": d.source,
            "stress_values": len(d.stress),
            "head_values": len(d.head),
            "small_values": len(d.small),
            "model": "RechargeModel(Exponential), solved",
        },
        "operations": labels,
        "store_sizes": bench.sizes,
        "populate_s": bench.populate_s,
        "results": {b: {op: t.as_dict() for op, t in r.items()} for b, r in bench.results.items()},
        "ratios": ratios,
        "targets": targets,
        "errors": errors,
        "notes": notes,
    }


def _target(what: str, value: float | None, limit: float, rule: str = "<=") -> dict[str, Any]:
    if value is None or math.isnan(value):
        status = "n/a"
    elif (value <= limit) if rule == "<=" else (value < limit):
        status = "met"
    else:
        status = "MISSED"
    return {"what": what, "value": value, "limit": limit, "rule": rule, "status": status}


def _fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(__doc__.split("\n\n")[0], default_n=TARGET_N, quick_n=1000)
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help="comma-separated subset of " + ", ".join(BACKENDS),
    )
    parser.add_argument("--reps", type=int, default=None, help="timed calls per operation")
    parser.add_argument(
        "--open-rounds", type=int, default=None, help="fresh processes per backend (4; 2 quick)"
    )
    parser.add_argument(
        "--open-reps", type=int, default=None, help="timed opens per variant and process (2)"
    )
    parser.add_argument(
        "--mongo-n", type=int, default=MONGO_MAX_N, help="cap on the MongoDB big store's size"
    )
    parser.add_argument("--dir", default=None, help="folder for the stores (default: a temp dir)")
    parser.add_argument(
        "--stage-dir",
        default=None,
        help="tmpfs folder to populate big stores in before copying them ('none': populate "
        "in place; default /dev/shm if writable)",
    )
    parser.add_argument("--skip-open", action="store_true", help="skip the open measurements")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder of stores")
    args = finish_args(parser.parse_args(argv))
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(args.backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backends {sorted(unknown)}; choose from {', '.join(BACKENDS)}")
    payload = run(args)
    if args.json:
        write_json(args.json, payload, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
