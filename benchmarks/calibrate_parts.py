"""Helpers of ``bench_calibrate.py``: model building, store filling, RSS sampling, accuracy.

Kept apart so that the spawned memory-run processes import only this module (and
what it imports), not the benchmark script's command line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pastas as ps
import psutil

PARAMS = ["recharge_A", "recharge_a", "recharge_f", "constant_d"]
TOLERANCE = {"recharge_A": 0.20, "recharge_a": 0.20, "recharge_f": 0.15, "constant_d": 0.10}
"""Recovery tolerances of tests/test_datasets.py (relative for A and a, absolute for f
and d), measured there for RechargeModel(Exponential) + ArNoiseModel on noisy heads."""
RELATIVE = ("recharge_A", "recharge_a")


def quiet() -> None:
    """Silence the logging and warnings of pastas, pastastore, ArcticDB and Prefect."""
    ps.set_log_level("ERROR")
    for name in ("pastastore", "distributed", "prefect", "pastas_projects"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*BlockManagerUnconsolidated")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    with contextlib.suppress(ImportError):
        from arcticdb.config import set_log_level

        set_log_level("WARN")


# ---------------------------------------------------------------------- models
def pure_model(data: Any, name: str, noise: bool) -> ps.Model:
    """Build the model of ``name`` with pastas alone, as ``build_model`` does from a store.

    The series are copied: pastas 2.0 changes the index of the series it is given.
    """
    prec, evap = (data.stresses[k].copy() for k in data.meteo[name])
    ml = ps.Model(data.oseries[name].copy(), name=name)
    ps.RechargeModel(
        ml,
        prec=prec,
        evap=evap,
        rfunc=ps.rfunc.Exponential(),
        recharge=ps.recharge.Linear(),
        name="recharge",
    )
    if noise:
        ps.ArNoiseModel(ml)
    return ml


def model_json(ml: ps.Model) -> str:
    """The model definition without series and file info, for comparing builds."""
    from pastas.io.pas import PastasEncoder

    info = ml.to_dict(series=False)
    info.pop("file_info", None)
    return json.dumps(info, cls=PastasEncoder, sort_keys=True)


def same_definition(data: Any, name: str, noise: bool, stored: ps.Model) -> bool:
    """Whether the pastas-only build equals the project's build (``create_model``).

    pastas sets the oseries' ``freq`` setting only while solving, so it is ignored, and
    a zero ``time_offset`` is written as ``0 microseconds`` or ``0 seconds`` depending on
    how the model was made, so offsets are compared as time spans.
    """

    def normal(ml: ps.Model) -> dict:
        info = json.loads(model_json(ml))
        info["oseries"]["settings"].pop("freq", None)
        for sm in info["stressmodels"].values():
            for series in (sm.get(k) for k in ("prec", "evap", "stress")):
                if isinstance(series, dict) and "time_offset" in series["settings"]:
                    offset = series["settings"]["time_offset"]
                    series["settings"]["time_offset"] = pd.Timedelta(offset).value
        return info

    return normal(pure_model(data, name, noise)) == normal(stored)


def fill_project(uri: str, connector_name: str, data: Any, noise: bool) -> Any:
    """A pastas_projects ArcticDB store with the series and the unsolved models.

    Returns the open connector; close it before another process (or a flow run in
    this one) opens the same LMDB folder.
    """
    import pastas_projects as pp

    conn = pp.ArcticConnector(connector_name, uri)
    pr = pp.PastasProject(connector_name, conn)
    for key, series in data.stresses.items():
        pr.db.add_stress(series, key, metadata=data.stresses_metadata[key])
    for key, series in data.oseries.items():
        pr.db.add_oseries(series, key, metadata=data.oseries_metadata[key])
    for key in data.oseries:
        pr.create_model(key, recharge=data.meteo[key], noise=noise)
    return pr


def fill_pastastore(uri: str, connector_name: str, data: Any, noise: bool) -> Any:
    """A pastastore ArcticDBConnector store with the same series and unsolved models."""
    import pastastore

    conn = pastastore.ArcticDBConnector(connector_name, uri, verbose=False)
    pstore = pastastore.PastaStore(conn)
    for key, series in data.stresses.items():
        meta = data.stresses_metadata[key]
        pstore.add_stress(series, key, kind=meta["kind"], metadata=meta)
    for key, series in data.oseries.items():
        pstore.add_oseries(series, key, metadata=data.oseries_metadata[key])
    for key in data.oseries:
        pstore.add_model(pure_model(data, key, noise))
    return pstore


def solve_pastastore(pstore: Any, workers: int, **kwargs: Any) -> None:
    """pastastore's parallel solve, as its users call it, without progress bar or report."""
    pstore.solve_models(
        parallel=True,
        max_workers=workers,
        progressbar=False,
        report=False,
        ignore_solve_errors=True,
        **kwargs,
    )


# ---------------------------------------------------------------------- accuracy
def recovery(fitted: pd.DataFrame, true: pd.DataFrame) -> dict[str, Any]:
    """Share of models whose fitted parameters are all within :data:`TOLERANCE`.

    Models with missing or non-finite parameters count as not within tolerance.
    """
    fitted = fitted.reindex(index=true.index, columns=PARAMS).astype(float)
    errors = (fitted - true[PARAMS]).abs()
    for p in RELATIVE:
        errors[p] /= true[p].abs()
    ok = (errors < pd.Series(TOLERANCE)).all(axis=1)
    return {
        "models": len(true),
        "within": int(ok.sum()),
        "share": float(ok.mean()) if len(ok) else None,
        "median_error": {p: round(float(errors[p].median()), 5) for p in PARAMS},
    }


# ---------------------------------------------------------------------- memory
@dataclass
class RssSampler:
    """Sample RSS and CPU time of a process and its new descendants in a background thread.

    ``peak_main``: the process itself; ``peak_child``: the largest single descendant
    (e.g. a Dask worker); ``peak_total``: the largest sum over the tree at one sample.
    Descendants that exist when sampling starts (e.g. a Prefect server this process
    started) are left out. ``cpu_seconds``: CPU time (user + system) of the process
    since sampling started plus that of the descendants at their last sample (a
    descendant's last 0.2 s may be missed).
    """

    pid: int
    interval: float = 0.2
    peak_main: int = 0
    peak_child: int = 0
    peak_total: int = 0
    samples: int = 0
    cpu_start: float = 0.0
    cpu_main: float = 0.0
    cpu_children: dict[int, float] = field(default_factory=dict)
    exclude: set[int] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _sample(self) -> None:
        try:
            proc = psutil.Process(self.pid)
            main, cpu = proc.memory_info().rss, proc.cpu_times()
            children = proc.children(recursive=True)
        except psutil.Error:
            return
        self.cpu_main = cpu.user + cpu.system
        total = main
        for child in children:
            if child.pid in self.exclude:
                continue
            try:
                rss, cpu = child.memory_info().rss, child.cpu_times()
            except psutil.Error:
                continue
            self.cpu_children[child.pid] = cpu.user + cpu.system
            self.peak_child = max(self.peak_child, rss)
            total += rss
        self.peak_main = max(self.peak_main, main)
        self.peak_total = max(self.peak_total, total)
        self.samples += 1

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> RssSampler:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(self.pid)
            self.exclude |= {p.pid for p in proc.children(recursive=True)}
            cpu = proc.cpu_times()
            self.cpu_start = cpu.user + cpu.system
        self._sample()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()

    @property
    def cpu_seconds(self) -> float:
        return self.cpu_main - self.cpu_start + sum(self.cpu_children.values())

    def as_dict(self) -> dict[str, Any]:
        mib = 2**20
        return {
            "peak_main_mib": round(self.peak_main / mib, 1),
            "peak_child_mib": round(self.peak_child / mib, 1),
            "peak_total_mib": round(self.peak_total / mib, 1),
            "child_processes": len(self.cpu_children),
            "cpu_s": round(self.cpu_seconds, 2),
            "cpu_main_s": round(self.cpu_main - self.cpu_start, 2),
            "cpu_children_s": round(sum(self.cpu_children.values()), 2),
            "samples": self.samples,
        }


def flow_child(uri: str, connector_name: str, workers: int, conn: Any) -> None:
    """Target of a spawned memory-run process: run the solve flow, send its summary.

    ``PREFECT_API_URL`` comes from the parent's environment.
    """
    quiet()
    try:
        from pastas_projects.blocks import PastasStoreBlock
        from pastas_projects.flows.solve import solve_models_flow

        block = PastasStoreBlock(uri=uri, connector_name=connector_name)
        start = time.perf_counter()
        summary = solve_models_flow(store=block, workers=workers)
        wall = time.perf_counter() - start
        keep = ("seconds", "cluster_seconds", "solved", "failed", "batches", "workers")
        conn.send({"ok": True, "wall_s": wall, **{k: summary.get(k) for k in keep}})
    except BaseException as exc:  # report to the parent, which prints it
        conn.send({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        from pastas_projects.blocks import clear_connector_cache

        clear_connector_cache(close=True)
        conn.close()


class ApiProbe:
    """While a flow runs: ask the Prefect API what the UI's flow-run page asks, time it.

    Every ``interval`` seconds a background thread finds the running ``flow`` run and
    makes the page's calls: the flow run, its task runs, logs and artifacts, and the
    run graph. Plain HTTP (urllib), as a browser would.
    """

    def __init__(self, api_url: str, flow: str = "solve-models", interval: float = 2.0) -> None:
        self.api = api_url.rstrip("/")
        self.flow, self.interval = flow, interval
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _call(self, what: str, path: str, body: dict | None = None) -> Any:
        import urllib.request

        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.api}{path}",
            data=data,
            method="GET" if body is None else "POST",
            headers={"Content-Type": "application/json"},
        )
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.loads(response.read() or b"null")
        self.latencies.setdefault(what, []).append(time.perf_counter() - start)
        return payload

    def _running_id(self) -> str | None:
        body = {
            "flow_runs": {"state": {"type": {"any_": ["RUNNING"]}}},
            "flows": {"name": {"any_": [self.flow]}},
            "sort": "START_TIME_DESC",
            "limit": 1,
        }
        runs = self._call("find run", "/flow_runs/filter", body)
        return runs[0]["id"] if runs else None

    def _loop(self) -> None:
        run_id = None
        while not self._stop.wait(self.interval):
            try:
                run_id = run_id or self._running_id()
                if run_id is None:
                    continue
                self._call("flow run", f"/flow_runs/{run_id}")
                by_run = {"any_": [run_id]}
                self._call("task runs", "/task_runs/filter",
                           {"flow_runs": {"id": by_run}, "limit": 200})  # fmt: skip
                self._call("logs", "/logs/filter",
                           {"logs": {"flow_run_id": by_run}, "limit": 200})  # fmt: skip
                self._call("artifacts", "/artifacts/filter",
                           {"artifacts": {"flow_run_id": by_run}})  # fmt: skip
                self._call("graph", f"/flow_runs/{run_id}/graph-v2")
            except Exception as exc:  # noqa: BLE001 - recorded; the probe goes on
                self.errors.append(f"{type(exc).__name__}: {exc}")

    def __enter__(self) -> ApiProbe:
        self._thread = threading.Thread(target=self._loop, name="api-probe", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"errors": self.errors[:5], "error_count": len(self.errors)}
        for what, values in self.latencies.items():
            ordered = sorted(values)
            out[what] = {
                "calls": len(values),
                "median_s": round(ordered[len(ordered) // 2], 3),
                "max_s": round(ordered[-1], 3),
            }
        page = [v for k, vs in self.latencies.items() if k != "find run" for v in vs]
        out["max_s"] = round(max(page), 3) if page else None
        return out
