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

Run ``python -m benchmarks.bench_store --quick`` (a few minutes) or without
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
from pathlib import Path
from typing import Any

from benchmarks.common import Timing, finish_args, make_parser
from benchmarks.machine import start_mongo, warn_if_busy, write_json
from benchmarks.store_backends import (
    BACKENDS,
    MONGO_BACKENDS,
    MONGO_MAX_N,
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
from benchmarks.store_report import TARGET_N, report
from benchmarks.store_results import Bench, Settings


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
