"""Nightly benchmark: new observations for some heads, then re-calibrate.

The scenario the nightly ``calibrate`` deployment exists for. N models
(``RechargeModel(Exponential, Linear)`` + ``ArNoiseModel``, synthetic heads of
``pastas_projects.datasets.synthetic``) are solved; then a share of the oseries (10 %)
gets its last ``--days`` days (60) of observations, and the store is re-calibrated:

* ``T_ours``: one ``calibrate`` flow run, end to end (flow run, local Dask cluster of
  ``--workers`` processes, ingest of the new rows with ``update=True``, the build step
  finding every model present, ``only_changed`` solving exactly the stale models,
  each warm from its last optimum, the report);
* ``T_peer``: pastastore 2.0 the way its users re-calibrate: ``update_oseries`` of the
  same new rows, then ``solve_models(parallel=True, max_workers=W)`` of all N models
  (given each model's new ``tmax``, so it calibrates on the new observations too).

Function evaluations: the warm re-solves (``solve_info.nfev`` in their records) against
a cold solve of the same models on the same data, in this process
(``Model.solve(initial=True)`` from their stored initial parameters), and the fit
statistics (``rmse``, ``evp``) of both. ``evaluations`` count every evaluation of the
objective, those of the numerical Jacobian included; ``nfev`` is scipy's count
(iterations, without the Jacobian). Run ``python -m benchmarks.bench_nightly
--quick`` (a few minutes); see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks import calibrate_parts as parts
from benchmarks.common import finish_args, make_parser, print_table
from benchmarks.machine import load_average, warn_if_busy, write_json

TARGETS = {"speedup": 5.0, "nfev_ratio": 0.6, "within_1pct": 0.95}
"""Issue 14: >= 5x faster end to end, <= 0.6x the function evaluations of a cold
solve per re-solved model, fit statistics within 1 % of a cold solve for >= 95 %."""


def split(data: Any, share: float, days: int) -> tuple[Any, dict[str, pd.Series], list[str]]:
    """The data without the newest ``days`` days of every ``1/share``-th head, and those days."""
    names = sorted(data.oseries)
    step = max(1, round(1 / share))
    updated = names[::step]
    first = data.model_copy(deep=False)
    first.oseries = dict(data.oseries)
    newest = {}
    for name in updated:
        head = data.oseries[name]
        cut = head.index[-1] - pd.Timedelta(days=days)
        first.oseries[name] = head[head.index <= cut]
        newest[name] = head[head.index > cut]
    return first, newest, updated


def run_peer(first: Any, newest: dict[str, pd.Series], uri: str, workers: int) -> dict[str, Any]:
    """pastastore: fill, solve all (untimed); then update and re-solve all (timed)."""
    start = time.perf_counter()
    pstore = parts.fill_pastastore(uri, "bench_peer", first, noise=True)
    parts.solve_pastastore(pstore, workers)
    prepare = time.perf_counter() - start
    ends = {n: first.oseries[n].index[-1] for n in first.oseries} | {
        n: s.index[-1] for n, s in newest.items()
    }
    tmax = pd.Series(ends)
    start = time.perf_counter()
    for name, rows in newest.items():
        pstore.update_oseries(rows, name, force=True)
    parts.solve_pastastore(pstore, workers, tmax=tmax)
    seconds = time.perf_counter() - start
    checked = list(newest)[:20]
    ends_seen = {n: pstore.get_models(n).observations().index[-1] for n in checked}
    return {
        "seconds": seconds,
        "prepare_s": prepare,
        "models": len(first.oseries),
        "checked_new_tmax": sum(ends_seen[n] == newest[n].index[-1] for n in checked),
        "checked": len(checked),
    }


def run_ours(
    first: Any, newest: dict[str, pd.Series], uri: str, workers: int
) -> tuple[dict[str, Any], Any]:
    """pastas_projects: fill and solve all (untimed), then the nightly calibrate (timed)."""
    from pastas_projects.blocks import PastasStoreBlock
    from pastas_projects.datasets import SeriesCollection
    from pastas_projects.flows import calibrate_flow, solve_models_flow

    start = time.perf_counter()
    pr = parts.fill_project(uri, "bench_nightly", first, noise=True)
    pr.db.conn.close()
    block = PastasStoreBlock(uri=uri, connector_name="bench_nightly")
    setup = solve_models_flow(store=block, workers=workers, warm_start=False)
    prepare = time.perf_counter() - start
    db = block.get_project().db
    before = db.model_records()
    start = time.perf_counter()
    summary = calibrate_flow(
        store=block,
        data=SeriesCollection(oseries=newest),
        update=True,
        only_changed=True,
        warm_start=True,
        workers=workers,
    )
    seconds = time.perf_counter() - start
    keep = ("seconds", "cluster_seconds", "ingested", "changed", "built", "solved", "failed",
            "up_to_date", "batches", "solved_names")  # fmt: skip
    result = {
        "seconds": seconds,
        "prepare_s": prepare,
        "setup_solved": setup["solved"],
        "summary": {k: summary.get(k) for k in keep},
        "first_nfev": {n: (r.get("solve_info") or {}).get("nfev") for n, r in before.items()},
    }
    return result, db


def cold_reference(db: Any, names: list[str]) -> dict[str, Any]:
    """Solve the re-solved models again, cold, on the same data: nfev and fit statistics."""
    from pastas_projects.modelling import fit_statistics

    records = db.model_records(names)
    rows = {}
    start = time.perf_counter()
    for name in names:
        ml = db.get_models(name)
        ml.solve(initial=True, report=False)
        cold = fit_statistics(ml)
        warm = records[name].get("statistics") or {}
        info = records[name].get("solve_info") or {}
        result = ml.solver.result
        rows[name] = {
            "nfev_warm": info.get("nfev"),
            "evaluations_warm": info.get("evaluations"),
            "warm_start": info.get("warm_start"),
            "cold_after_warm": info.get("cold_after_warm"),
            "nfev_cold": int(result.nfev),
            "evaluations_cold": int(result.nfev + result.njev * ml.parameters["vary"].sum()),
            "rmse_warm": warm.get("rmse"),
            "rmse_cold": cold["rmse"],
            "evp_warm": warm.get("evp"),
            "evp_cold": cold["evp"],
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    return {"seconds": time.perf_counter() - start, "table": table}


def figures(ours: dict, peer: dict | None, cold: dict | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if peer and ours:
        out["speedup"] = peer["seconds"] / ours["seconds"]
    if cold is not None:
        t = cold["table"]
        out["nfev_warm_mean"] = float(t["nfev_warm"].mean())
        out["nfev_cold_mean"] = float(t["nfev_cold"].mean())
        out["nfev_ratio"] = out["nfev_warm_mean"] / out["nfev_cold_mean"]
        out["evaluations_warm_mean"] = float(t["evaluations_warm"].mean())
        out["evaluations_cold_mean"] = float(t["evaluations_cold"].mean())
        out["evaluations_ratio"] = out["evaluations_warm_mean"] / out["evaluations_cold_mean"]
        out["nfev_ratio_median_per_model"] = float((t["nfev_warm"] / t["nfev_cold"]).median())
        out["cold_after_warm"] = float(t["cold_after_warm"].mean())
        rel_rmse = (t["rmse_warm"] / t["rmse_cold"] - 1).abs()
        rel_evp = ((t["evp_warm"] - t["evp_cold"]) / t["evp_cold"].abs()).abs()
        within = (rel_rmse <= 0.01) & (rel_evp <= 0.01)
        out["within_1pct"] = float(within.mean())
        out["max_rel_rmse"] = float(rel_rmse.max())
        out["warm_started"] = float(t["warm_start"].mean())
    return out


def targets(fig: dict[str, Any]) -> list[dict[str, Any]]:
    rules = [
        ("speedup", "T_peer / T_ours", ">=", TARGETS["speedup"]),
        ("evaluations_ratio", "mean function evaluations warm / cold", "<=", TARGETS["nfev_ratio"]),
        ("nfev_ratio", "mean solver nfev warm / cold", "<=", TARGETS["nfev_ratio"]),
        ("within_1pct", "share with rmse and evp within 1 % of cold", ">=", TARGETS["within_1pct"]),
    ]
    out = []
    for key, what, rule, limit in rules:
        value = fig.get(key)
        ok = None if value is None else (value >= limit if rule == ">=" else value <= limit)
        status = "not measured" if ok is None else ("met" if ok else "missed")
        out.append({"what": what, "value": value, "rule": rule, "limit": limit, "status": status})
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    parts.quiet()
    warn_if_busy()
    load_at_start = load_average()
    from pastas_projects.datasets import synthetic
    from pastas_projects.prefect_server import ensure_server

    if args.dir:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench_nightly_", dir=args.dir)).resolve()
    data = synthetic(args.n, args.seed)
    first, newest, updated = split(data, args.share, args.days)
    print(
        f"{args.n:,} models, {len(updated)} heads get their last {args.days} days, "
        f"{args.workers} workers; stores in {tmp}",
        flush=True,
    )
    ours = peer = cold = None
    errors: dict[str, str] = {}
    try:
        if not args.skip_peer:  # pastastore forks: before Prefect and Dask start threads
            print("pastastore: fill, solve all, then update and re-solve all ...", flush=True)
            try:
                peer = run_peer(first, newest, f"lmdb://{tmp / 'peer'}", args.workers)
                print(f"  T_peer {peer['seconds']:.1f} s", flush=True)
            except Exception as exc:
                errors["peer"] = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
        with ensure_server(home=tmp / "prefect_home", timeout=120):
            print("pastas_projects: fill, solve all, then the nightly calibrate ...", flush=True)
            ours, db = run_ours(first, newest, f"lmdb://{tmp / 'ours'}", args.workers)
            print(f"  T_ours {ours['seconds']:.1f} s", flush=True)
            solved = ours["summary"]["solved_names"] or []
            print(f"cold reference: {len(solved)} models solved cold, in process ...", flush=True)
            cold = cold_reference(db, solved)
    finally:
        from pastas_projects.blocks import clear_connector_cache

        clear_connector_cache(close=True)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    fig = figures(ours or {}, peer, cold)
    result = {
        "load_average_at_start": load_at_start,
        "settings": {"n": args.n, "share": args.share, "days": args.days, "workers": args.workers},
        "updated": updated,
        "ours": {k: v for k, v in (ours or {}).items() if k != "first_nfev"},
        "first_solve_nfev_mean": float(
            np.nanmean([v for v in (ours or {}).get("first_nfev", {}).values() if v])
        )
        if ours
        else None,
        "peer": peer,
        "cold": None
        if cold is None
        else {"seconds": cold["seconds"], "per_model": cold["table"].to_dict("index")},
        "figures": fig,
        "targets": targets(fig),
        "errors": errors,
    }
    report(result, ours, peer, cold)
    return result


def report(result: dict, ours: dict | None, peer: dict | None, cold: dict | None) -> None:
    rows, cells = [], {}
    if peer:
        rows.append("T_peer   pastastore update + parallel solve of all")
        cells[rows[-1]] = (peer["seconds"], peer["models"], "-")
    if ours:
        s = ours["summary"]
        rows.append("T_ours   calibrate flow, only_changed, warm")
        cells[rows[-1]] = (ours["seconds"], s["solved"], f"{s['cluster_seconds']:.1f}")
    if cold:
        rows.append("cold     the same re-solves, cold, serial")
        cells[rows[-1]] = (cold["seconds"], len(cold["table"]), "-")
    columns = ["s", "models solved", "cluster start s"]
    print_table(
        "Nightly re-calibration",
        rows,
        columns,
        lambda r, c: (
            f"{cells[r][columns.index(c)]:.1f}"
            if isinstance(cells[r][columns.index(c)], float)
            else str(cells[r][columns.index(c)])
        ),
    )
    fig = result["figures"]
    for key in ("speedup", "evaluations_warm_mean", "evaluations_cold_mean", "evaluations_ratio",
                "nfev_warm_mean", "nfev_cold_mean", "nfev_ratio", "within_1pct", "max_rel_rmse",
                "warm_started", "cold_after_warm"):  # fmt: skip
        if key in fig:
            print(f"{key:>16}: {fig[key]:.3g}")
    if result["first_solve_nfev_mean"] is not None:
        print(f"{'first solve nfev':>16}: {result['first_solve_nfev_mean']:.3g} (cold, before)")
    print("\ntargets:")
    for t in result["targets"]:
        value = "-" if t["value"] is None else f"{t['value']:.3g}"
        print(f"  {t['what']}: {value} (target {t['rule']} {t['limit']}) {t['status']}")
    if result["errors"]:
        print("errors:", result["errors"])


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(__doc__.split("\n")[0], default_n=1000, quick_n=100)
    parser.add_argument("--share", type=float, default=0.1, help="share of heads that get rows")
    parser.add_argument("--days", type=int, default=60, help="days of new observations")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-peer", action="store_true", help="leave pastastore out")
    parser.add_argument("--dir", type=Path, default=None, help="where the stores go")
    parser.add_argument("--keep", action="store_true", help="keep the stores")
    args = finish_args(parser.parse_args(argv))
    result = run(args)
    if args.json:
        write_json(args.json, result, args)
    return 0


if __name__ == "__main__":  # Dask starts its workers by importing this module again
    raise SystemExit(main())
