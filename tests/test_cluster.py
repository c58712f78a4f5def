"""The tuned local Dask cluster of the flows: its settings reach every process."""

from __future__ import annotations

import dask
import pytest

from pastas_projects.flows import PastasDaskTaskRunner
from pastas_projects.flows.cluster import (
    QUIET_LOOP_CONFIG,
    SCHEDULER_CONFIG,
    WORKER_ENV,
    numba_cache_dir,
)


def _worker_settings() -> dict:
    import gc
    import os
    import sys

    keys = list(QUIET_LOOP_CONFIG) + ["distributed.worker.profile.enabled"]
    return {
        "config": {k: dask.config.get(k) for k in keys},
        "env": {k: os.environ.get(k) for k in WORKER_ENV},
        "numba_cache": os.environ.get("NUMBA_CACHE_DIR"),
        "kernels_cached": _kernels_cached(),
        "frozen": gc.get_freeze_count(),
        "pastas_imported": "pastas" in sys.modules and "prefect" in sys.modules,
    }


def _kernels_cached() -> bool:
    from numba.core.caching import NullCache

    from pastas_projects.store.pastas_compat import numba_kernels

    return not any(isinstance(k._cache, NullCache) for k in numba_kernels().values())


def _scheduler_settings(dask_scheduler) -> dict:
    return {"worker_saturation": dask_scheduler.WORKER_SATURATION}


@pytest.mark.slow
def test_local_cluster_settings_reach_scheduler_and_workers(prefect_api_url):
    changed = list(QUIET_LOOP_CONFIG) + list(SCHEDULER_CONFIG)
    before = {k: dask.config.get(k) for k in changed}
    runner = PastasDaskTaskRunner(workers=2)
    with runner:
        client = runner.client
        assert runner.start_seconds > 0
        assert sum(client.nthreads().values()) == 2 == runner.total_threads()
        on_scheduler = client.run_on_scheduler(_scheduler_settings)
        on_workers = client.run(_worker_settings)
    assert (
        on_scheduler["worker_saturation"]
        == SCHEDULER_CONFIG["distributed.scheduler.worker-saturation"]
    )
    assert len(on_workers) == 2
    for settings in on_workers.values():
        assert settings["config"] == QUIET_LOOP_CONFIG | {
            "distributed.worker.profile.enabled": False
        }
        assert settings["env"] == WORKER_ENV
        # pastas' kernels compiled once are loaded from one folder by every worker
        assert settings["numba_cache"] == numba_cache_dir() and settings["kernels_cached"]
        # the preload imported pastas and Prefect, then froze the heap (fast exit)
        assert settings["pastas_imported"] and settings["frozen"] > 100_000
    # applied to the cluster only: this process keeps its configuration
    assert {k: dask.config.get(k) for k in changed} == before
