"""The Prefect API of this process: which URL it uses, pointing it elsewhere, flushing.

Prefect reads its settings (``PREFECT_API_URL`` among them) when it is imported and
caches them; Dask workers inherit the environment of the process that starts them.
These helpers keep both in step. Starting and stopping a server is
:mod:`pastas_projects.prefect_server.server`.
"""

from __future__ import annotations

import contextlib
import inspect
import os


def configured_api_url() -> str | None:
    """Return the Prefect API URL from the environment or the active Prefect profile."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    from prefect.settings import get_current_settings

    return get_current_settings().api.url or None


def set_api_url(url: str | None) -> None:
    """Point this process and processes started later at the Prefect API ``url``.

    Sets (``None``: removes) ``PREFECT_API_URL`` in :data:`os.environ`, which Dask
    workers and other children inherit, and refreshes the settings Prefect cached
    when it was imported, so flows in this process use ``url`` too.

    Parameters
    ----------
    url : str or None
        API URL, e.g. ``http://127.0.0.1:4200/api``.

    """
    if url is None:
        os.environ.pop("PREFECT_API_URL", None)
    else:
        os.environ["PREFECT_API_URL"] = url
    from prefect.context import refresh_global_settings_context

    refresh_global_settings_context()


def drain_prefect_workers(timeout: float = 10.0) -> None:
    """Send the logs and events Prefect still queues in this process to the API.

    Call before stopping the server, else they are lost with connection errors.
    """
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(Exception):
            result = worker.drain_all(timeout=timeout)
            if inspect.iscoroutine(result):  # inside an event loop: cannot wait here
                result.close()
