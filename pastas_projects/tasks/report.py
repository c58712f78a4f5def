"""A run's HTML report, written on a warm cluster's worker after the run has ended.

Rendering the report (the fit plots of the worst models above all) takes seconds.
A flow run on the warm cluster (``pastas-projects cluster start``) does not wait
for it: the flow writes :func:`pending_page` where its report link points, hands
:func:`write_report_later` to a worker with Dask's ``fire_and_forget``, and ends.
The command returns and the UI shows the run Completed; the page that reloads
itself becomes the report a few seconds later. Without a warm cluster the local
cluster ends with the run, so the flow writes the report itself before it ends.

A plain function, not a Prefect task: it belongs to the run that has ended, and a
task run after the flow run's end would have no run to report to.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from pastas_projects.tasks.report import is_pending, pending_page
>>> page = Path(tempfile.mkdtemp()) / "report.html"
>>> _ = page.write_bytes(pending_page("Solve models"))
>>> is_pending(page)
True

"""

from __future__ import annotations

import html
import logging
import warnings
from pathlib import Path

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.plotting.report import write_atomic
from pastas_projects.tasks._common import pipeline_project

logger = logging.getLogger("pastas_projects.tasks")

PENDING_MARK = "<!-- pastas-projects: report pending -->"
"""First line of a placeholder page: the report is still being written."""


def pending_page(title: str) -> bytes:
    """A page that says the report is being written and reloads every 2 seconds."""
    name = html.escape(title.lower())
    return (
        f"{PENDING_MARK}\n<!doctype html><html><head><meta charset='utf-8'>"
        "<meta http-equiv='refresh' content='2'>"
        f"<title>{name}: report</title></head><body style='font-family:sans-serif'>"
        f"<p>The report of this {name} run is being written. This page reloads by "
        "itself.</p></body></html>\n"
    ).encode()


def is_pending(path: str | Path) -> bool:
    """Whether ``path`` still holds the placeholder of :func:`pending_page`."""
    try:
        with open(path, encoding="utf-8") as file:
            return file.readline().strip() == PENDING_MARK
    except FileNotFoundError:
        return False


def write_report_later(block: PastasStoreBlock, path: str, statistic: str) -> str:
    """On a worker: write the report over its placeholder; a failure becomes the page.

    Parameters
    ----------
    block : PastasStoreBlock
        The run's store.
    path : str
        The placeholder's path, on this machine.
    statistic : str
        The statistic that ranks the models.

    Returns
    -------
    str
        ``path``.

    """
    try:
        _, project = pipeline_project(block)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # what is left out is noted on the page itself
            project.report(path, statistic)
    except Exception as err:  # noqa: BLE001 - the page says what went wrong
        logger.warning("could not write the report %s: %s: %s", path, type(err).__name__, err)
        text = html.escape(f"{type(err).__name__}: {err}")
        page = f"<!doctype html><html><body><p>The report could not be written: {text}</p>"
        write_atomic(Path(path), f"{page}</body></html>\n".encode())
    return path


__all__ = ["PENDING_MARK", "is_pending", "pending_page", "write_report_later"]
