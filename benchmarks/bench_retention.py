"""Retention benchmark: a store after 30 simulated nights, with and without the policy.

N solved models (``RechargeModel`` + ``ArNoiseModel`` on synthetic heads) in an
ArcticDB LMDB store, copied into two stores. Then ``--nights`` (30) nights, on both:
a share (20 %: new data about weekly) of the oseries gets its next held-back observation
(``update_oseries``, a new version of the series) and exactly the stale models are
re-solved warm (``solve_batch``, a new version of each model), as the nightly
``calibrate`` does. One store keeps everything; the other applies the retention
policy after every night (``Database.apply_retention``): keep the last
``--keep-last`` (3) versions and the versions of the last ``--keep-nights`` (7)
nights. (The deployment's policy counts days, 30 by default; nights here are minutes
apart, so the benchmark maps "the last 7 nights" onto ``keep_days`` and ``now``.)

Reported: the size of each store on disk (bytes of its files, and of LMDB's
``data.mdb``), the number of versions it holds, and the time to open it and read its
model and oseries tables in a new process (median of 3). Run
``python -m benchmarks.bench_retention --quick``; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks import calibrate_parts as parts
from benchmarks.common import finish_args, make_parser, print_table
from benchmarks.machine import load_average, warn_if_busy, write_json

NAME = "bench_retention"

OPEN_SCRIPT = """
import time, warnings
warnings.filterwarnings("ignore")
start = time.perf_counter()
import pastas_projects as pp
db = pp.Database(pp.connect({uri!r}, name={name!r}))
models, oseries = db.models, db.oseries
print(time.perf_counter() - start, len(models), len(oseries))
"""


def folder_bytes(path: Path) -> dict[str, int]:
    """Bytes of all files under ``path``, and of LMDB's data files (``data.mdb``)."""
    files = [p for p in path.rglob("*") if p.is_file()]
    return {
        "files": sum(p.stat().st_size for p in files),
        "allocated": sum(p.stat().st_blocks * 512 for p in files),
        "data_mdb": sum(p.stat().st_size for p in files if p.name == "data.mdb"),
    }


def open_seconds(uri: str, reps: int = 3) -> float:
    """Median time to import, open the store and read its model and oseries tables."""
    times = []
    for _ in range(reps):
        out = subprocess.run(
            [sys.executable, "-c", OPEN_SCRIPT.format(uri=uri, name=NAME)],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        times.append(float(out.stdout.split()[0]))
    return statistics.median(times)


def version_count(db: Any) -> int:
    return sum(
        len(db.list_versions(library, name))
        for library in ("oseries", "stresses", "models")
        for name in db.names(library)
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    parts.quiet()
    warn_if_busy()
    load_at_start = load_average()
    import pastas_projects as pp
    from pastas_projects.datasets import synthetic
    from pastas_projects.modelling import solve_batch

    tmp = Path(tempfile.mkdtemp(prefix="bench_retention_", dir=args.dir)).resolve()
    data = synthetic(args.n, args.seed)
    names = sorted(data.oseries)
    groups = max(1, round(1 / args.share))
    held = math.ceil(args.nights / groups) + 1
    first = data.model_copy(deep=False)
    first.oseries = {n: data.oseries[n].iloc[:-held] for n in names}
    print(f"{args.n:,} models, {args.nights} nights, stores in {tmp}", flush=True)
    start = time.perf_counter()
    pr = parts.fill_project(f"lmdb://{tmp / 'base'}", NAME, first, noise=True)
    pr.solve_models(progressbar=False, warm_start=False)
    pr.db.conn.close()
    prepare = time.perf_counter() - start
    at_start = {"bytes": folder_bytes(tmp / "base")}
    stores = {}
    for key in ("without", "with"):
        shutil.copytree(tmp / "base", tmp / key)
        stores[key] = pp.Database(pp.ArcticConnector(NAME, f"lmdb://{tmp / key}"))
    shutil.rmtree(tmp / "base")
    at_start["versions"] = version_count(stores["without"])
    night_starts: list[pd.Timestamp] = []
    seconds = dict.fromkeys(stores, 0.0)
    pruned = 0
    next_row = {n: len(first.oseries[n]) for n in names}
    try:
        for night in range(args.nights):
            night_starts.append(pd.Timestamp.now(tz="UTC"))
            todo = [n for i, n in enumerate(names) if i % groups == night % groups]
            rows = {}
            for name in todo:
                head = data.oseries[name]
                if next_row[name] < len(head):
                    rows[name] = head.iloc[next_row[name] : next_row[name] + 1]
                    next_row[name] += 1
            for key, db in stores.items():
                begin = time.perf_counter()
                for name, new in rows.items():
                    db.update_oseries(new, name)
                solve_batch(db, db.stale_models(), warm_start=True)
                if key == "with":
                    now = pd.Timestamp.now(tz="UTC")
                    since = night_starts[max(0, night - args.keep_nights + 1)]
                    days = (now - since).total_seconds() / 86400
                    pruned += sum(
                        db.apply_retention(
                            keep_last=args.keep_last, keep_days=days, now=now
                        ).values()
                    )
                seconds[key] += time.perf_counter() - begin
            if (night + 1) % 5 == 0:
                print(f"  night {night + 1}: {len(rows)} oseries updated", flush=True)
        versions = {key: version_count(db) for key, db in stores.items()}
        for db in stores.values():
            db.conn.close()
        result_stores = {}
        for key in stores:
            uri = f"lmdb://{tmp / key}"
            result_stores[key] = {
                "bytes": folder_bytes(tmp / key),
                "versions": versions[key],
                "open_s": open_seconds(uri),
                "nights_s": seconds[key],
            }
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    result = {
        "load_average_at_start": load_at_start,
        "settings": {
            "n": args.n,
            "nights": args.nights,
            "share": args.share,
            "keep_last": args.keep_last,
            "keep_nights": args.keep_nights,
        },
        "prepare_s": prepare,
        "pruned_versions": pruned,
        "at_start": at_start,
        "stores": result_stores,
        "growth_ratio": (result_stores["with"]["bytes"]["files"] - at_start["bytes"]["files"])
        / max(1, result_stores["without"]["bytes"]["files"] - at_start["bytes"]["files"]),
        "ratios": {
            "files": result_stores["with"]["bytes"]["files"]
            / result_stores["without"]["bytes"]["files"],
            "versions": result_stores["with"]["versions"] / result_stores["without"]["versions"],
            "open": result_stores["with"]["open_s"] / result_stores["without"]["open_s"],
        },
    }
    report(result)
    return result


def report(result: dict[str, Any]) -> None:
    s = result["stores"]
    rows = ["without policy", "with policy"]
    keys = {"without policy": "without", "with policy": "with"}
    columns = ["MiB files", "MiB data.mdb", "versions", "open s", "nights s"]

    def cell(row: str, column: str) -> str:
        st = s[keys[row]]
        return {
            "MiB files": f"{st['bytes']['files'] / 2**20:.1f}",
            "MiB data.mdb": f"{st['bytes']['data_mdb'] / 2**20:.1f}",
            "versions": str(st["versions"]),
            "open s": f"{st['open_s']:.2f}",
            "nights s": f"{st['nights_s']:.1f}",
        }[column]

    settings = result["settings"]
    print_table(
        f"{settings['n']} models, {settings['nights']} nights (keep last "
        f"{settings['keep_last']} + {settings['keep_nights']} nights)",
        rows,
        columns,
        cell,
    )
    start = result["at_start"]
    print(
        f"\nat the start: {start['bytes']['files'] / 2**20:.1f} MiB, {start['versions']} versions; "
        f"growth with/without the policy: {result['growth_ratio']:.2f}"
    )
    print(f"ratios with/without: {result['ratios']}")
    print(f"versions pruned: {result['pruned_versions']}")


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(__doc__.split("\n")[0], default_n=1000, quick_n=100)
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--share", type=float, default=0.2, help="share of oseries per night")
    parser.add_argument("--keep-last", type=int, default=3)
    parser.add_argument("--keep-nights", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", type=Path, default=None, help="where the stores go")
    parser.add_argument("--keep", action="store_true", help="keep the stores")
    args = finish_args(parser.parse_args(argv))
    result = run(args)
    if args.json:
        write_json(args.json, result, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
