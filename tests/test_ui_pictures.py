"""Pictures in the Prefect UI: a calibrate run seen in headless chromium on a real server.

The run's Artifacts tab must show the map and histogram of the fit inline, the
pictures artifact must hold them full size with a link to the run's report, and that
link must open the report when the reports folder is served as the docs say
(``pastas-projects report --serve``). Screenshots go to ``test-output/``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser import Watched, screenshot
from flow_helpers import data_with_a_failure, lmdb_block
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from pastas_projects.flows import calibrate_flow
from pastas_projects.flows._artifacts import checks_markdown, failed_checks, same_columns
from pastas_projects.flows._pictures import (
    CAPTIONS,
    REPORTS_DIR_ENV,
    REPORTS_URL_ENV,
    pictures_markdown,
    report_link,
    reports_dir,
)

PASTAS_PROJECTS = str(Path(sys.executable).with_name("pastas-projects"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def artifacts_of(flow_run_id: str) -> dict:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {a.key: a for a in found if a.key}


# ---------------------------------------------------------------------- no server needed
def test_where_reports_go_and_how_they_are_linked(tmp_path, monkeypatch):
    monkeypatch.setenv(REPORTS_DIR_ENV, str(tmp_path / "reports"))
    assert reports_dir() == tmp_path / "reports" and (tmp_path / "reports").is_dir()
    monkeypatch.setenv(REPORTS_DIR_ENV, "off")
    assert reports_dir() is None
    page = tmp_path / "run 1.html"
    monkeypatch.delenv(REPORTS_URL_ENV, raising=False)
    assert report_link(page) == page.as_uri()
    text = pictures_markdown("Solve", {"map": b"png"}, ["1 model left out"], page.as_uri(), False)
    assert "a file on the flow's machine" in text and "(data:image/png;base64,cG5n)" in text
    monkeypatch.setenv(REPORTS_URL_ENV, "http://127.0.0.1:8765/")
    assert report_link(page) == "http://127.0.0.1:8765/run%201.html"


def test_the_checks_in_the_tables_and_the_summary():
    stats = [
        {"name": "a", "status": "solved", "evp": 91.0, "checks": "pass", "rsq>=0.7": True},
        {"name": "b", "status": "solved", "evp": 40.0, "checks": "fail", "rsq>=0.7": False,
         "runs_test (p > α)": False},
        {"name": "c", "status": "built", "evp": None, "checks": None},
    ]  # fmt: skip
    assert failed_checks(stats) == [
        {"name": "b", "failed": 2, "checks failed": "rsq>=0.7; runs_test (p > α)", "evp": 40.0}
    ]
    rows = same_columns(stats)
    assert [list(r) for r in rows] == [list(rows[0])] * 3 and rows[2]["rsq>=0.7"] is None
    assert "## Checks: 50% pass" in checks_markdown(stats) and "**1 of 2**" in checks_markdown(
        stats
    )
    assert "no model of this run has stored checks" in checks_markdown(stats[2:])


# ---------------------------------------------------------------------- the UI
@pytest.mark.slow
def test_the_prefect_ui_shows_the_pictures(
    prefect_api_url, shared_cluster, tmp_path, monkeypatch, request
):
    reports = tmp_path / "reports"
    reports.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv(REPORTS_DIR_ENV, str(reports))
    monkeypatch.setenv(REPORTS_URL_ENV, base)
    block = lmdb_block(tmp_path)
    summary = calibrate_flow(block, data=data_with_a_failure(), cluster_address=shared_cluster)
    keys = summary["artifacts"]
    report = Path(keys["report_path"])
    assert report.parent == reports and report.stat().st_size > 50_000

    # the tables: check columns, the pass rate, the models that failed a check
    artifacts = artifacts_of(summary["flow_run_id"])
    stats = json.loads(artifacts[keys["fit-statistics"]].data)
    assert {"checks", "rsq>=0.7", "runs_test (p > α)"} <= set(stats[0])
    assert len({tuple(r) for r in stats}) == 1  # every row has the same columns
    failed = json.loads(artifacts[keys["checks"]].data)
    assert {r["name"] for r in failed} == {r["name"] for r in stats if r["checks"] == "fail"}
    assert all(r["checks failed"] for r in failed)
    assert "% pass" in artifacts[keys["summary"]].data
    pictures = artifacts[keys["pictures"]]
    assert "data:image/png;base64," in pictures.description
    assert f"({base}/{report.name})" in pictures.data
    assert artifacts[keys["report"]].data.endswith(f"({base}/{report.name})")

    # serve the reports folder as the docs say (this also writes an index report)
    server = subprocess.Popen(
        [PASTAS_PROJECTS, "report", "--store", block.uri, "--name", block.connector_name]
        + ["--out", str(reports / "index.html"), "--serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(f"{base}/index.html")
        look(request.getfixturevalue("browser"), prefect_api_url, summary, pictures, tmp_path)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert f"Serving {reports}" in output, output


def look(browser, api_url: str, summary: dict, pictures, tmp_path: Path) -> None:
    ui = api_url.rstrip("/").removesuffix("/api")
    watched = Watched(browser)
    page = watched.page

    # the flow run's page, Artifacts tab (V2 UI, Prefect's default): pictures inline
    page.goto(f"{ui}/v2/runs/flow-run/{summary['flow_run_id']}")
    page.get_by_role("tab", name="Artifacts").click()
    thumbnail = page.get_by_alt_text(CAPTIONS["glance"])
    thumbnail.wait_for(state="visible", timeout=30_000)
    assert thumbnail.evaluate("i => i.complete && i.naturalWidth") > 0
    box = thumbnail.bounding_box()
    assert box["width"] > 200 and box["height"] > 80, box
    card = page.locator("a", has=thumbnail)
    assert pictures.key in card.inner_text()
    screenshot(page, "prefect-artifacts-tab", tmp_path)

    # the pictures artifact: map and histogram full size, and the link to the report
    page.goto(f"{ui}/v2/artifacts/artifact/{pictures.id}")
    for caption in (CAPTIONS["map"], CAPTIONS["histogram"]):
        image = page.get_by_alt_text(caption, exact=True)
        image.wait_for(state="visible", timeout=30_000)
        assert image.evaluate("i => i.naturalWidth") > 400
    link = page.get_by_role("link", name="Open the full report")
    href = link.get_attribute("href")
    screenshot(page, "prefect-pictures-artifact", tmp_path)

    # the link opens the report, served over HTTP: every image loads, no errors
    report = Watched(browser)
    report.page.goto(href)
    report.page.wait_for_load_state("load")
    images = report.images()
    assert len(images) >= 6 and all(i["naturalWidth"] > 0 for i in images), images
    assert report.console_errors == [] and report.failed_requests == []
    screenshot(report.page, "prefect-linked-report", tmp_path, full_page=False)
    report.close()
    watched.close()
