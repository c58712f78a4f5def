"""Judge-and-look benchmark: checks at solve time, the HTML report, a map of many models.

Three targets of issue 13, measured on an ArcticDB LMDB store (wall-clock,
``time.perf_counter``):

* **checks**: N stored models (``RechargeModel(Exponential, Linear)`` +
  ``ArNoiseModel`` on the synthetic heads, as in ``bench_calibrate``) are rebuilt and
  solved one by one, and right after each solve the default checklist runs on the
  model in memory, as ``modelling.solve_batch`` does. The share ``sum(checks) /
  sum(solves)`` must stay under 10 %. For comparison: ``pr.check_models()``, which
  rebuilds every model from the store to check it later.
* **report**: ``pr.report(path)`` on those N solved models (default 10 results plots
  of the worst); target under 30 s for N = 1,000 on 2 cores.
* **map**: ``pr.maps.modelstat("evp")`` of M models, drawn into a figure and rendered
  to PNG, records and positions read from the store; target under 5 s for
  M = 10,000. The M models' records are written straight with ``Database.write_model``
  from one solved model (each with its own oseries, x/y and statistics): the map
  reads only records and metadata, and solving 10,000 models would take an hour.

Also timed: the pictures the flows put in the Prefect UI (``statistic_pictures``)
for the N models. Run ``python -m benchmarks.bench_judge --quick`` (N = 100, M =
1,000) or without ``--quick`` (N = 1,000, M = 10,000).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks import calibrate_parts as parts
from benchmarks.common import finish_args, make_parser, measure
from benchmarks.machine import load_average, warn_if_busy, write_json

TARGETS = {"checks_share": 0.10, "report_s": 30.0, "map_s": 5.0}
"""The targets, for N = 1,000 models (report) and M = 10,000 models (map)."""


def solve_and_check(pr: Any, names: list[str]) -> dict[str, Any]:
    """Solve each model and run the checks on it in memory; time both separately."""
    from pastas_projects.modelling import fit_statistics
    from pastas_projects.modelling.checks import checklist_entries, run_checks
    from pastas_projects.store import SeriesCache

    entries = checklist_entries(None)
    cache = SeriesCache(pr.db)
    solve_s, check_s, failed = [], [], 0
    for name in names:
        rebuilt = pr.db.rebuild_model(name, cache=cache)
        ml = rebuilt.model
        start = time.perf_counter()
        try:
            ml.solve(report=False)
            statistics = fit_statistics(ml)
        except Exception:  # noqa: BLE001 - counted, as the solve step records it
            failed += 1
            continue
        solved = time.perf_counter()
        checks, errors = run_checks(ml, entries)
        checked = time.perf_counter()
        solve_s.append(solved - start)
        check_s.append(checked - solved)
        pr.db.write_model(
            ml, rebuilt.inputs, rebuilt.versions, statistics, checks=checks, check_errors=errors
        )
    solve_total, check_total = float(np.sum(solve_s)), float(np.sum(check_s))
    return {
        "models": len(names),
        "failed": failed,
        "solve_s": solve_total,
        "checks_s": check_total,
        "share": check_total / solve_total if solve_total else None,
        "solve_ms_median": 1000 * float(np.median(solve_s)),
        "checks_ms_median": 1000 * float(np.median(check_s)),
    }


def fill_map_store(pr: Any, m: int, seed: int) -> float:
    """``m`` oseries with x/y and a solved-model record each, written straight."""
    template = pr.db.model_names[0]
    record = pr.db.model_records(template)[template]
    ml = pr.db.get_models(template)
    stresses = {k: v for k, v in record["inputs"].items() if k.startswith("stresses/")}
    versions = {k: v for k, v in record["input_versions"].items() if k.startswith("stresses/")}
    rng = np.random.default_rng(seed)
    index = pd.date_range("2000-01-01", periods=24, freq="MS")
    start = time.perf_counter()
    for i in range(m):
        name = f"map_{i:05d}"
        head = pd.Series(rng.normal(10.0, 0.3, len(index)), index=index)
        x, y = rng.uniform(100_000, 250_000), rng.uniform(350_000, 600_000)
        pr.db.add_oseries(head, name, metadata={"x": x, "y": y})
        stored = pr.db.series_records("oseries", [name])[name]["_hash"]
        ml.name = name
        statistics = dict(record["statistics"]) | {"evp": float(rng.uniform(20.0, 99.0))}
        pr.db.write_model(
            ml,
            {f"oseries/{name}": stored, **stresses},
            {f"oseries/{name}": None, **versions},
            statistics,
            checks=record["checks"],
        )
    return time.perf_counter() - start


def time_map(pr: Any, names: list[str] | None, reps: int) -> Any:
    from pastas_projects.plotting._common import file_figure, png_bytes

    def draw(_: int) -> int:
        fig = file_figure((7.0, 7.0))
        pr.maps.modelstat("evp", names, ax=fig.add_subplot())
        return len(png_bytes(fig))

    return measure(draw, reps=reps, warmup=1)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from pastas_projects.datasets import synthetic
    from pastas_projects.plotting import statistic_pictures

    parts.quiet()
    warnings.simplefilter("ignore")
    warn_if_busy()
    load_at_start = load_average()
    if args.dir:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench_judge_", dir=args.dir)).resolve()
    n, m = args.n, args.map_n
    reps = 2 if args.quick else 3
    print(f"{n:,} models solved and checked, report of them; map of {m:,} models; in {tmp}")
    result: dict[str, Any] = {"n": n, "map_n": m}
    try:
        data = synthetic(n, args.seed)
        start = time.perf_counter()
        pr = parts.fill_project(f"lmdb://{tmp / 'store'}", "bench_judge", data, True)
        result["fill_s"] = time.perf_counter() - start
        print("solving and checking ...", flush=True)
        result["checks"] = solve_and_check(pr, list(data.oseries))
        c = result["checks"]
        print(
            f"  solves {c['solve_s']:.1f} s, checks {c['checks_s']:.2f} s: "
            f"{100 * c['share']:.1f} % of the solve time (median {c['checks_ms_median']:.1f} "
            f"vs {c['solve_ms_median']:.0f} ms per model)",
            flush=True,
        )
        start = time.perf_counter()
        pr.check_models()
        result["check_models_s"] = time.perf_counter() - start
        print(f"  pr.check_models() (rebuild + checks): {result['check_models_s']:.1f} s")

        print("report ...", flush=True)
        report = measure(lambda i: pr.report(tmp / f"report_{i}.html"), reps=reps, warmup=0)
        result["report"] = report
        result["report_mb"] = (tmp / "report_0.html").stat().st_size / 1e6
        print(f"  pr.report: median {report.median:.1f} s ({result['report_mb']:.1f} MB)")
        pictures = measure(lambda _: statistic_pictures(pr), reps=reps, warmup=1)
        result["pictures"] = pictures
        print(f"  flow pictures (statistic_pictures): median {pictures.median:.2f} s")

        print(f"map: writing {m:,} model records ...", flush=True)
        result["map_fill_s"] = fill_map_store(pr, m, args.seed)
        names = [f"map_{i:05d}" for i in range(m)]
        result["map"] = time_map(pr, names, reps)
        print(f"  pr.maps.modelstat of {m:,} models to PNG: median {result['map'].median:.2f} s")
        result["map_all"] = time_map(pr, None, reps)
        print(
            f"  ... of all {m + n:,} models in the store (names=None): "
            f"median {result['map_all'].median:.2f} s"
        )
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    result["load"] = {"start": load_at_start, "end": load_average()}
    return result


def print_targets(result: dict[str, Any]) -> None:
    share, report, drawn = result["checks"]["share"], result["report"].median, result["map"].median
    rows = [
        ("checks / solve time", f"{100 * share:.1f} %", "< 10 %", share < TARGETS["checks_share"]),
        (f"report of {result['n']:,} models", f"{report:.1f} s", "< 30 s (N=1,000)",
         report < TARGETS["report_s"]),
        (f"map of {result['map_n']:,} models", f"{drawn:.2f} s", "< 5 s (M=10,000)",
         drawn < TARGETS["map_s"]),
    ]  # fmt: skip
    print("\ntarget                     measured   target")
    for what, value, target, met in rows:
        print(f"  {what:<25}{value:>9}   {target:<18}{'met' if met else 'MISSED'}")
    print(f"load average: start {result['load']['start']}, end {result['load']['end']}")


def main() -> None:
    parser = make_parser(__doc__.splitlines()[0], default_n=1000, quick_n=100)
    parser.add_argument("--map-n", type=int, default=None, help="models on the map (10,000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic heads")
    parser.add_argument("--dir", default=None, help="make the store's folder in DIR")
    parser.add_argument("--keep", action="store_true", help="keep the store's folder")
    args = finish_args(parser.parse_args())
    if args.map_n is None:
        args.map_n = 1000 if args.quick else 10_000
    result = run(args)
    print_targets(result)
    if args.json:
        write_json(args.json, {"judge": result}, args)


if __name__ == "__main__":
    main()
