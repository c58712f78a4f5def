"""The Dask cluster the batch tasks run on: a tuned local one, or an existing one.

A local cluster gets settings that measurably matter for many small solves on few
cores: one thread per worker process (pastas/numba code holds the GIL), BLAS and
OpenMP limited to one thread per worker (else every worker starts one thread per
core and they fight), Dask's statistical profiler off (it samples every worker
thread every 10 ms), workers that import pastas and Prefect while the cluster
starts and then freeze their heap so that they exit fast (:data:`PRELOAD`), event
loops that wake up less often (see :data:`QUIET_LOOP_CONFIG`) and a scheduler that
hands out batches only to free workers (:data:`SCHEDULER_CONFIG`).
Workers keep their nanny, which restarts a worker that dies.

Prefect must know its API *before* the workers start: a worker without
``PREFECT_API_URL`` would start its own temporary Prefect server.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from typing import Any

import dask.config
from distributed import LocalCluster
from prefect_dask import DaskTaskRunner

from pastas_projects.prefect_server.api import configured_api_url

WORKER_ENV: dict[str, str] = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}
"""Environment of local workers: one BLAS/OpenMP thread each."""

QUIET_LOOP_CONFIG: dict[str, str] = {
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.tick.cycle": "5s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "500ms",
}
"""Fewer event-loop wake-ups in every Dask server (scheduler, nannies, workers).

Dask checks each event loop's health every 20 ms by default and samples system use
often; each wake-up makes the worker's event-loop thread take the GIL from the
thread solving models. With these settings a worker switches context several times
less often while it solves.
"""


SCHEDULER_CONFIG: dict[str, Any] = {"distributed.scheduler.worker-saturation": 1.0}
"""A local scheduler gives a worker its next batch only when the worker is free.

Dask's default (1.1) lets a one-thread worker hold a second batch while it works on
one; at the end of a run that batch can wait there while another worker idles.
"""


def local_scheduler_config() -> dict[str, Any]:
    """Dask configuration of the process that runs a local cluster's scheduler and nannies."""
    return QUIET_LOOP_CONFIG | SCHEDULER_CONFIG


def nested(dotted: dict[str, Any]) -> dict[str, Any]:
    """A nested configuration dict from dotted keys (``{"a.b": 1}`` -> ``{"a": {"b": 1}}``)."""
    config: dict[str, Any] = {}
    for key, value in dotted.items():
        *parents, leaf = key.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return config


WORKER_CONFIG: dict[str, Any] = dask.config.merge(
    nested(QUIET_LOOP_CONFIG),
    {"distributed": {"worker": {"profile": {"enabled": False, "interval": "1s", "cycle": "60s"}}}},
)
"""Dask configuration of local workers: no statistical profiler, a quiet loop."""

PRELOAD = ["pastas_projects.tasks.worker_setup"]
"""Modules local workers import at start: pastas, Prefect and the tasks, then the
worker freezes its heap (see :mod:`pastas_projects.tasks.worker_setup`)."""

logger = logging.getLogger("pastas_projects.flows")


def numba_cache_dir() -> str:
    """Where local workers keep compiled numba kernels.

    ``$NUMBA_CACHE_DIR`` if set, else ``pastas_projects/numba`` in the user's cache
    folder (``$XDG_CACHE_HOME`` or ``~/.cache``): one folder all local workers reach.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pastas_projects", "numba")


def worker_env() -> dict[str, str]:
    """Environment variables for local workers: thread limits, numba cache, Prefect API."""
    env = dict(WORKER_ENV) | {"NUMBA_CACHE_DIR": numba_cache_dir()}
    url = configured_api_url()
    if url:
        env["PREFECT_API_URL"] = url
    else:
        warnings.warn(
            "PREFECT_API_URL is not set: every Dask worker will start its own temporary "
            "Prefect server (slow, and its task runs are not shown). Start a server first, "
            "e.g. with pastas_projects.prefect_server.ensure_server().",
            RuntimeWarning,
            stacklevel=3,
        )
    return env


def worker_config() -> dict[str, Any]:
    """Dask configuration of this process with :data:`WORKER_CONFIG` merged in.

    A nanny *replaces* top-level sections of the worker configuration by those it
    is given, so the whole configuration must be passed, not just the changes.
    """
    return dask.config.merge(dask.config.config, WORKER_CONFIG)


def local_cluster_kwargs(
    workers: int = 2, threads_per_worker: int = 1, env: bool = True
) -> dict[str, Any]:
    """Keyword arguments of the tuned :class:`distributed.LocalCluster` for pastas work.

    ``env=False`` leaves out the worker environment and configuration (see
    :func:`worker_env` and :func:`worker_config`), which depend on the Prefect API URL
    and the Dask configuration at the time the cluster starts.
    """
    if workers < 1 or threads_per_worker < 1:
        raise ValueError(
            f"workers and threads_per_worker must be >= 1, not {workers}, {threads_per_worker}"
        )
    kwargs = {
        "n_workers": workers,
        "threads_per_worker": threads_per_worker,
        "processes": True,
        "host": "127.0.0.1",
        "dashboard_address": ":0",
        "silence_logs": logging.WARNING,
        "preload": PRELOAD,
    }
    if env:
        kwargs |= {"env": worker_env(), "config": worker_config()}
    return kwargs


class PastasDaskTaskRunner(DaskTaskRunner):
    """A :class:`prefect_dask.DaskTaskRunner` configured by the flow at run time.

    The flows of :mod:`pastas_projects.flows` use it as their task runner and call
    :meth:`configure` with their ``workers``, ``threads_per_worker`` and
    ``cluster_address`` parameters before submitting anything, so a run started from
    the UI or a deployment gets the cluster its parameters ask for. The cluster
    starts on the first submission (and is timed): a run with nothing to do starts
    none. A local cluster is stopped when the flow run ends; an existing cluster
    (``cluster_address``) is left running.

    Parameters
    ----------
    workers : int
        Worker processes of a local cluster.
    threads_per_worker : int
        Threads per worker process (1 is fastest for pastas).
    cluster_address : str, optional
        Scheduler of an existing cluster, e.g. ``tcp://10.0.0.5:8786``.
    follow_parameters : bool
        Let the flow's ``workers``/``threads_per_worker``/``cluster_address``
        parameters configure this runner (the flows' default). A runner a caller
        passes with ``flow.with_options(task_runner=...)`` keeps its own settings.

    Attributes
    ----------
    start_seconds : float
        Time it took to start the local cluster (or connect to an existing one).
    warm : bool
        The cluster is this machine's warm cluster (``pastas-projects cluster
        start``): it outlives the run, on this machine, so work the run hands it
        after the last batch (the pictures and the HTML report) goes on after the
        run ends.

    """

    def __init__(
        self,
        workers: int = 2,
        threads_per_worker: int = 1,
        cluster_address: str | None = None,
        follow_parameters: bool = False,
    ) -> None:
        super().__init__()
        self.follow_parameters = follow_parameters
        self.start_seconds = 0.0
        self._log_level: int | None = None
        self.configure(workers, threads_per_worker, cluster_address)

    def configure(
        self,
        workers: int = 2,
        threads_per_worker: int = 1,
        cluster_address: str | None = None,
        warm: bool = False,
    ) -> PastasDaskTaskRunner:
        """Choose the cluster; only before the first task is submitted.

        ``warm``: ``cluster_address`` is this machine's warm cluster.
        """
        if self._client is not None:
            raise RuntimeError("the Dask cluster of this task runner has started already")
        self.workers, self.threads_per_worker = workers, threads_per_worker
        self.cluster_address = cluster_address
        self.warm = warm and bool(cluster_address)
        if cluster_address:
            self.address = cluster_address
            self.cluster_class = self.resolved_cluster_class = None
            self.cluster_kwargs = {}
        else:
            kwargs = local_cluster_kwargs(workers, threads_per_worker, env=False)
            self.address = None
            self.cluster_class = self.resolved_cluster_class = LocalCluster
            self.cluster_kwargs = kwargs
        return self

    @property
    def client(self) -> Any:
        """The Dask client; starts (and times) the cluster on first use."""
        if self._client is None:
            if self.address is None:
                self.cluster_kwargs |= {"env": worker_env(), "config": worker_config()}
                self._quiet_scheduler_logs()
            started = time.perf_counter()
            # the scheduler and the nannies of a local cluster run in this process
            local = local_scheduler_config() if self.address is None else {}
            with dask.config.set(local):
                client = DaskTaskRunner.client.fget(self)
            self.start_seconds = time.perf_counter() - started
            where = self.address or "a local cluster"
            logger.info("Dask cluster ready in %.1f s (%s)", self.start_seconds, where)
            return client
        return self._client

    def _quiet_scheduler_logs(self) -> None:
        # the local scheduler runs in this process and logs every worker event at INFO;
        # ``silence_logs`` cannot stop that under Prefect's logging configuration
        dask_logger = logging.getLogger("distributed")
        if dask_logger.getEffectiveLevel() < logging.WARNING and self._log_level is None:
            self._log_level = dask_logger.level
            dask_logger.setLevel(logging.WARNING)

    def __exit__(self, *args: Any) -> None:
        try:
            super().__exit__(*args)
        finally:
            if self._log_level is not None:
                logging.getLogger("distributed").setLevel(self._log_level)
                self._log_level = None

    def total_threads(self) -> int:
        """Threads that run tasks at once; starts the cluster if needed."""
        nthreads = self.client.nthreads()
        return max(1, sum(nthreads.values())) if nthreads else self.planned_threads()

    def planned_threads(self) -> int:
        """Threads a local cluster will have (without starting anything)."""
        return self.workers * self.threads_per_worker

    def duplicate(self) -> PastasDaskTaskRunner:
        """A new runner with the same configuration (one per flow run)."""
        return type(self)(
            self.workers, self.threads_per_worker, self.cluster_address, self.follow_parameters
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PastasDaskTaskRunner) and (
            other.workers,
            other.threads_per_worker,
            other.cluster_address,
        ) == (self.workers, self.threads_per_worker, self.cluster_address)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self.cluster_address:
            return f"PastasDaskTaskRunner(cluster_address={self.cluster_address!r})"
        return (
            f"PastasDaskTaskRunner(workers={self.workers}, "
            f"threads_per_worker={self.threads_per_worker})"
        )


def runner_threads(runner: Any, default: int) -> int:
    """Threads a task runner runs tasks on (starts a Dask cluster if needed)."""
    if isinstance(runner, PastasDaskTaskRunner):
        return runner.total_threads()
    if isinstance(runner, DaskTaskRunner):
        return max(1, sum(runner.client.nthreads().values()))
    return int(getattr(runner, "_max_workers", None) or default)
