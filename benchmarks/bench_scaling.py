"""The parameters of the scaling model of docs/scaling.md, measured, and a check of it.

Measures, on this machine:

1. **Per model**, in one process: CPU seconds of a solve (rebuild, solve, statistics,
   write) and the store operations it makes, with their counts, bytes and latencies,
   on ArcticDB-LMDB and on ArcticDB over the MongoDB-wire test server.
2. **Per task**: what Dask's scheduler costs per task (many empty tasks on a local
   cluster), what a Prefect task costs on the Dask task runner (empty batch tasks),
   and the Prefect API requests one task run makes, with the server's CPU per request.
3. **A check of the model**: the solve-models flow on the same N models with 1, 2
   and 4 local workers, and on an existing cluster (``dask scheduler`` and ``dask
   worker`` processes) with the store on the MongoDB-wire server; each measured time
   beside the model's prediction from the parameters above.

Run from the repository root: ``python -m benchmarks.bench_scaling --json
bench_results/scaling.json`` (N = 200 by default; ``--quick``: 40).
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import calibrate_parts as parts
from benchmarks.common import finish_args, make_parser, print_table
from benchmarks.machine import start_mongo, warn_if_busy, write_json

BIN = Path(sys.executable).parent


# ---------------------------------------------------------------------- 1. per model
class CountingConnector:
    """Wraps a connector's storage hooks: counts calls, bytes and seconds per hook."""

    HOOKS = ("_read", "_write", "_read_metadata", "_list_names", "_has", "_list_versions")

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.calls: dict[str, list[float]] = {h: [] for h in self.HOOKS}
        self.bytes: dict[str, int] = {h: 0 for h in self.HOOKS}
        for hook in self.HOOKS:
            setattr(conn, hook, self._wrap(hook, getattr(conn, hook)))

    def _wrap(self, hook: str, fn: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            result = fn(*args, **kwargs)
            self.calls[hook].append(time.perf_counter() - start)
            self.bytes[hook] += _size(result if hook != "_write" else args[2])
            return result

        return wrapped

    def reset(self) -> None:
        for hook in self.HOOKS:
            self.calls[hook].clear()
            self.bytes[hook] = 0


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode())
    data = getattr(value, "data", value)
    if hasattr(data, "memory_usage"):
        return int(data.memory_usage(index=True, deep=False).sum())
    if isinstance(data, str):
        return len(data.encode())
    return 0


def per_model(data: Any, uri: str, name: str, noise: bool, n: int) -> dict[str, Any]:
    """Solve ``n`` stored models one by one; CPU per model and the store operations."""
    from pastas_projects.modelling.solve import solve_batch

    pr = parts.fill_project(uri, name, data, noise)
    counter = CountingConnector(pr.db.conn)
    names = pr.db.model_names[:n]
    solve_batch(pr.db, names[:2])  # warm up this process
    counter.reset()
    cpu, wall = time.process_time(), time.perf_counter()
    solve_batch(pr.db, names[2:])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    count = len(names) - 2
    ops = {}
    for hook, calls in counter.calls.items():
        if calls:
            ops[hook] = {
                "per_model": len(calls) / count,
                "median_ms": 1000 * statistics.median(calls),
                "bytes_per_model": counter.bytes[hook] / count,
                "seconds_per_model": sum(calls) / count,
            }
    pr.db.model_records(None)  # the first listing of a library pays a fixed cost
    start = time.perf_counter()
    records = pr.db.model_records(None)
    listing = (time.perf_counter() - start) / len(records)
    pr.db.conn.close()
    return {"cpu_s": cpu / count, "wall_s": wall / count, "ops": ops, "models": count,
            "listing_s_per_model": listing}  # fmt: skip


# ---------------------------------------------------------------------- 2. per task
def _noop(x: int) -> int:
    return x


def scheduler_per_task(workers: int, tasks: int) -> dict[str, float]:
    """Seconds per empty Dask task through a local cluster's scheduler."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:  # fmt: skip
        client.gather(client.map(_noop, range(200)))  # warm up
        start = time.perf_counter()
        client.gather(client.map(_noop, range(1000, 1000 + tasks)))
        seconds = time.perf_counter() - start
    return {"tasks": tasks, "seconds_per_task": seconds / tasks}


def prefect_per_task(api_url: str, workers: int, tasks: int) -> dict[str, float]:
    """Seconds per empty Prefect task on the Dask task runner, in a child process."""
    code = f"""
import time, json
from prefect import flow, task
from prefect_dask import DaskTaskRunner
@task(persist_result=False)
def empty(i):
    return i
@flow(task_runner=DaskTaskRunner(cluster_kwargs={{"n_workers": {workers},
      "threads_per_worker": 1, "dashboard_address": ":0"}}), persist_result=False)
def run():
    [f.result() for f in empty.map(range({workers} * 2))]  # warm up the workers
    start = time.perf_counter()
    [f.result() for f in empty.map(range({tasks}))]
    return time.perf_counter() - start
print(json.dumps({{"seconds": run()}}))
"""
    env = os.environ | {"PREFECT_API_URL": api_url}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    seconds = float(out.stdout.strip().splitlines()[-1].split(":")[1].strip(" }"))
    return {"tasks": tasks, "seconds_per_task": seconds * workers / tasks}


def api_requests_per_task(api_url: str, server_pid: int, tasks: int) -> dict[str, float]:
    """Prefect API requests and events of one task run, and the server's CPU per task run.

    Prefect 3 reports a task run's states as events (over a websocket), not as one HTTP
    request per state; both are counted, in a child process, for task runs in its own
    threads (the same orchestration as on a Dask worker).
    """
    import psutil

    code = f"""
import json, httpx
counts = {{"n": 0}}
for cls in (httpx.Client, httpx.AsyncClient):
    original = cls.send
    if cls is httpx.Client:
        def send(self, *a, _o=original, **k):
            counts["n"] += 1
            return _o(self, *a, **k)
    else:
        async def send(self, *a, _o=original, **k):
            counts["n"] += 1
            return await _o(self, *a, **k)
    cls.send = send
from prefect.events.clients import EventsClient
original_emit = EventsClient.emit
async def emit(self, event, _o=original_emit):
    counts["events"] = counts.get("events", 0) + 1
    return await _o(self, event)
EventsClient.emit = emit
from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner
@task(persist_result=False)
def empty(i):
    return i
@flow(task_runner=ThreadPoolTaskRunner(max_workers=1), persist_result=False)
def run(n):
    [empty.submit(i).result() for i in range(n)]
run(2)
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
APILogWorker.drain_all(timeout=30); EventsWorker.drain_all(timeout=30)
before, events = counts["n"], counts.get("events", 0)
run({tasks})
APILogWorker.drain_all(timeout=30); EventsWorker.drain_all(timeout=30)
print(json.dumps({{"requests": counts["n"] - before, "events": counts.get("events", 0) - events}}))
"""
    server = psutil.Process(server_pid)
    family = [server, *server.children(recursive=True)]
    cpu_before = sum(sum(p.cpu_times()[:2]) for p in family)
    env = os.environ | {"PREFECT_API_URL": api_url}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    cpu = sum(sum(p.cpu_times()[:2]) for p in family) - cpu_before
    import json

    counted = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "requests_per_task": counted["requests"] / tasks,
        "events_per_task": counted["events"] / tasks,
        "server_cpu_s_per_task": cpu / tasks,
    }


# ---------------------------------------------------------------------- 3. the model checked
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flow_run(uri: str, name: str, workers: int | None, address: str | None) -> dict[str, Any]:
    """One solve-models flow run in a child process; its summary."""
    code = f"""
import json
from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.flows import solve_models_flow
if __name__ == "__main__":
    block = PastasStoreBlock(uri={uri!r}, connector_name={name!r})
    s = solve_models_flow(block, workers={workers or 1}, cluster_address={address!r},
                          warm_start=False)  # each run solves from the initial parameters
    print(json.dumps({{k: s[k] for k in ("seconds", "cluster_seconds", "solved", "batches",
                                        "workers", "accounting")}}))
"""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    import json

    summary = json.loads(out.stdout.strip().splitlines()[-1])
    return summary | {"process_s": wall}


def external_cluster(workers: int) -> tuple[str, list[subprocess.Popen]]:
    """A ``dask scheduler`` and ``dask worker`` processes, as on a real cluster."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [
        subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
    ]  # fmt: skip
    for _ in range(workers):
        procs.append(
            subprocess.Popen(
                [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                 "--no-dashboard", "--preload", "pastas_projects.tasks.worker_setup"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            )
        )  # fmt: skip
    from distributed import Client

    with Client(address, timeout="60s") as client:
        client.wait_for_workers(workers, timeout=180)
    return address, procs


def predict(
    params: dict[str, Any], model_s: float, n: int, workers: int, parallel: float
) -> dict[str, float]:
    """The model of docs/scaling.md: wall seconds of the solve step for ``n`` models.

    ``model_s`` is one model's wall time in one process on the run's store;
    ``parallel`` how many models the workers solve at once at full speed (``workers``
    on enough cores; on this 2-vCPU machine the measured two-core factor).
    """
    from pastas_projects.flows.batching import plan_batches

    sizes = plan_batches(n, workers)
    per_worker = n / workers
    work = n * model_s / parallel
    tasks = len(sizes) * params["prefect_task_s"] / parallel
    scheduler = len(sizes) * params["scheduler_task_s"]
    tail = model_s * sizes[-1] / 2 * (workers / parallel)  # half the last batch, on average
    return {
        "seconds": work + tasks + scheduler + tail,
        "work_s": work,
        "tasks_s": tasks,
        "scheduler_s": scheduler,
        "tail_s": tail,
        "batches": len(sizes),
        "models_per_worker": per_worker,
    }


def project(params: dict[str, Any], mongo: dict[str, Any], n: int, workers: int) -> dict[str, Any]:
    """A run of ``n`` models on ``workers`` dedicated cores with a shared MongoDB store.

    Beside the time, the load each shared part carries, as a share of what it can
    give: the Prefect server (its CPU per task run, one core), the Dask scheduler
    (one core), the flow process's listing of the records, and the store (operations
    per second asked of it; its capacity is the user's server's, not measured here).
    """
    solve = predict(params, mongo["wall_s"], n, workers, float(workers))
    seconds = solve["seconds"] + n * mongo["listing_s_per_model"]
    ops = sum(o["per_model"] for o in mongo["ops"].values())
    store_bytes = sum(o["bytes_per_model"] for o in mongo["ops"].values())
    return {
        "workers": workers,
        "n": n,
        "seconds": seconds,
        "batches": solve["batches"],
        "listing_s": n * mongo["listing_s_per_model"],
        "orchestration_share": (solve["tasks_s"] + solve["scheduler_s"]) / solve["seconds"],
        "prefect_server_load": solve["batches"] * params["server_cpu_s_per_task"] / seconds,
        "scheduler_load": solve["batches"] * params["scheduler_task_s"] / seconds,
        "store_ops_per_s": n * ops / seconds,
        "store_mb_per_s": n * store_bytes / seconds / 1e6,
    }


def run(args: Any) -> dict[str, Any]:
    from pastas_projects.datasets import synthetic
    from pastas_projects.prefect_server import set_api_url, start_server

    tmp = Path(tempfile.mkdtemp(prefix="bench_scaling_", dir=args.dir))
    data = synthetic(args.n, args.seed)
    noise = not args.no_noise
    results: dict[str, Any] = {"n": args.n, "cores": os.cpu_count()}
    mongo = start_mongo(tmp / "mongo")
    server = start_server(home=tmp / "prefect", timeout=180)
    set_api_url(server.api_url)
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        print("1. per model (serial, one process)", flush=True)
        sample = min(args.n, 40)
        results["per_model"] = {
            "lmdb": per_model(data, f"lmdb://{tmp / 'pm'}", "pm", noise, sample),
            "mongodb": per_model(data, mongo.uri, f"pm_{os.getpid()}", noise, sample),
        }
        print("2. per task", flush=True)
        results["scheduler"] = scheduler_per_task(2, 3000 if not args.quick else 500)
        results["prefect_task"] = prefect_per_task(server.api_url, 2, 200 if not args.quick else 40)
        results["api"] = api_requests_per_task(server.api_url, server.pid, 50)
        params = {
            "prefect_task_s": results["prefect_task"]["seconds_per_task"],
            "scheduler_task_s": results["scheduler"]["seconds_per_task"],
            "server_cpu_s_per_task": results["api"]["server_cpu_s_per_task"],
        }
        results["params"] = params
        results["projection"] = [
            project(params, results["per_model"]["mongodb"], 100_000, w) for w in (8, 32, 128)
        ]
        print("3. the model checked: local clusters of 1, 2 and 4 workers, an external one")
        uri = f"lmdb://{tmp / 'flows'}"
        parts.fill_project(uri, "flows", data, noise).db.conn.close()
        from benchmarks.calibrate_serial import pair_reference, reference_seconds

        names = sorted(data.oseries)
        single = reference_seconds(data, names, noise)
        results["two_cores"] = pair_reference(data, names, noise, single)
        checks = []
        for workers in (1, 2, 4):
            summary = flow_run(uri, "flows", workers, None)
            checks.append(("local", workers, "lmdb", summary))
        mongo_name = f"ext_{os.getpid()}"
        parts.fill_project(mongo.uri, mongo_name, data, noise).db.conn.close()
        address, procs = external_cluster(2)
        try:
            checks.append(("external", 2, "mongodb", flow_run(mongo.uri, mongo_name, 2, address)))
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=30)
        rows = []
        cores = os.cpu_count() or 1
        ceiling = results["two_cores"]["ceiling"]
        for kind, workers, store, summary in checks:
            step = summary["accounting"]["solve"]["seconds"]
            parallel = 1.0 if workers == 1 else min(workers, cores) * ceiling / 2
            model_s = results["per_model"][store]["wall_s"]
            predicted = predict(params, model_s, args.n, workers, parallel)["seconds"]
            rows.append({"cluster": kind, "workers": workers, "store": store,
                     "batches": summary["batches"], "measured_s": step,
                     "predicted_s": predicted, "ratio": step / predicted,
                     "run_s": summary["seconds"], "process_s": summary["process_s"]})  # fmt: skip
        results["checks"] = rows
    finally:
        server.stop()
        mongo.stop()
    return results


def report(results: dict[str, Any]) -> None:
    pm = results["per_model"]
    cells = {}
    for store, info in pm.items():
        cells[f"per model, {store}"] = {
            "value": f"CPU {info['cpu_s'] * 1000:.0f} ms, wall {info['wall_s'] * 1000:.0f} ms",
            "detail": "; ".join(
                f"{h} {o['per_model']:.1f}x {o['median_ms']:.2f} ms "
                f"{o['bytes_per_model'] / 1e3:.0f} kB"
                for h, o in info["ops"].items()
            ),
        }
    cells["Dask scheduler per task"] = {
        "value": f"{results['scheduler']['seconds_per_task'] * 1000:.2f} ms",
        "detail": "",
    }
    cells["Prefect task (Dask runner)"] = {
        "value": f"{results['prefect_task']['seconds_per_task'] * 1000:.0f} ms",
        "detail": "",
    }
    api = results["api"]
    cells["Prefect API per task run"] = {
        "value": f"{api['events_per_task']:.1f} events, {api['requests_per_task']:.1f} requests",
        "detail": f"server CPU {api['server_cpu_s_per_task'] * 1000:.1f} ms per task run",
    }  # fmt: skip
    print_table("Parameters", list(cells), ["value", "detail"], lambda r, c: cells[r][c])
    two = results["two_cores"]
    print(
        f"\ntwo cores gave {two['ceiling']:.2f}x one "
        f"({two['pair_s']:.1f} s vs {two['single_s']:.1f} s)"
    )
    rows = {f"{p['workers']} workers": p for p in results["projection"]}
    keys = ["seconds", "batches", "listing_s", "orchestration_share", "prefect_server_load",
            "scheduler_load", "store_ops_per_s", "store_mb_per_s"]  # fmt: skip
    print_table("Projection: 100,000 models, MongoDB store", list(rows), keys,
                lambda r, c: f"{rows[r][c]:.3g}")  # fmt: skip
    checks = {
        f"{r['cluster']} {r['workers']} worker(s), {r['store']}": r for r in results["checks"]
    }
    columns = ["batches", "measured_s", "predicted_s", "ratio"]
    print_table(
        f"The model checked (solve step of {results['n']} models)",
        list(checks),
        columns,
        lambda r, c: (
            f"{checks[r][c]:.2f}" if isinstance(checks[r][c], float) else str(checks[r][c])
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(__doc__.split("\n\n")[0], default_n=200, quick_n=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-noise", action="store_true")
    parser.add_argument("--dir", default=None)
    args = finish_args(parser.parse_args(argv))
    warn_if_busy()
    results = run(args)
    report(results)
    if args.json:
        write_json(args.json, results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
