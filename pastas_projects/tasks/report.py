"""A run's pictures and HTML report, made on a warm cluster's worker after the run.

Making them (importing matplotlib and pastas, the map, the histogram, and the fit
plots of the worst models above all) takes seconds that the models' results do not
need. A flow run on the warm cluster (``pastas-projects cluster start``) does not
wait for them: the flow writes :func:`pending_page` where its report link points,
hands :func:`publish_later` to a worker with Dask's ``fire_and_forget``, and ends.
The command returns and the UI shows the run Completed; the pictures artifact joins
the run a moment later, and the page that reloads itself becomes the report. Without
a warm cluster the local cluster ends with the run, so the flow makes both itself
before it ends (``flows/_pictures.py``), with the same markdown (below).

:func:`publish_later` is a plain function, not a Prefect task: it belongs to a run
that has ended, so it adds its artifact to that run by the run's id.

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
from typing import NamedTuple

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.tasks._common import pipeline_project

logger = logging.getLogger("pastas_projects.tasks")

PENDING_MARK = "<!-- pastas-projects: report pending -->"
"""First line of a placeholder page: the report is still being written."""
REPORTS_URL_ENV = "PASTAS_PROJECTS_REPORTS_URL"
"""Address where the reports' folder is served, e.g. ``http://127.0.0.1:8765``."""
STATISTIC = "evp"
"""The statistic the pictures show and the report ranks the models by."""


def _image(png: bytes, caption: str) -> str:
    import base64

    return f"![{caption}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"


def pictures_markdown(
    title: str,
    pictures: dict[str, bytes],
    notes: list[str],
    link: str | None,
    served: bool,
) -> str:
    """Markdown with the pictures inline (``data:`` URLs) and the link to the report."""
    lines = [f"# {title}: fit at a glance", ""]
    if link:
        how = (
            "" if served else f" (a file on the flow's machine; set {REPORTS_URL_ENV} to serve it)"
        )
        lines += [f"**[Open the full report]({link})**{how}", ""]
    for key in ("map", "histogram"):
        if key in pictures:
            lines += [_image(pictures[key], CAPTIONS[key]), "", f"_{CAPTIONS[key]}_", ""]
    if notes:
        lines += ["**Left out:**", ""] + [f"- {n}" for n in notes[:10]] + [""]
    return "\n".join(lines)


def pictures_description(title: str, pictures: dict[str, bytes]) -> str:
    """The artifact's description: what the Artifacts tab shows on its card."""
    text = f"{title}: {CAPTIONS['glance']}"
    if "glance" in pictures:
        text += "\n\n" + _image(pictures["glance"], CAPTIONS["glance"])
    return text


CAPTIONS = {
    "map": "EVP (%) of each solved model at its oseries",
    "histogram": "EVP (%): histogram and cumulative histogram",
    "glance": "map and histogram of the fit (EVP %)",
}


class LaterWork(NamedTuple):
    """What :func:`publish_later` makes for an ended flow run."""

    flow_run_id: str
    title: str
    key: str
    """Key of the pictures artifact."""
    path: str | None
    """The report's placeholder (None: no report)."""
    link: str | None
    served: bool


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
    from pastas_projects.plotting.report import write_atomic

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


def publish_later(block: PastasStoreBlock, work: LaterWork) -> None:
    """On a worker: the pictures artifact of an ended run, then its report.

    Nothing here raises: what cannot be made is logged, noted in the artifact, and
    the report's page says what went wrong.
    """
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import ArtifactCreate

    from pastas_projects.plotting import statistic_pictures

    pictures: dict[str, bytes] = {}
    notes: list[str] = []
    try:
        _, project = pipeline_project(block)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # what is left out is noted on the page itself
            pictures, notes = statistic_pictures(project, STATISTIC)
    except Exception as err:  # noqa: BLE001 - pictures are never worth an error
        logger.warning("could not make the pictures: %s: %s", type(err).__name__, err)
        notes.append(f"{type(err).__name__}: {err}")
    artifact = ArtifactCreate(
        type="markdown",
        key=work.key,
        description=pictures_description(work.title, pictures),
        flow_run_id=UUID(work.flow_run_id),
        data=pictures_markdown(work.title, pictures, notes, work.link, work.served),
    )
    try:
        with get_client(sync_client=True) as client:
            client.create_artifact(artifact)
    except Exception as err:  # noqa: BLE001 - the report still gets written
        logger.warning("could not publish the pictures: %s: %s", type(err).__name__, err)
    if work.path is not None:
        write_report_later(block, work.path, STATISTIC)


__all__ = [
    "CAPTIONS",
    "PENDING_MARK",
    "REPORTS_URL_ENV",
    "STATISTIC",
    "LaterWork",
    "is_pending",
    "pending_page",
    "pictures_description",
    "pictures_markdown",
    "publish_later",
    "write_report_later",
]
