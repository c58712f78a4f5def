"""A local Prefect server on loopback, and the Prefect API this process talks to.

Bulk calibration runs Prefect flows on Dask. Without a Prefect server every Dask
worker would start its own temporary API server, so a real server must run and
``PREFECT_API_URL`` must be set *before* a Dask cluster starts:

>>> from pastas_projects.prefect_server import ensure_server
>>> with ensure_server() as api_url:  # doctest: +SKIP
...     run_my_flow_on_dask()

* :mod:`~.server` starts, finds, ensures and stops servers;
* :mod:`~.local` is the handle on one server process and its state file;
* :mod:`~.api` points this process (and the processes it starts) at an API.
"""

from pastas_projects.prefect_server.api import (
    configured_api_url,
    drain_prefect_workers,
    set_api_url,
)
from pastas_projects.prefect_server.local import LocalServer, is_healthy
from pastas_projects.prefect_server.server import (
    ServerStartError,
    default_home,
    ensure_server,
    free_port,
    server_status,
    start_server,
    stop_server,
)

__all__ = [
    "LocalServer",
    "ServerStartError",
    "configured_api_url",
    "default_home",
    "drain_prefect_workers",
    "ensure_server",
    "free_port",
    "is_healthy",
    "server_status",
    "set_api_url",
    "start_server",
    "stop_server",
]
