"""Transfer benchmark: copying a store, and zip files, against writing fresh and pastastore.

Two measurements, each in one run so the machine's drift hits both sides alike:

* **copy** -- ``pp.copy_store`` of ``--n`` series (10,000; 1,000 with ``--quick``)
  from one ArcticDB LMDB store to a new one, against writing the same series fresh
  into a new LMDB store with ``add_oseries`` (target: copy within 1.5x of fresh);
* **zip** -- ``pr.to_zip`` and ``PastasProject.from_zip`` of ``--models`` models
  (1,000; 100 with ``--quick``) with their series, against pastastore's
  ``PastaStore.to_zip`` and ``PastaStore.from_zip`` on the same data, both on
  ArcticDB LMDB (target: faster than pastastore, both ways).

The rounds alternate the sides (``measure_interleaved``); every call writes into a
new, empty store or file. Run ``python -m benchmarks.bench_transfer --quick`` (a few
minutes on 2 cores) or without ``--quick`` for the full sizes; see
benchmarks/README.md.
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

from benchmarks.calibrate_parts import fill_pastastore, fill_project, quiet
from benchmarks.common import Timing, finish_args, format_ms, make_parser, measure_interleaved
from benchmarks.machine import load_average, warn_if_busy, write_json

COPY_TARGET = 1.5
"""Copying may take at most this multiple of writing the same series fresh."""
SERIES_LENGTH = 1_000
"""Values per series of the copy measurement (a head measured for decades)."""


def copy_series(n: int, seed: int = 3) -> dict[str, tuple[pd.Series, dict]]:
    """``n`` irregular head series of :data:`SERIES_LENGTH` values, with metadata."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("1980-01-01")
    series = {}
    for i in range(n):
        days = np.cumsum(rng.integers(10, 18, SERIES_LENGTH))
        index = start + pd.to_timedelta(days, "D")
        values = 10.0 + np.cumsum(rng.normal(0, 0.05, SERIES_LENGTH))
        meta = {"x": 100_000.0 + i, "y": 400_000.0 + i, "source": "bench"}
        series[f"head_{i:05d}"] = (pd.Series(values, index), meta)
    return series


def warm(db: Any) -> None:
    """List a store's names once, untimed, as any use of a store does.

    ArcticDB compacts a library's list of symbols the first time it is listed after
    many writes (seconds for thousands of new symbols); a store in use has had that
    done, so the timings leave it out on both sides.
    """
    for library in ("oseries", "stresses", "models"):
        db.series_records(library) if library != "models" else db.model_records()


def bench_copy(root: Path, n: int, reps: int) -> dict[str, Any]:
    import pastas_projects as pp

    data = copy_series(n)
    source = pp.Database(pp.ArcticConnector("bench", f"lmdb://{root / 'copy-source'}"))
    for name, (series, meta) in data.items():
        source.add_oseries(series, name, metadata=meta)
    warm(source)
    opened: list[Any] = []

    def target(kind: str, r: int) -> Any:
        conn = pp.ArcticConnector("bench", f"lmdb://{root / f'copy-{kind}-{r}'}")
        opened.append(conn)
        return conn

    def fresh(r: int) -> None:
        db = pp.Database(target("fresh", r))
        for name, (series, meta) in data.items():
            db.add_oseries(series, name, metadata=meta)

    def copy(r: int) -> None:
        report = pp.copy_store(source, target("copy", r), progressbar=False)
        assert report.ok and len(report.names("oseries", "added")) == n

    timings, errors = measure_interleaved({"fresh": fresh, "copy": copy}, reps=reps, warmup=0)
    for conn in opened:
        conn.close()
    check = pp.Database(pp.ArcticConnector("bench", f"lmdb://{root / 'copy-copy-0'}"))
    name = next(iter(data))
    assert check.get_oseries(name).equals(source.get_oseries(name))
    return _result(timings, errors, "copy", "fresh", COPY_TARGET)


def bench_zip(root: Path, models: int, reps: int) -> dict[str, Any]:
    import pastastore

    import pastas_projects as pp
    from pastas_projects.datasets import synthetic

    data = synthetic(models, seed=5)
    t0 = time.perf_counter()
    project = fill_project(f"lmdb://{root / 'zip-ours'}", "bench", data, noise=True)
    pstore = fill_pastastore(f"lmdb://{root / 'zip-theirs'}", "bench", data, noise=True)
    warm(project.db)
    for names in (pstore.conn.oseries_names, pstore.conn.stresses_names, pstore.model_names):
        assert names
    print(f"  filled both stores with {models:,} models in {time.perf_counter() - t0:.0f} s")
    files: dict[str, Path] = {}

    def ours_to(r: int) -> None:
        files["ours"] = project.to_zip(root / f"ours-{r}.zip", progressbar=False)

    def theirs_to(r: int) -> None:
        files["theirs"] = root / f"theirs-{r}.zip"
        pstore.to_zip(files["theirs"], progressbar=False)

    def ours_from(r: int) -> None:
        conn = pp.ArcticConnector("bench", f"lmdb://{root / f'from-ours-{r}'}")
        back = pp.PastasProject.from_zip(files["ours"], conn, progressbar=False)
        assert len(back.db.model_names) == models
        conn.close()

    def theirs_from(r: int) -> None:
        conn = pastastore.ArcticDBConnector(
            "bench", f"lmdb://{root / f'from-theirs-{r}'}", verbose=False
        )
        back = pastastore.PastaStore.from_zip(str(files["theirs"]), conn, progressbar=False)
        assert len(back.model_names) == models

    to_t, to_e = measure_interleaved({"ours": ours_to, "pastastore": theirs_to}, reps, warmup=0)
    from_t, from_e = measure_interleaved(
        {"ours": ours_from, "pastastore": theirs_from}, reps, warmup=0
    )
    sizes = {k: path.stat().st_size for k, path in files.items()}
    return {
        "to_zip": _result(to_t, to_e, "ours", "pastastore", 1.0),
        "from_zip": _result(from_t, from_e, "ours", "pastastore", 1.0),
        "zip_bytes": sizes,
    }


def _result(
    timings: dict[str, Timing], errors: dict[str, BaseException], a: str, b: str, target: float
) -> dict[str, Any]:
    result: dict[str, Any] = {k: t for k, t in timings.items()}
    result["errors"] = {k: f"{type(e).__name__}: {e}" for k, e in errors.items()}
    if a in timings and b in timings:
        ratio = timings[a].median / timings[b].median
        result["ratio"] = round(ratio, 3)
        result["target"] = target
        result["met"] = ratio <= target if a == "copy" else ratio < target
    return result


def report(results: dict[str, Any], n: int, models: int) -> None:
    copy = results["copy"]
    print(f"\ncopy {n:,} series of {SERIES_LENGTH:,} values, ArcticDB LMDB -> LMDB")
    for key in ("fresh", "copy"):
        if key in copy:
            times = len(copy[key].times)
            print(f"  {key:<6} {format_ms(copy[key].median):>10} ms (median of {times})")
    if "ratio" in copy:
        verdict = "met" if copy["met"] else "missed"
        print(f"  copy / fresh = {copy['ratio']:.2f} (target <= {COPY_TARGET}): {verdict}")
    zipped = results["zip"]
    print(f"\nzip of {models:,} models with their series (ArcticDB LMDB on both sides)")
    for op in ("to_zip", "from_zip"):
        part = zipped[op]
        cells = [f"{k} {format_ms(part[k].median)} ms" for k in ("ours", "pastastore") if k in part]
        ratio = part.get("ratio")
        verdict = (
            ""
            if ratio is None
            else f"; ours / pastastore = {ratio:.2f} ({'met' if part['met'] else 'missed'}: < 1)"
        )
        print(f"  {op:<8} " + ", ".join(cells) + verdict)
    sizes = zipped["zip_bytes"]
    print("  file size: " + ", ".join(f"{k} {v / 2**20:.1f} MiB" for k, v in sizes.items()))
    for part in (copy, zipped["to_zip"], zipped["from_zip"]):
        for key, text in part.get("errors", {}).items():
            print(f"  error ({key}): {text}")


def run(args: argparse.Namespace) -> dict[str, Any]:
    quiet()
    reps = args.reps or (1 if args.quick else 3)
    models = args.models or (100 if args.quick else 1000)
    print(
        f"pastas_projects transfer benchmark: copy {args.n:,} series, zip {models:,} models, "
        f"{reps} round(s){' (--quick)' if args.quick else ''}; load {load_average()}"
    )
    warn_if_busy()
    root = Path(args.dir or tempfile.mkdtemp(prefix="pp-bench-transfer-")).resolve()
    try:
        results = {"copy": bench_copy(root, args.n, reps), "zip": bench_zip(root, models, reps)}
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    results["settings"] = {"n": args.n, "models": models, "reps": reps, "length": SERIES_LENGTH}
    results["load_after"] = load_average()
    report(results, args.n, models)
    return results


def main() -> None:
    parser = make_parser(__doc__.splitlines()[0], default_n=10_000, quick_n=1_000)
    parser.add_argument("--models", type=int, default=None, help="models of the zip part")
    parser.add_argument("--reps", type=int, default=None, help="rounds (default 3, 1 quick)")
    parser.add_argument("--dir", type=Path, default=None, help="where the stores go (tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the stores and files")
    args = finish_args(parser.parse_args())
    results = run(args)
    if args.json:
        write_json(args.json, results, args)


if __name__ == "__main__":
    main()
