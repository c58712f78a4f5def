"""A real headless browser for the tests: Debian's chromium, driven by playwright.

Playwright's own browser download cannot work on machines without internet, so the
tests drive the system chromium (``apt-get install -y chromium``; ``make test``
installs it) through ``executable_path``. When it, or the playwright package, is
missing, the browser tests skip and say why.

Screenshots go to the test's tmp folder and to ``test-output/`` (git-ignored), so a
person can look at the pages the tests saw.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "test-output"
CANDIDATES = ("chromium", "chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The system chromium, if installed."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def skip_reason() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "python playwright is not installed (it is in the test extra: pip install -e .[test])"
        )
    if chromium_path() is None:
        return (
            "no chromium on this machine: `apt-get install -y chromium` (make test installs it "
            "when it runs as root)"
        )
    return None


@contextlib.contextmanager
def launch(profile: Path) -> Iterator[Any]:
    """A browser context of headless chromium with a fresh profile in ``profile``."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium_path(),
            args=ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


class Watched:
    """A page with its console errors, uncaught errors and failed requests recorded."""

    def __init__(self, context: Any) -> None:
        self.page = context.new_page()
        self.console_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.page.on(
            "console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.on(
            "requestfailed", lambda r: self.failed_requests.append(f"{r.url}: {r.failure}")
        )

    def images(self) -> list[dict]:
        """Every ``<img>``: alt, whether loaded, natural and shown width, visible."""
        return self.page.evaluate(
            """() => Array.from(document.images).map(i => ({
                alt: i.alt, complete: i.complete, naturalWidth: i.naturalWidth,
                width: i.getBoundingClientRect().width,
                src: (i.getAttribute('src') || '').slice(0, 30)}))"""
        )

    def close(self) -> None:
        self.page.close()


def screenshot(page: Any, name: str, tmp_path: Path, full_page: bool = True) -> Path:
    """Save a PNG of the page in ``tmp_path`` and in ``test-output/``; return the latter."""
    OUTPUT.mkdir(exist_ok=True)
    first = tmp_path / f"{name}.png"
    page.screenshot(path=str(first), full_page=full_page)
    kept = OUTPUT / f"{name}.png"
    shutil.copyfile(first, kept)
    assert kept.stat().st_size > 10_000, f"{name}: the screenshot is (nearly) empty"
    return kept
