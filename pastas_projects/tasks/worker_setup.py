"""Set-up of a Dask worker that runs the batch tasks: a Dask preload module.

Importing it imports the tasks (pastas, Prefect) and the ArcticDB connector, so the
worker pays for that while the cluster starts, not in its first batch.
:func:`dask_setup` then freezes the garbage collector's view of everything imported
(:func:`gc.freeze`).

Why freeze: after these imports a worker holds hundreds of thousands of objects,
and Python runs several full garbage collections of them at interpreter exit. A
worker process then took longer to exit, after Dask had closed it, than the rest of
stopping the cluster, and every flow run waited for that (py-spy showed the time in
``gc_collect_main``). A frozen heap is not collected. Frozen objects are modules, classes
and other import-time objects that live as long as the process anyway.

The flows' local clusters preload this module (see
:data:`pastas_projects.flows.cluster.PRELOAD`); workers of an existing cluster can
too, e.g. ``dask worker tcp://host:8786 --preload pastas_projects.tasks.worker_setup``.
"""

from __future__ import annotations

import gc
from typing import Any

import pastas_projects.connectors.arctic  # noqa: F401  (the point: import while starting)
import pastas_projects.modelling.build  # noqa: F401  (pastas)
import pastas_projects.modelling.solve  # noqa: F401
import pastas_projects.tasks  # noqa: F401


def dask_setup(worker: Any) -> None:
    """Called by Dask once the worker has imported this module.

    Turns on the disk cache of pastas' numba kernels (a kernel another worker
    compiled is loaded, not compiled again: see
    :func:`~pastas_projects.store.pastas_compat.cache_numba_kernels`), then freezes
    the heap.

    Parameters
    ----------
    worker : distributed.Worker
        The worker being set up (unused).

    """
    from pastas_projects.store.pastas_compat import cache_numba_kernels

    cache_numba_kernels()
    gc.collect()
    gc.freeze()
