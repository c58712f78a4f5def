"""Bulk-calibration benchmark: N stored models solved serially, on Prefect+Dask, by pastastore.

The models: one ``RechargeModel(Exponential, Linear)`` (+ ``ArNoiseModel`` unless
``--no-noise``) per synthetic head of ``pastas_projects.datasets.synthetic(n, seed)``,
built by ``PastasProject.create_model`` (and, for the pastas-only and pastastore
variants, by the same definition in plain pastas; checked to be equal). Wall-clock
times (``time.perf_counter``, one run each; the stores are filled untimed):

* ``T_pure``: build and solve every model with pastas in this process, no store;
* ``T_store``: ``pr.solve_models()`` serially through an ArcticDB LMDB store
  (``T_pure`` and ``T_store`` interleaved in chunks of 50 models, so the machine's
  drifting speed does not enter their ratio);
* ``T_flow``: the ``solve-models`` Prefect flow on a local Dask cluster of ``--workers``
  processes, against a real Prefect server (end to end, cluster start included);
* ``T_peer``: pastastore 2.0 ``solve_models(parallel=True, max_workers=W)`` on LMDB;

plus the peak RSS of the flow process and its Dask workers in flow runs of two sizes,
and the share of models whose fitted parameters are within the tolerances of
tests/test_datasets.py. Run ``python -m benchmarks.bench_calibrate --quick`` (a few
minutes) or without ``--quick`` (about half an hour on 2 cores); see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks import calibrate_parts as parts
from benchmarks.calibrate_serial import (
    pair_reference,
    print_drift,
    reference_seconds,
    run_pure_and_store,
    two_processes,
)
from benchmarks.common import (
    finish_args,
    make_parser,
    print_table,
)
from benchmarks.machine import (
    load_average,
    warn_if_busy,
    write_json,
)

TARGET_N, TARGET_W = 1000, 2
"""Problem the speedup target is set for."""
MEMORY_N, QUICK_MEMORY_N = (200, 2000), (50, 200)
VARIANTS = ("pure", "store", "flow", "peer")
LABELS = {
    "pure": "T_pure   pastas loop, in memory",
    "store": "T_store  pr.solve_models, LMDB",
    "flow": "T_flow   solve-models flow, Dask",
    "peer": "T_peer   pastastore parallel, LMDB",
}


def run_peer(data: Any, uri: str, noise: bool, workers: int) -> dict[str, Any]:
    start = time.perf_counter()
    pstore = parts.fill_pastastore(uri, "bench_peer", data, noise)
    prepare = time.perf_counter() - start
    with parts.RssSampler(os.getpid()) as rss:
        start = time.perf_counter()
        parts.solve_pastastore(pstore, workers)
        seconds = time.perf_counter() - start
    check = list(data.oseries)[:: max(1, len(data.oseries) // 50)]  # read back ~50 models
    params = pd.DataFrame({n: pstore.get_models(n).parameters["optimal"] for n in check}).T
    solved = int(params[parts.PARAMS].notna().all(axis=1).sum())
    return {
        "seconds": seconds,
        "cpu_s": rss.cpu_seconds,
        "rss": rss.as_dict(),
        "prepare_s": prepare,
        "checked": len(check),
        "checked_solved": solved,
        "params": params,
    }


def prepare_flow_store(data: Any, uri: str, name: str, noise: bool) -> float:
    start = time.perf_counter()
    pr = parts.fill_project(uri, name, data, noise)
    pr.db.conn.close()  # an LMDB folder must not be open twice in one process
    return time.perf_counter() - start


def run_flow(data: Any, uri: str, noise: bool, workers: int) -> dict[str, Any]:
    from pastas_projects.blocks import PastasStoreBlock
    from pastas_projects.flows.solve import solve_models_flow
    from pastas_projects.prefect_server import configured_api_url

    prepare = prepare_flow_store(data, uri, "bench_flow", noise)
    block = PastasStoreBlock(uri=uri, connector_name="bench_flow")
    with parts.RssSampler(os.getpid()) as rss, parts.ApiProbe(configured_api_url()) as api:
        start = time.perf_counter()
        summary = solve_models_flow(store=block, workers=workers)
        seconds = time.perf_counter() - start
    params = block.get_project().get_parameters()
    keep = ("seconds", "cluster_seconds", "solved", "failed", "batches", "workers",
            "models_per_second", "flow_run_id", "accounting")  # fmt: skip
    return {
        "seconds": seconds,
        "cpu_s": rss.cpu_seconds,
        "prepare_s": prepare,
        "solved": summary["solved"],
        "failed": summary["failed"],
        "cluster_s": summary["cluster_seconds"],
        "summary": {k: summary.get(k) for k in keep},
        "rss": rss.as_dict(),
        "api": api.as_dict(),
        "params": params,
    }


def memory_run(n: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """A flow run of ``n`` models in a fresh spawned process; sample its process tree."""
    from pastas_projects.datasets import synthetic

    uri = f"lmdb://{tmp / f'memory_{n}'}"
    prepare = prepare_flow_store(synthetic(n, args.seed), uri, "bench_mem", not args.no_noise)
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=parts.flow_child, args=(uri, "bench_mem", args.workers, send))
    proc.start()
    with parts.RssSampler(proc.pid) as rss:
        result = receive.recv() if receive.poll(3600) else {"ok": False, "error": "timeout"}
        proc.join(60)
    if proc.is_alive():
        proc.terminate()
        proc.join()
    if not result.pop("ok"):
        raise RuntimeError(result["error"])
    return {"n": n, "prepare_s": prepare, **result, **rss.as_dict()}


class _Skipped(Exception):
    """A variant left out with ``--variants``."""


def run(args: argparse.Namespace) -> dict[str, Any]:
    parts.quiet()
    warn_if_busy()
    load_at_start = load_average()
    from pastas_projects.datasets import synthetic
    from pastas_projects.prefect_server import ensure_server

    if args.dir:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench_cal_", dir=args.dir)).resolve()  # new, empty
    noise, n, w = not args.no_noise, args.n, args.workers
    data = synthetic(n, args.seed)
    names = list(data.oseries)
    print(f"{n:,} models, {w} workers, noise model: {noise}, stores in {tmp}")
    res: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    memory: list[dict[str, Any]] = []
    server_s = None

    def attempt(key: str, fn: Any, *fn_args: Any) -> None:
        print(f"running {key} ...", flush=True)
        try:
            res[key] = fn(*fn_args)
            print(f"  {key}: {res[key]['seconds']:.1f} s", flush=True)
        except Exception as exc:  # report it, go on with the others
            errors[key] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()

    drift: dict[str, float] = {"start": reference_seconds(data, names, noise)}
    two_proc: list[float] = []
    pair: dict[str, dict[str, float]] = {}
    try:
        print("running pure and store, interleaved ...", flush=True)
        try:
            if not {"pure", "store"} & set(args.variants):
                raise _Skipped
            res["pure"], res["store"] = run_pure_and_store(
                data, names, f"lmdb://{tmp / 'store'}", noise
            )
            print(f"  pure: {res['pure']['seconds']:.1f} s, store: {res['store']['seconds']:.1f} s")
        except _Skipped:
            print("  skipped (--variants)")
        except Exception as exc:  # report it, go on with the others
            errors["pure_store"] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        # pastastore forks its workers: run it before Prefect/Dask start threads here
        if "peer" in args.variants:
            attempt("peer", run_peer, data, f"lmdb://{tmp / 'peer'}", noise, w)
        start = time.perf_counter()
        with ensure_server(home=tmp / "prefect_home", timeout=120):
            server_s = time.perf_counter() - start
            drift["before_flow"] = reference_seconds(data, names, noise)
            pair["before_flow"] = pair_reference(data, names, noise, drift["before_flow"])
            if "flow" in args.variants and not args.skip_t2proc:
                print("running T_2proc before the flow ...", flush=True)
                two_proc.append(two_processes(data, names, noise)["seconds"])
            if "flow" in args.variants:
                attempt("flow", run_flow, data, f"lmdb://{tmp / 'flow'}", noise, w)
            if "flow" in args.variants and not args.skip_t2proc:
                print("running T_2proc after the flow ...", flush=True)
                two_proc.append(two_processes(data, names, noise)["seconds"])
            drift["after_flow"] = reference_seconds(data, names, noise)
            pair["after_flow"] = pair_reference(data, names, noise, drift["after_flow"])
            for m in () if args.skip_memory else args.memory_n:
                print(f"memory run: flow of {m:,} models in a fresh process ...", flush=True)
                try:
                    memory.append(memory_run(m, args, tmp))
                except Exception as exc:
                    errors[f"memory_{m}"] = f"{type(exc).__name__}: {exc}"
                    traceback.print_exc()
    finally:
        from pastas_projects.blocks import clear_connector_cache

        clear_connector_cache(close=True)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    if two_proc:
        res["two_proc"] = {"seconds": sum(two_proc) / len(two_proc), "runs_s": two_proc}
    return report(args, data, res, memory, errors, server_s, load_at_start, drift, pair)


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b <= 0 else a / b


def _target(what: str, value: float | None, rule: str, limit: float) -> dict[str, Any]:
    if value is None or math.isnan(value):
        status = "n/a"
    else:
        status = "met" if (value >= limit if rule == ">=" else value <= limit) else "MISSED"
    return {"what": what, "value": value, "rule": rule, "limit": limit, "status": status}


def _fmt(value: Any, spec: str = ".3g") -> str:
    return (
        "n/a" if value is None else format(value, spec) if isinstance(value, float) else str(value)
    )


def figures_and_targets(
    n: int, w: int, res: dict[str, dict[str, Any]], memory: list[dict[str, Any]]
) -> tuple[dict[str, float | None], list[dict[str, Any]]]:
    t = {k: res[k]["seconds"] if k in res else None for k in VARIANTS}
    cluster = res["flow"]["cluster_s"] if "flow" in res else None
    speedup = _ratio(t["pure"], t["flow"])
    both = speedup is not None
    peak = [m["peak_main_mib"] for m in memory]
    figures = {
        "speedup": speedup,
        "speedup_excl_cluster_start": _ratio(t["pure"], t["flow"] - cluster) if both else None,
        "parallel_efficiency": speedup / w if both else None,
        "overhead_ms_per_model": (w * t["flow"] - t["pure"]) / n * 1000 if both else None,
        "cpu_overhead_ms_per_model": (res["flow"]["cpu_s"] - res["pure"]["cpu_s"]) / n * 1000
        if both
        else None,
        "flow_outside_flow_function_s": t["flow"] - res["flow"]["summary"]["seconds"]
        if both
        else None,
        "store_overhead": _ratio(t["store"], t["pure"]),
        "peer_over_flow": _ratio(t["peer"], t["flow"]),
        "memory_ratio": _ratio(peak[-1], peak[0]) if len(peak) == 2 else None,
        "flow_over_two_proc": _ratio(t["flow"], res["two_proc"]["seconds"])
        if "two_proc" in res and t["flow"]
        else None,
        "seconds_per_model_flow": t["flow"] / n if t["flow"] else None,
    }
    mem = f"{memory[-1]['n']:,} vs {memory[0]['n']:,}" if len(memory) == 2 else "n/a"
    targets = [
        _target(
            "T_flow/T_2proc (cluster start counted)", figures["flow_over_two_proc"], "<=", 1.10
        ),
        _target("store overhead T_store/T_pure", figures["store_overhead"], "<=", 1.10),
        _target(f"peak flow-process RSS, N={mem}", figures["memory_ratio"], "<=", 1.2),
    ]
    return figures, targets


def print_results(
    n: int,
    w: int,
    res: dict[str, dict[str, Any]],
    accuracy: dict[str, dict[str, Any]],
    memory: list[dict[str, Any]],
    server_s: float | None,
) -> None:
    def cell(row: str, col: str) -> str:
        key = next(k for k, v in LABELS.items() if v == row)
        r, acc = res.get(key), accuracy.get(key)
        if r is None:
            return "error" if col == "s" else "-"
        if col == "solved" and key == "peer":
            return f"{r['checked_solved']}/{r['checked']}*"
        return {
            "s": f"{r['seconds']:.1f}",
            "CPU s": f"{r['cpu_s']:.1f}",
            "ms/model": f"{r['seconds'] / n * 1000:.0f}",
            "solved": str(r.get("solved")),
            "failed": str(r.get("failed", "-")),
            "in tol.": "-" if acc is None else f"{acc['share']:.1%}",
        }[col]

    title = f"bulk calibration of {n:,} models, {w} workers (one run each)"
    columns = ["s", "ms/model", "CPU s", "solved", "failed", "in tol."]
    print_table(title, list(LABELS.values()), columns, cell, "variant")
    if "peer" in res:
        print("* pastastore: a sample of models read back, counted if it has fitted parameters")
    if "flow" in res:
        f, s = res["flow"], res["flow"]["summary"]
        print(
            f"flow: cluster start {f['cluster_s']:.1f} s and in-flow time {s['seconds']:.1f} s "
            f"of T_flow (the rest: flow-run creation, cluster shutdown); {s['batches']} "
            f"batches; CPU s flow process {f['rss']['cpu_main_s']:.1f}, workers "
            f"{f['rss']['cpu_children_s']:.1f}; peak RSS flow process "
            f"{f['rss']['peak_main_mib']:.0f} MiB; Prefect server start "
            f"{_fmt(server_s, '.1f')} s (not in T_flow)"
        )
    if memory:
        cols = {"wall s": "wall_s", "cluster s": "cluster_seconds", "solved": "solved",
                "flow proc MiB": "peak_main_mib", "max worker MiB": "peak_child_mib",
                "total MiB": "peak_total_mib", "procs": "child_processes"}  # fmt: skip
        by_n = {f"N={m['n']:,}": m for m in memory}
        title = "peak RSS of flow runs, each in a fresh process (sampled every 0.2 s)"
        print_table(title, list(by_n), list(cols), lambda r, c: _fmt(by_n[r][cols[c]], ".1f"))


def report(
    args: argparse.Namespace,
    data: Any,
    res: dict[str, dict[str, Any]],
    memory: list[dict[str, Any]],
    errors: dict[str, str],
    server_s: float | None,
    load_at_start: list[float] | None,
    drift: dict[str, float],
    pair: dict[str, dict[str, float]],
) -> dict[str, Any]:
    n, w = args.n, args.workers
    accuracy = {
        k: parts.recovery(res[k]["params"], data.true_parameters)
        for k in ("pure", "store", "flow")
        if k in res
    }
    figures, targets = figures_and_targets(n, w, res, memory)
    print_results(n, w, res, accuracy, memory, server_s)
    print("\nfigures")
    for key, value in figures.items():
        print(f"  {key}: {_fmt(value)}")
    print("\ntargets")
    for tg in targets:
        print(f"  [{tg['status']:>6}] {tg['what']}: {_fmt(tg['value'])} "
              f"(target {tg['rule']} {tg['limit']:g})")  # fmt: skip
    print_drift(drift, pair)
    if (n, w) != (TARGET_N, TARGET_W):
        print(f"note: the speedup target is for N={TARGET_N:,}, W={TARGET_W}")
    for key, msg in errors.items():
        print(f"error in {key}: {msg}")
    strip = {k: {x: y for x, y in r.items() if x != "params"} for k, r in res.items()}
    return {
        "benchmark": "calibrate",
        "load_average_at_start": load_at_start,
        "settings": {
            "n": n,
            "workers": w,
            "seed": args.seed,
            "noise_model": not args.no_noise,
            "memory_n": [] if args.skip_memory else list(args.memory_n),
        },
        "times_s": {k: res[k]["seconds"] if k in res else None for k in VARIANTS},
        "prefect_server_start_s": server_s,
        "drift_reference_s": drift,
        "pair_reference": pair,
        "variants": strip,
        "accuracy": accuracy,
        "tolerance": parts.TOLERANCE,
        "memory": memory,
        "figures": figures,
        "targets": targets,
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(__doc__.split("\n\n")[0], default_n=TARGET_N, quick_n=100)
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic heads")
    parser.add_argument("--no-noise", action="store_true", help="models without ArNoiseModel")
    parser.add_argument(
        "--memory-n",
        default=None,
        help="sizes of the two memory runs (200,2000; 50,200 with --quick)",
    )
    parser.add_argument("--skip-memory", action="store_true", help="skip the memory runs")
    parser.add_argument(
        "--skip-t2proc", action="store_true", help="skip T_2proc (the pure loop in 2 processes)"
    )
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help="which to run, of " + ",".join(VARIANTS) + " (e.g. flow for a 10,000-model run)",
    )
    parser.add_argument("--dir", default=None, help="where to make the stores' folder (temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the stores' folder")
    args = finish_args(parser.parse_args(argv))
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if unknown := set(args.variants) - set(VARIANTS):
        parser.error(f"unknown variants {sorted(unknown)}; use {','.join(VARIANTS)}")
    if args.memory_n is None:
        args.memory_n = QUICK_MEMORY_N if args.quick else MEMORY_N
    else:
        args.memory_n = tuple(int(x) for x in args.memory_n.split(","))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # before prefect is imported
    payload = run(args)
    if args.json:
        write_json(args.json, payload, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
