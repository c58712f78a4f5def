"""The HTML report in a real headless browser: it loads, every image shows, no errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from browser import Watched, screenshot
from judge_helpers import build

import pastas_projects as pp
from pastas_projects.errors import SkippedItemsWarning


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    project = build(pp.PastasProject("judge", pp.DictConnector("judge")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedItemsWarning)
        return project.report(folder / "report.html", worst=4)


def test_the_report_opens_in_chromium(browser, report, tmp_path):
    watched = Watched(browser)
    page = watched.page
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    images = watched.images()
    assert len(images) >= 8
    broken = [i for i in images if not i["complete"] or i["naturalWidth"] == 0]
    assert not broken, broken
    assert all(i["width"] > 100 for i in images), images  # shown, not collapsed
    assert watched.console_errors == [] and watched.failed_requests == []
    # a page, not a poster: no sideways scrolling at a laptop's width or a phone's
    for width in (1400, 700):
        page.set_viewport_size({"width": width, "height": 1000})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{overflow} px sideways at {width} px"
    page.set_viewport_size({"width": 1400, "height": 1000})
    assert page.title() == "judge: model report"
    headings = page.locator("h2").all_inner_texts()
    assert headings[:2] == ["EVP (%) at a glance", "Checks"]
    assert any(h.startswith("The worst 4") for h in headings)
    assert any(h.startswith("Failures (1)") for h in headings)
    shot = screenshot(page, "report", tmp_path)
    assert shot.exists()
    watched.close()


def test_without_chromium_the_browser_tests_skip_and_say_why(monkeypatch):
    import browser

    monkeypatch.setattr(browser, "chromium_path", lambda: None)
    assert "apt-get install -y chromium" in browser.skip_reason()
    with pytest.raises(pytest.skip.Exception, match="no chromium"):
        with browser.launch(Path("unused")):
            pass


def test_an_empty_store_gets_a_report_too(tmp_path):
    path = pp.PastasProject("empty", pp.DictConnector("empty")).report(tmp_path / "e.html")
    text = path.read_text()
    assert "No models in the store yet." in text and "<img" not in text
