"""Set-up of a Dask worker that runs the batch tasks: a Dask preload module.

Importing it imports the tasks (pastas, Prefect, the connectors), so the worker pays
for that while the cluster starts, not in its first batch. :func:`dask_setup` then
freezes the garbage collector's view of everything imported (:func:`gc.freeze`).

Why freeze: a worker holds ~340,000 objects after these imports, and one full
garbage collection of them takes ~0.3 s. Python runs several at interpreter exit,
so each worker process took ~1.5 s to exit after Dask had closed it, and a flow run
waited that long for its local cluster to stop (measured: 1.5-1.8 s to close a
2-worker cluster, 0.14 s with frozen workers). Frozen objects are modules, classes
and other import-time objects that live as long as the process anyway.

The flows' local clusters preload this module (see
:data:`pastas_projects.flows.cluster.PRELOAD`); workers of an existing cluster can
too, e.g. ``dask worker tcp://host:8786 --preload pastas_projects.tasks.worker_setup``.
"""

from __future__ import annotations

import gc
from typing import Any

import pastas_projects.tasks  # noqa: F401  (the point: import it while the worker starts)


def dask_setup(worker: Any) -> None:
    """Called by Dask once the worker has imported this module: freeze the heap.

    Parameters
    ----------
    worker : distributed.Worker
        The worker being set up (unused).

    """
    gc.collect()
    gc.freeze()
