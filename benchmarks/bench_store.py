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
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

# the imports below need the path above when run as a script
from common import Timing, finish_args, make_parser, measure_interleaved  # noqa: E402
from machine import load_average, start_mongo, warn_if_busy, write_json  # noqa: E402
from store_backends import (  # noqa: E402 (the same path)
    BACKENDS,
    METADATA_N,
    MONGO_BACKENDS,
    MONGO_MAX_N,
    OPS_METADATA,
    Data,
    Spec,
    Store,
    big_name,
    error_text,
    load_data,
    measure_open,
    open_store,
    populate,
    quiet,
    relocate,
    small_metadata,
    spec_folder,
    specs,
)
from store_report import TARGET_N, report  # noqa: E402 (the same path)


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
            self.errors[backend][op] = error_text(exc)
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
            self.errors[backend]["roundtrip"] = error_text(exc)
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
                        bench.errors[b]["server"] = error_text(exc)
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
                bench.errors[b]["setup"] = error_text(exc)
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
                bench.errors[b]["big"] = error_text(exc)
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
                    bench.errors[b]["open"] = error_text(exc)
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
                bench.errors[b]["populate"] = error_text(exc)
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
