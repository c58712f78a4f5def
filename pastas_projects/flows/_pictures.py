"""Pictures in the Prefect UI: the statistics map and histogram, and a link to the report.

What Prefect 3.9's UI shows, found by trying it in headless Chromium against a real
server (``tests/test_ui_pictures.py`` keeps checking it):

- Markdown, both of an artifact and of its *description*, may hold images whose
  address is a ``data:image/png;base64`` URL: the V2 UI (Prefect's default at
  ``/``, and at ``/v2/...``) lets ``data:image/`` through its markdown sanitizer.
  The Artifacts tab of a flow run shows each artifact as a card with its
  description rendered, so the pictures artifact carries a small picture of the
  map and the histogram in its description: it shows *in the tab*. The artifact
  itself holds them full size, with the link to the report. The V1 UI (the pages
  under ``/runs/...`` that Prefect's own log links open) shows descriptions as
  text in the tab; there the pictures show on the artifact's page (one click).
- ``create_image_artifact`` needs a URL the browser can load and prints that URL
  under the image, so it is not used for pictures made here.
- On the warm cluster the pictures and the report are made by a worker after the
  run has ended, so the command and the UI's run do not wait for them: the pictures
  artifact joins the run a moment later, and until the report is written its
  address holds a page that reloads itself (``tasks/report.py``).
- A link artifact is a link, and a browser does not open a ``file://`` link from a
  web page. The report of the run is written to a folder
  (``$PASTAS_PROJECTS_REPORTS_DIR``, default ``./pastas_reports`` of the process
  that runs the flow); when that folder is served over HTTP and its address is in
  ``$PASTAS_PROJECTS_REPORTS_URL``, the link opens the report from the UI. Serve it
  with ``pastas-projects report --serve`` (or any web server). Without the URL the
  link is the ``file://`` address, to copy into a browser on the machine itself.

Nothing here may fail a run: a picture that cannot be made is logged and noted.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path
from urllib.parse import quote

from prefect.artifacts import create_link_artifact, create_markdown_artifact

from pastas_projects.flows._common import FlowRun
from pastas_projects.tasks.report import (
    CAPTIONS,
    REPORTS_URL_ENV,
    STATISTIC,
    pictures_description,
    pictures_markdown,
)

REPORTS_DIR_ENV = "PASTAS_PROJECTS_REPORTS_DIR"
"""Folder the flows write their run's HTML report to (``off``: no report)."""
DEFAULT_REPORTS_DIR = "pastas_reports"


def reports_dir() -> Path | None:
    """Folder for the runs' reports (made if missing), or None when switched off."""
    value = os.environ.get(REPORTS_DIR_ENV, DEFAULT_REPORTS_DIR).strip()
    if value.lower() in ("", "off", "none", "0", "false"):
        return None
    folder = Path(value).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def report_link(path: Path) -> str:
    """Address of a report: under ``$PASTAS_PROJECTS_REPORTS_URL`` if set, else ``file://``."""
    base = os.environ.get(REPORTS_URL_ENV, "").strip()
    if base:
        return f"{base.rstrip('/')}/{quote(path.name)}"
    return path.as_uri()


def hand_to_warm_cluster(
    run: FlowRun, title: str, key: str, path: Path | None, link: str | None, served: bool
) -> bool:
    """On the warm cluster: the pictures and the report are made by a worker, later.

    Writes the report's placeholder at ``path`` and hands the rest to a worker with
    Dask's ``fire_and_forget``: the run ends without waiting (``tasks/report.py``
    says why). Returns False, having done nothing, when the run is not on the warm
    cluster.
    """
    if not getattr(run.runner, "warm", False):
        return False
    from distributed import fire_and_forget
    from prefect.runtime import flow_run

    from pastas_projects.tasks.report import LaterWork, pending_page, publish_later

    if path is not None:  # the worker replaces it atomically; nobody else writes it
        path.write_bytes(pending_page(title))
    work = LaterWork(str(flow_run.id), title, key, str(path) if path else None, link, served)
    future = run.runner.client.submit(publish_later, run.block, work, key=f"{key}-{time.time_ns()}")
    fire_and_forget(future)
    run.logger.info("the pictures and the report are being made on the warm cluster")
    return True


def publish_pictures(run: FlowRun, title: str, key_prefix: str) -> dict[str, str]:
    """Write the run's report and publish the pictures and the link as artifacts.

    Parameters
    ----------
    run : FlowRun
        The run.
    title : str
        E.g. ``"Solve models"``.
    key_prefix : str
        Prefix of the artifact keys (made key-safe).

    Returns
    -------
    dict
        ``{"pictures": key, "report": key}`` of the artifacts made, and
        ``report_path`` of the report written.

    """
    from pastas_projects.flows._common import slug

    prefix = slug(key_prefix)
    made: dict[str, str] = {"pictures": f"{prefix}-pictures"}
    link = path = None
    folder = reports_dir()
    if folder is not None:
        path = folder / f"{prefix}-{time.strftime('%Y%m%dT%H%M%S')}.html"
        link = report_link(path)
        made["report_path"] = str(path)
    served = bool(os.environ.get(REPORTS_URL_ENV, "").strip())
    if not hand_to_warm_cluster(run, title, made["pictures"], path, link, served):
        from pastas_projects.plotting import statistic_pictures, write_report

        project = run.block.get_project()
        notes: list[str] = []
        pictures: dict[str, bytes] = {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # what is left out is noted on the page itself
                if path is not None:
                    write_report(project, path, STATISTIC)
                pictures, notes = statistic_pictures(project, STATISTIC)
        except Exception as err:  # noqa: BLE001 - pictures are never worth failing a run
            run.logger.warning(
                "could not make the report or pictures: %s: %s", type(err).__name__, err
            )
            notes.append(f"{type(err).__name__}: {err}")
        create_markdown_artifact(
            pictures_markdown(title, pictures, notes, link, served),
            key=made["pictures"],
            description=pictures_description(title, pictures),
        )
    if link is not None:
        made["report"] = f"{prefix}-report"
        create_link_artifact(
            link,
            link_text=f"Full report: {path.name if path else link}",
            key=made["report"],
            description=f"{title}: the HTML report of the whole store",
        )
        run.logger.info("report: %s", link)
    return made


__all__ = ["CAPTIONS", "REPORTS_URL_ENV", "publish_pictures", "report_link", "reports_dir"]
