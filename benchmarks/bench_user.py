"""What a user feels: the whole command against pastastore doing the same job.

For each size N (100, 300 and 1,000 synthetic recharge models with AR(1) noise by
default) the same models are stored twice: in a pastas_projects ArcticDB-LMDB store
and in a pastastore 2.0 ArcticDB-LMDB store. Then, interleaved round by round (the
order alternates), each round times two whole processes from start to exit:

- ``pastas-projects solve --all`` (the command a user types), and
- a Python process that opens the pastastore store and calls
  ``pstore.solve_models(parallel=True, max_workers=2)``.

Two settings, each with a Prefect server running as for a user who works all day:

- **warm**: a warm cluster runs (``pastas-projects cluster start``);
- **cold**: no cluster runs: the command starts a local Dask cluster for its run.

Every run of ours solves from the models' initial parameters (``--cold``), as
pastastore's ``solve_models`` does, not from the optimum of the round before. On
the warm cluster the run's HTML report is written by a worker after the command
has returned; the next command starts only when that report is written (its extra
time is reported as ``report after``), so the report never competes with the
peer's run.

Size 2 (``--sizes 2,100,...``) shows each side's fixed cost; beside it, a whole
process that runs one empty Prefect flow shows Prefect's own share of that cost.

At one size (300 by default) it also times a run of the ``solve-models`` deployment
triggered over the Prefect API, what the UI's Run button does, from the request to
the run's Completed state (``pastas-projects serve`` serving it, the warm cluster
running), interleaved with pastastore.

Run from the repository root: ``python -m benchmarks.bench_user`` (about an hour on
2 cores) or ``--quick`` (sizes 30 and 60, two rounds).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import calibrate_parts as parts
from benchmarks.common import finish_args, make_parser, print_table
from benchmarks.machine import load_average, machine_info, warn_if_busy, write_json

TARGETS = {100: 1.1, 300: 1.25, 1000: 1.3}
"""Wanted ``T_pastastore / T_ours`` per size (warm); cold at 300 must exceed 1."""

BIN = Path(sys.executable).parent
PEER = """
import sys
import pastastore
conn = pastastore.ArcticDBConnector(sys.argv[1], sys.argv[2], verbose=False)
pstore = pastastore.PastaStore(conn)
pstore.solve_models(parallel=True, max_workers=int(sys.argv[3]), progressbar=False,
                    report=False, ignore_solve_errors=True)
"""


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Wall time of a whole process, and its output (it must succeed)."""
    start = time.perf_counter()
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=7200)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return seconds, out.stdout


def ours_command(uri: str, name: str, workers: int) -> list[str]:
    return [str(BIN / "pastas-projects"), "solve", "--all", "--cold", "--store", uri,
            "--name", name, "--workers", str(workers)]  # fmt: skip


def wait_for_reports(folder: Path, timeout: float = 300) -> float:
    """Seconds until no report in ``folder`` is still being written by a worker."""
    from pastas_projects.tasks.report import is_pending

    start = time.perf_counter()
    while any(is_pending(page) for page in folder.glob("*.html")):
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"a report in {folder} was not written within {timeout} s")
        time.sleep(0.05)
    return time.perf_counter() - start


def peer_command(uri: str, name: str, workers: int) -> list[str]:
    return [sys.executable, "-c", PEER, name, uri, str(workers)]


def rounds(
    label: str, n: int, ours: Any, peer: list[str], env: dict[str, str], count: int
) -> dict[str, Any]:
    """``count`` interleaved rounds of ours and the peer; the order alternates."""
    reports = Path(env["PASTAS_PROJECTS_REPORTS_DIR"])
    rows = []
    for r in range(count):
        order = ("ours", "peer") if r % 2 == 0 else ("peer", "ours")
        got: dict[str, float] = {}
        for who in order:
            if who == "ours":
                got["ours"] = ours()
                got["report_after"] = wait_for_reports(reports)
            else:
                got["peer"] = timed(peer, env)[0]
        rows.append(got | {"ratio": got["peer"] / got["ours"], "load": load_average()})
        print(
            f"  {label} N={n} round {r + 1}: ours {got['ours']:.1f} s, pastastore "
            f"{got['peer']:.1f} s, pastastore/ours {got['peer'] / got['ours']:.2f}",
            flush=True,
        )
    return summarise(rows)


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def spread(key: str) -> dict[str, float]:
        values = [row[key] for row in rows]
        return {"median": statistics.median(values), "min": min(values), "max": max(values)}

    return {"rounds": rows, "ours": spread("ours"), "peer": spread("peer"),
            "ratio": spread("ratio"), "report_after": spread("report_after")}  # fmt: skip


def deployment_rounds(
    uri: str, name: str, n: int, peer: list[str], env: dict[str, str], count: int, tmp: Path
) -> dict[str, Any]:
    """Runs of the solve-models deployment over the API (serve running), against the peer."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    log = open(tmp / "serve.log", "wb")  # noqa: SIM115 (closed below)
    serve = subprocess.Popen(
        [str(BIN / "pastas-projects"), "serve", "--store", uri, "--name", name],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with get_client(sync_client=True) as client:
                    client.read_deployment_by_name("solve-models/solve-models")
                break
            except Exception as err:  # noqa: BLE001 - not registered yet
                if time.monotonic() > deadline or serve.poll() is not None:
                    log_text = (tmp / "serve.log").read_text()
                    raise RuntimeError(f"serve did not come up: {log_text}") from err
                time.sleep(1)

        def ours() -> float:
            start = time.perf_counter()
            run = run_deployment(
                "solve-models/solve-models",
                parameters={"pattern": "*", "only_changed": False, "warm_start": False},
                timeout=3600,
                poll_interval=0.5,
            )
            seconds = time.perf_counter() - start
            if not run.state or not run.state.is_completed():
                raise RuntimeError(f"deployment run ended {run.state}")
            return seconds

        return rounds("deployment", n, ours, peer, env, count)
    finally:
        os.killpg(serve.pid, signal.SIGINT)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
        log.close()


EMPTY_FLOW = """
from prefect import flow
@flow(persist_result=False)
def empty():
    return 0
empty()
"""
"""Prefect's floor: a process that imports Prefect and runs an empty flow run."""


def fixed_floor(env: dict[str, str], count: int) -> dict[str, Any]:
    """Seconds of a whole process that runs one empty Prefect flow (median of ``count``)."""
    values = [timed([sys.executable, "-c", EMPTY_FLOW], env)[0] for _ in range(count)]
    print(f"  an empty Prefect flow run, whole process: {statistics.median(values):.1f} s")
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


COLUMNS = {"ours s": "ours", "pastastore s": "peer", "pastastore/ours": "ratio",
           "report after s": "report_after"}  # fmt: skip


def run(args: Any) -> dict[str, Any]:
    from pastas_projects.datasets import synthetic
    from pastas_projects.flows.warm_cluster import start_cluster, stop_cluster
    from pastas_projects.prefect_server import set_api_url, start_server

    sizes = [int(s) for s in args.sizes.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="bench_user_", dir=args.dir))
    reports = tmp / "reports"  # where the runs write their HTML reports
    home = tmp / "prefect"
    server = start_server(home=home, timeout=180)
    set_api_url(server.api_url)
    reports.mkdir()
    env = os.environ | {
        "PREFECT_API_URL": server.api_url,
        "PASTAS_PROJECTS_PREFECT_HOME": str(home),
        "PASTAS_PROJECTS_REPORTS_DIR": str(reports),
    }
    os.environ.update(env)
    results: dict[str, Any] = {"sizes": {}, "server_start_s": server.startup_seconds}
    try:
        results["empty_flow"] = fixed_floor(env, args.rounds)
        for n in sizes:
            data = synthetic(n, args.seed)
            ours_uri, peer_uri = f"lmdb://{tmp / f'ours_{n}'}", f"lmdb://{tmp / f'peer_{n}'}"
            name = f"bench_{n}"
            start = time.perf_counter()
            parts.fill_project(ours_uri, name, data, not args.no_noise).db.conn.close()
            parts.fill_pastastore(peer_uri, name, data, not args.no_noise)
            print(f"N={n}: stores filled in {time.perf_counter() - start:.0f} s", flush=True)
            peer = peer_command(peer_uri, name, args.workers)
            ours = ours_command(ours_uri, name, args.workers)
            size: dict[str, Any] = {}

            def ours_cli(command: list[str] = ours, n: int = n) -> float:
                seconds, out = timed(command, env)
                if f"{n} of {n} models ok" not in out:
                    raise RuntimeError(f"not every model was solved:\n{out}")
                return seconds

            cluster = start_cluster(args.workers, 1, home)
            try:
                size["warm"] = rounds("warm", n, ours_cli, peer, env, args.rounds)
                if n == args.deployment_n and not args.skip_deployment:
                    size["deployment"] = deployment_rounds(
                        ours_uri, name, n, peer, env, args.rounds, tmp
                    )
            finally:
                cluster.stop()
            stop_cluster(home)
            size["cold"] = rounds("cold", n, ours_cli, peer, env, args.rounds)
            results["sizes"][n] = size
    finally:
        server.stop()
        if not args.keep:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    return results


def report(results: dict[str, Any]) -> dict[str, Any]:
    cells: dict[str, dict[str, str]] = {}
    targets = []
    for n, size in results["sizes"].items():
        for setting in ("warm", "cold", "deployment"):
            if setting not in size:
                continue
            s = size[setting]
            cells[f"{setting}, N={n}"] = {
                column: f"{s[key]['median']:.2f} ({s[key]['min']:.2f}-{s[key]['max']:.2f})"
                for column, key in COLUMNS.items()
            }
            if (setting == "cold" and int(n) != 300) or int(n) not in TARGETS:
                continue  # size 2 shows the fixed costs; it has no target
            limit = 1.0 if setting == "cold" else TARGETS.get(int(n), 1.0)
            ok = s["ratio"]["median"] >= limit
            targets.append((f"{setting} N={n}: pastastore/ours >= {limit}", ok))
    print_table(
        "User level: median (range) of the rounds, seconds",
        list(cells),
        list(COLUMNS),
        lambda row, column: cells[row][column],
    )
    for what, ok in targets:
        print(f"  {'met   ' if ok else 'MISSED'} {what}")
    return {"targets": [{"target": w, "met": ok} for w, ok in targets]}


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(__doc__.split("\n\n")[0], default_n=300, quick_n=60)  # --n: unused
    parser.add_argument("--sizes", default=None, help="comma-separated N (default 100,300,1000)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per setting (3)")
    parser.add_argument("--deployment-n", type=int, default=300)
    parser.add_argument("--skip-deployment", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-noise", action="store_true")
    parser.add_argument("--dir", default=None, help="folder for the stores (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the stores")
    args = finish_args(parser.parse_args(argv))
    if args.sizes is None:
        args.sizes = "30,60" if args.quick else "100,300,1000"
    if args.rounds is None:
        args.rounds = 2 if args.quick else 3
    if args.quick and args.deployment_n == 300:
        args.deployment_n = 60
    warn_if_busy()
    results = run(args)
    results["report"] = report(results)
    results["machine"] = machine_info()
    if args.json:
        write_json(args.json, results, args)
    else:
        print(json.dumps(results["report"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
