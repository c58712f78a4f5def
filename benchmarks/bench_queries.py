"""Query benchmark: questions about a network of 10,000 series, answered from metadata.

A store with ``--n`` (10,000) oseries and ``--n / 10`` stresses (a third each of kind
``prec``, ``evap`` and ``well``), all with ``x``/``y`` coordinates, on ArcticDB LMDB
and in memory (``--backends``; ``pystore`` too if asked). Each query of
``pastas_projects.PastasProject`` is timed (median of ``--reps`` calls after a
warm-up call, which is reported too): every call reads the store's metadata again, as
a new process would. Target: each under 1 s at 10,000 series; ``get_signatures``
reads the values of every series it is asked for and is reported per series.
Run ``python -m benchmarks.bench_queries --quick``; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import finish_args, format_ms, make_parser, measure, print_table
from benchmarks.machine import load_average, warn_if_busy, write_json

LIMIT_S = 1.0
"""Issue 14: every query under 1 s on 10,000 series."""
SIGNATURE_SERIES = 20
"""Series whose signatures are computed (they need the values)."""


def fill(pr: Any, n: int, seed: int) -> float:
    """``n`` oseries and ``n // 10`` stresses with coordinates; returns the seconds it took."""
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    index = pd.date_range("2000-01-01", periods=3 * 365, freq="D")
    for i in range(max(3, n // 10)):
        kind = ("prec", "evap", "well")[i % 3]
        xy = {"x": float(rng.uniform(0, 1e5)), "y": float(rng.uniform(0, 1e5))}
        pr.db.add_stress(
            pd.Series(rng.random(len(index)), index), f"{kind}_{i:05d}", kind=kind, metadata=xy
        )
    for i in range(n):
        days = np.sort(rng.choice(len(index), size=60, replace=False))
        head = pd.Series(rng.normal(size=60).cumsum(), index[days])
        xy = {"x": float(rng.uniform(0, 1e5)), "y": float(rng.uniform(0, 1e5))}
        pr.db.add_oseries(head, f"obs_{i:05d}", metadata=xy | {"aquifer": ("sand", "clay")[i % 2]})
    return time.perf_counter() - start


def queries(pr: Any) -> dict[str, Any]:
    """The queries, by label: each a callable of the call number."""
    names = pr.db.oseries_names
    some = names[:: max(1, len(names) // SIGNATURE_SERIES)][:SIGNATURE_SERIES]
    return {
        "get_distances(kind='well')": lambda i: pr.get_distances(kind="well"),
        "get_nearest_stresses(kind='prec')": lambda i: pr.get_nearest_stresses(kind="prec"),
        "get_nearest_stresses(kind='well', n=3)": lambda i: pr.get_nearest_stresses(
            kind="well", n=3
        ),
        "get_nearest_oseries(n=3)": lambda i: pr.get_nearest_oseries(n=3),
        "get_nearest_stresses(one oseries)": lambda i: pr.get_nearest_stresses(
            names[i % len(names)], kind="prec"
        ),
        "within(extent)": lambda i: pr.within([2e4, 6e4, 2e4, 6e4]),
        "get_extent('oseries')": lambda i: pr.get_extent("oseries"),
        "get_tmin_tmax('oseries')": lambda i: pr.get_tmin_tmax("oseries"),
        "get_tmin_tmax('stresses')": lambda i: pr.get_tmin_tmax("stresses"),
        "search('obs_012')": lambda i: pr.search("obs_012", "oseries"),
        "search('*_0001?')": lambda i: pr.search("*_0001?"),
        f"get_signatures({len(some)} series)": lambda i: pr.get_signatures(some),
    }


def open_backend(backend: str, tmp: Path) -> Any:
    import pastas_projects as pp

    if backend == "lmdb":
        return pp.ArcticConnector("bench_q", f"lmdb://{tmp / 'arctic'}")
    if backend == "pystore":
        return pp.PystoreConnector("bench_q", tmp / "pystore")
    return pp.DictConnector("bench_q")


def run(args: argparse.Namespace) -> dict[str, Any]:
    import warnings

    warnings.filterwarnings("ignore")
    warn_if_busy()
    load_at_start = load_average()
    import pastas_projects as pp

    tmp = Path(tempfile.mkdtemp(prefix="bench_queries_", dir=args.dir)).resolve()
    results: dict[str, dict[str, Any]] = {}
    fill_s = {}
    try:
        for backend in args.backends:
            conn = open_backend(backend, tmp)
            pr = pp.PastasProject("bench", conn)
            print(
                f"{backend}: filling {args.n:,} oseries and {args.n // 10:,} stresses ...",
                flush=True,
            )
            fill_s[backend] = fill(pr, args.n, args.seed)
            print(f"  {fill_s[backend]:.0f} s", flush=True)
            results[backend] = {}
            for label, fn in queries(pr).items():
                timing = measure(fn, reps=args.reps, warmup=1, min_reps=2)
                results[backend][label] = timing
                print(f"  {label}: {format_ms(timing.median)} ms", flush=True)
            conn.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    labels = list(next(iter(results.values())))
    print_table(
        f"Queries on {args.n:,} oseries and {args.n // 10:,} stresses: median ms",
        labels,
        list(results),
        lambda row, col: format_ms(results[col][row].median),
    )
    checks = []
    for backend, timings in results.items():
        for label, timing in timings.items():
            if label.startswith("get_signatures"):
                continue
            checks.append(
                {
                    "what": f"{backend}: {label}",
                    "value_s": timing.median,
                    "limit_s": LIMIT_S,
                    "status": "met" if timing.median < LIMIT_S else "missed",
                }
            )
    missed = [c["what"] for c in checks if c["status"] == "missed"]
    print(
        f"\nunder {LIMIT_S} s: {len(checks) - len(missed)} of {len(checks)}"
        + (f"; missed: {', '.join(missed)}" if missed else "")
    )
    return {
        "load_average_at_start": load_at_start,
        "settings": {"n": args.n, "stresses": args.n // 10, "backends": args.backends},
        "fill_s": fill_s,
        "results": {b: {k: t.as_dict() for k, t in r.items()} for b, r in results.items()},
        "targets": checks,
    }


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(__doc__.split("\n")[0], default_n=10_000, quick_n=2_000)
    parser.add_argument("--backends", nargs="+", default=["lmdb", "dict"],
                        choices=["lmdb", "dict", "pystore"])  # fmt: skip
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", type=Path, default=None, help="where the stores go")
    args = finish_args(parser.parse_args(argv))
    result = run(args)
    if args.json:
        write_json(args.json, result, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
