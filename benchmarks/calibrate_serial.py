"""The serial variants of ``bench_calibrate.py``: T_pure and T_store, interleaved.

Also the short pure-loop reference the script times before and after the flow, as a
check on how the machine's speed drifts.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from benchmarks import calibrate_parts as parts

CHUNK = 50
"""Models per chunk of the interleaved T_pure / T_store measurement."""
REFERENCE_N = 20
"""Models of the pure-loop reference timed before and after the flow (drift check)."""


def solve_pure(data: Any, names: list[str], noise: bool) -> tuple[dict[str, pd.Series], int]:
    """Build and solve ``names`` with pastas alone: fitted parameters, failures."""
    fitted, failed = {}, 0
    for name in names:
        ml = parts.pure_model(data, name, noise)
        try:
            ml.solve(report=False)
        except Exception:  # counted, as the stores record failures
            failed += 1
            continue
        fitted[name] = ml.parameters["optimal"]
    return fitted, failed


def reference_seconds(data: Any, names: list[str], noise: bool) -> float:
    """Wall time of the pure loop over the first :data:`REFERENCE_N` models."""
    start = time.perf_counter()
    solve_pure(data, names[:REFERENCE_N], noise)
    return time.perf_counter() - start


_BARRIER: Any = None
"""The barrier the two processes of :func:`pair_reference` start their loops at."""


def _timed_pure(job: tuple[Any, list[str], bool]) -> float:
    """In a pool process: wait for the other one, then time the pure loop."""
    data, names, noise = job
    solve_pure(data, names[:2], noise)  # warm up, as the reference process is warm
    _BARRIER.wait()
    start = time.perf_counter()
    solve_pure(data, names, noise)
    return time.perf_counter() - start


def _set_barrier(barrier: Any) -> None:
    global _BARRIER
    _BARRIER = barrier
    parts.quiet()


def pair_reference(data: Any, names: list[str], noise: bool, single: float) -> dict[str, float]:
    """What two cores give right now: the reference loop in two processes at once.

    The single-process reference cannot see a second core that is slow or shared
    (a virtual machine's neighbours); the flow needs both. Both processes solve the
    same :data:`REFERENCE_N` models, starting together (a barrier after imports and
    a warm-up). ``single`` is the loop's time in one process, measured just before
    (:func:`reference_seconds`). ``ceiling`` is ``2 * single / slowest``: 2.0 when
    both cores run at full speed.
    """
    import multiprocessing

    from pastas_projects.datasets import SeriesCollection

    subset = names[:REFERENCE_N]
    used = {k for name in subset for k in data.meteo[name]}
    small = SeriesCollection(
        oseries={n: data.oseries[n] for n in subset},
        stresses={k: data.stresses[k] for k in used},
        meteo={n: data.meteo[n] for n in subset},
    )
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    with ctx.Pool(2, initializer=_set_barrier, initargs=(barrier,)) as pool:
        walls = pool.map(_timed_pure, [(small, subset, noise)] * 2, chunksize=1)
    return {"single_s": single, "pair_s": max(walls), "ceiling": 2 * single / max(walls)}


def two_processes(data: Any, names: list[str], noise: bool) -> dict[str, float]:
    """``T_2proc``: the pure loop over all ``names``, split over two plain processes.

    What two cores give for the whole job without Prefect, Dask or a store: the
    models are dealt out alternately (so both halves are alike), both processes start
    together after their imports and a warm-up, and the wall time is the slower one's.
    """
    import multiprocessing

    halves = [names[0::2], names[1::2]]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    with ctx.Pool(2, initializer=_set_barrier, initargs=(barrier,)) as pool:
        walls = pool.map(_timed_pure, [(data, half, noise) for half in halves], chunksize=1)
    return {"seconds": max(walls), "halves_s": walls}


def print_drift(drift: dict[str, float], pair: dict[str, dict[str, float]]) -> None:
    """Print how the machine's speed moved during the run (the reference loops)."""
    print(
        f"\nmachine drift: the pure loop over the first {REFERENCE_N} models took "
        + ", ".join(f"{v:.1f} s {k.replace('_', ' ')}" for k, v in drift.items())
        + " (T_pure and T_store are interleaved; T_flow and T_peer are not)"
    )
    for when, ref in pair.items():
        print(
            f"two cores {when.replace('_', ' ')}: the same loop in two processes at once "
            f"{ref['pair_s']:.1f} s vs {ref['single_s']:.1f} s alone: {ref['ceiling']:.2f}x"
        )


def run_pure_and_store(
    data: Any, names: list[str], uri: str, noise: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """T_pure and T_store, measured interleaved in chunks of :data:`CHUNK` models.

    The speed of a (virtual) machine drifts over minutes; alternating the two
    variants chunk by chunk, and which of them goes first, gives both the same
    machine, so their ratio (the store overhead) is not a measure of the drift.
    """
    start = time.perf_counter()
    pr = parts.fill_project(uri, "bench_store", data, noise)
    prepare = time.perf_counter() - start
    fitted: dict[str, pd.Series] = {}
    failed = 0
    tables = []
    wall = {"pure": 0.0, "store": 0.0}
    cpu = {"pure": 0.0, "store": 0.0}
    try:
        if not parts.same_definition(data, names[0], noise, pr.db.get_models(names[0])):
            raise RuntimeError("pastas-only build differs from PastasProject.create_model")
        for i, first in enumerate(range(0, len(names), CHUNK)):
            chunk = names[first : first + CHUNK]
            for key in ("pure", "store") if i % 2 == 0 else ("store", "pure"):
                t0, c0 = time.perf_counter(), time.process_time()
                if key == "pure":
                    chunk_fitted, chunk_failed = solve_pure(data, chunk, noise)
                    fitted |= chunk_fitted
                    failed += chunk_failed
                else:
                    tables.append(pr.solve_models(chunk, progressbar=False))
                wall[key] += time.perf_counter() - t0
                cpu[key] += time.process_time() - c0
        params = pr.get_parameters()
    finally:
        pr.db.conn.close()
    table = pd.concat(tables)
    solved = int(table["ok"].sum())
    pure = {
        "seconds": wall["pure"],
        "cpu_s": cpu["pure"],
        "solved": len(fitted),
        "failed": failed,
        "params": pd.DataFrame(fitted).T,
    }
    store = {
        "seconds": wall["store"],
        "cpu_s": cpu["store"],
        "prepare_s": prepare,
        "solved": solved,
        "failed": len(table) - solved,
        "params": params,
    }
    return pure, store
