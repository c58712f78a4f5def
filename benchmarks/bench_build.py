"""Building is cheap: a model rebuilt from the store against one built in memory, and
the ingest and build steps of the demo's calibrate against its solve step.

1. **Rebuild vs build.** N synthetic models (``RechargeModel`` + ``ArNoiseModel``)
   in an ArcticDB-LMDB store. Model by model, interleaved (the order alternates):
   pastas building the model from series in memory, as a user's script does, and
   ``Database.rebuild_model``, as a solve batch does it (one ``SeriesCache`` per
   batch of 27 models, so a batch reads each stress once). Medians per model, and
   where the rebuild's time goes (a profile of all rebuilds: reading the model's
   document, reading the series, pastas' dict-to-model conversion).
2. **The demo's calibrate.** ``calibrate_flow`` over the demo's data (the real
   example series and 300 synthetic heads) into a new LMDB store on a local 2-worker
   cluster, ``--rounds`` times; the step times from the run's accounting.

Targets (issue 16): rebuild <= 1.15x build; build <= 25 % and ingest <= 15 % of the
solve step. Run from the repository root: ``python -m benchmarks.bench_build``.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import calibrate_parts as parts
from benchmarks.common import finish_args, make_parser
from benchmarks.machine import warn_if_busy, write_json

BATCH = 27
"""Models per solve batch whose rebuilds share one series cache (the flows' size)."""

PROFILED = {
    "json_to_model": "store: JSON + series -> pastas.Model",
    "_load_model": "pastas: dict -> Model (pastas.io.base._load_model)",
    "read_item": "store: read the model's document and record",
    "get": "store: read series (SeriesCache.get, misses read the store)",
}


def rebuild_vs_build(data: Any, uri: str, noise: bool) -> dict[str, Any]:
    """Per model: pastas' build from memory against ``rebuild_model``, interleaved."""
    from pastas_projects.store.models import SeriesCache

    pr = parts.fill_project(uri, "build", data, noise)
    db = pr.db
    names = db.model_names
    for name in names[:3]:  # warm up both paths
        parts.pure_model(data, name, noise)
        db.rebuild_model(name)
    build, rebuild = [], []
    cache = SeriesCache(db)
    for i, name in enumerate(names):
        if i % BATCH == 0:
            cache = SeriesCache(db)
        for which in ("build", "rebuild") if i % 2 == 0 else ("rebuild", "build"):
            start = time.perf_counter()
            if which == "build":
                parts.pure_model(data, name, noise)
            else:
                db.rebuild_model(name, cache=cache)
            (build if which == "build" else rebuild).append(time.perf_counter() - start)
    profile = cProfile.Profile()
    profile.enable()
    for i in range(0, len(names), BATCH):
        cache = SeriesCache(db)
        for name in names[i : i + BATCH]:
            db.rebuild_model(name, cache=cache)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    parts_ms: dict[str, float] = {}
    for (filename, _, function), (_, _, _, cumulative, _) in stats.items():
        if function in PROFILED and "pastas" in filename:
            label = PROFILED[function]
            parts_ms[label] = parts_ms.get(label, 0.0) + 1000 * cumulative / len(names)
    db.conn.close()
    b, r = statistics.median(build), statistics.median(rebuild)
    return {
        "models": len(names),
        "build_ms": 1000 * b,
        "rebuild_ms": 1000 * r,
        "ratio": r / b,
        "build_spread_ms": [1000 * min(build), 1000 * max(build)],
        "rebuild_spread_ms": [1000 * min(rebuild), 1000 * max(rebuild)],
        "rebuild_parts_ms": parts_ms,
    }


def demo_calibrate(tmp: Path, rounds: int, n_synthetic: int, workers: int) -> list[dict]:
    """The demo's calibrate into a new store, ``rounds`` times; steps from the accounting."""
    from pastas_projects.blocks import PastasStoreBlock
    from pastas_projects.datasets import SeriesCollection, load_examples, synthetic
    from pastas_projects.flows import calibrate_flow

    data = SeriesCollection.of(load_examples(), synthetic(n_synthetic, 0))
    runs = []
    for r in range(rounds):
        block = PastasStoreBlock(uri=f"lmdb://{tmp / f'demo_{r}'}", connector_name="demo")
        start = time.perf_counter()
        summary = calibrate_flow(block, data=data, workers=workers)  # as the demo: no noise
        wall = time.perf_counter() - start
        steps = {k: v["seconds"] for k, v in summary["accounting"].items() if isinstance(v, dict)}
        runs.append({"wall_s": wall, "steps": steps, "solved": summary["solved"],
                     "cluster_s": summary.get("cluster_seconds")})  # fmt: skip
        print(f"  demo calibrate round {r + 1}: " + ", ".join(
            f"{k} {v:.1f} s" for k, v in steps.items()), flush=True)  # fmt: skip
    return runs


def report(results: dict[str, Any]) -> None:
    rb = results["rebuild"]
    print(f"\nRebuild vs build, median of {rb['models']} models, interleaved:")
    print(f"  built in memory by pastas   {rb['build_ms']:.1f} ms")
    print(f"  rebuilt from the store      {rb['rebuild_ms']:.1f} ms   ratio {rb['ratio']:.2f}")
    for label, ms in rb["rebuild_parts_ms"].items():
        print(f"    {label:55s} {ms:6.1f} ms per model (profiled)")
    runs = results["demo"]
    ingest = statistics.median(r["steps"].get("ingest", 0) / r["steps"]["solve"] for r in runs)
    build = statistics.median(r["steps"]["build"] / r["steps"]["solve"] for r in runs)
    print(f"\nThe demo's calibrate, median of {len(runs)} runs:")
    print(f"  build / solve   {build:.2f}  (target <= 0.25)")
    print(f"  ingest / solve  {ingest:.2f}  (target <= 0.15)")
    results["targets"] = {
        "rebuild_over_build": rb["ratio"],
        "build_over_solve": build,
        "ingest_over_solve": ingest,
    }


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(__doc__.split("\n\n")[0], default_n=200, quick_n=40)
    parser.add_argument("--rounds", type=int, default=None, help="demo runs (3; 1 quick)")
    parser.add_argument("--synthetic", type=int, default=300, help="synthetic heads of the demo")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-noise", action="store_true")
    parser.add_argument("--dir", default=None)
    args = finish_args(parser.parse_args(argv))
    rounds = args.rounds or (1 if args.quick else 3)
    warn_if_busy()
    from pastas_projects.datasets import synthetic
    from pastas_projects.prefect_server import set_api_url, start_server

    tmp = Path(tempfile.mkdtemp(prefix="bench_build_", dir=args.dir))
    results: dict[str, Any] = {}
    print("1. rebuild vs build", flush=True)
    data = synthetic(args.n, args.seed)
    results["rebuild"] = rebuild_vs_build(data, f"lmdb://{tmp / 'models'}", not args.no_noise)
    rb = results["rebuild"]
    print(f"  build {rb['build_ms']:.1f} ms, rebuild {rb['rebuild_ms']:.1f} ms", flush=True)
    print("2. the demo's calibrate", flush=True)
    server = start_server(home=tmp / "prefect", timeout=180)
    set_api_url(server.api_url)
    os.environ["PREFECT_API_URL"] = server.api_url
    os.environ.setdefault("PASTAS_PROJECTS_REPORTS_DIR", str(tmp / "reports"))
    try:
        synthetic_n = 30 if args.quick else args.synthetic
        results["demo"] = demo_calibrate(tmp, rounds, synthetic_n, args.workers)
    finally:
        server.stop()
    report(results)
    if args.json:
        write_json(args.json, results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
