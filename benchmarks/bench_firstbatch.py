"""A fresh worker's first batch against a warm batch, with and without the numba cache.

Pastas compiles some of its functions with numba the first time a process calls
them (FlexModel's root-zone balance, the AR noise model, ...). Each fresh Dask worker
would pay that in its first batch. The workers of pastas_projects' clusters keep the
compiled code in a shared disk cache (``NUMBA_CACHE_DIR``), so only the first worker
ever compiles.

Each round starts fresh processes, as a new worker starts: it imports what a worker
preloads (``tasks.worker_setup``: pastas, the tasks, ArcticDB) and turns the disk
cache on, then solves three batches of different models with
``modelling.solve_batch`` (rebuild, solve, statistics, checks, write; from the
initial parameters) and times each batch. Two cache states:

- **no cache**: an empty cache folder (every kernel compiled in the first batch);
- **cache on disk**: the folder a previous process filled.

``first / warm`` is the first batch's time over the median of the other two.
Target (issue 16): at most 1.2 with the cache on disk. Models: ``RechargeModel``
with ``FlexModel`` and ``Exponential`` plus ``ArNoiseModel``; ``--n`` of them per
batch. Run from the repository root: ``python -m benchmarks.bench_firstbatch``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import finish_args, make_parser
from benchmarks.machine import warn_if_busy, write_json

CHILD = """
import json, sys, time
import pastas_projects.tasks.worker_setup  # what a worker preloads
from pastas_projects.store.pastas_compat import cache_numba_kernels
from pastas_projects.modelling.solve import solve_batch
import pastas_projects as pp
cache_numba_kernels()
uri, batches = sys.argv[1], json.loads(sys.argv[2])
pr = pp.PastasProject("first", pp.ArcticConnector("first", uri))
times = []
for names in batches:
    start = time.perf_counter()
    outcomes = solve_batch(pr.db, names, warm_start=False)
    times.append(time.perf_counter() - start)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
print(json.dumps(times))
"""


def fill(uri: str, n: int, seed: int) -> list[str]:
    """A store of ``n`` FlexModel models with AR noise; their names."""
    import pastas_projects as pp
    from pastas_projects.datasets import synthetic

    data = synthetic(n, seed)
    pr = pp.PastasProject("first", pp.ArcticConnector("first", uri))
    for key, series in data.stresses.items():
        pr.db.add_stress(series, key, metadata=data.stresses_metadata[key])
    for key, series in data.oseries.items():
        pr.db.add_oseries(series, key, metadata=data.oseries_metadata[key])
        pr.create_model(key, recharge=data.meteo[key], recharge_model="FlexModel", noise=True)
    names = pr.db.model_names
    pr.db.conn.close()
    return names


def fresh_process(uri: str, batches: list[list[str]], cache: Path) -> list[float]:
    env = os.environ | {"NUMBA_CACHE_DIR": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, uri, json.dumps(batches)],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(args: Any) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench_firstbatch_", dir=args.dir))
    size = args.n
    uri = f"lmdb://{tmp / 'store'}"
    names = fill(uri, 3 * size, args.seed)
    batches = [names[i * size : (i + 1) * size] for i in range(3)]
    warm_cache = tmp / "numba_warm"
    fresh_process(uri, batches[:1], warm_cache)  # fills the cache on disk
    results: dict[str, Any] = {"batch": size, "rounds": {"no cache": [], "cache on disk": []}}
    for r in range(args.rounds):
        for state in ("no cache", "cache on disk") if r % 2 == 0 else ("cache on disk", "no cache"):
            cache = warm_cache if state == "cache on disk" else tmp / f"numba_empty_{r}"
            times = fresh_process(uri, batches, cache)
            ratio = times[0] / statistics.median(times[1:])
            results["rounds"][state].append({"batches_s": times, "first_over_warm": ratio})
            print(f"  round {r + 1}, {state}: batches " + ", ".join(f"{t:.2f}" for t in times)
                  + f" s; first / warm {ratio:.2f}", flush=True)  # fmt: skip
    for state, rows in results["rounds"].items():
        ratios = [row["first_over_warm"] for row in rows]
        results[state] = {"median": statistics.median(ratios), "min": min(ratios),
                          "max": max(ratios)}  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(__doc__.split("\n\n")[0], default_n=10, quick_n=5)  # models per batch
    parser.add_argument("--rounds", type=int, default=None, help="rounds (3; 2 quick)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", default=None)
    args = finish_args(parser.parse_args(argv))
    args.rounds = args.rounds or (2 if args.quick else 3)
    warn_if_busy()
    results = run(args)
    for state in ("no cache", "cache on disk"):
        s = results[state]
        print(f"{state:14s} first / warm batch: median {s['median']:.2f} "
              f"({s['min']:.2f}-{s['max']:.2f})")  # fmt: skip
    met = results["cache on disk"]["median"] <= 1.2
    print(f"  {'met   ' if met else 'MISSED'} first batch <= 1.2x a warm batch (cache on disk)")
    if args.json:
        write_json(args.json, results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
