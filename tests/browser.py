"""A real browser for the tests: Debian's chromium, headless, driven by Playwright (its driver ships in the
wheel; `playwright install` is never run), opening pages served from 127.0.0.1.

    with served(folder) as base, chromium(tmp_path) as browser:
        visit = browser.visit(f"{base}/index.html", screenshot="landscape.png")
        assert visit.offline_ok, visit.problems()

Every request the page makes is recorded; any request to another host is aborted (and recorded), so a page
that works here works offline. Console errors, page errors and failed requests are recorded too. Outside CI a
missing browser skips the test with a message; with CI=true it fails.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
LOCAL_HOSTS = {"127.0.0.1"}
INLINE_SCHEMES = {"data", "blob", "about"}
NAVIGATION_TIMEOUT_MS = 30_000


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def chromium_path() -> str | None:
    """BILATRUS_CHROMIUM, else chromium (Debian's package) or chromium-browser on PATH."""
    configured = os.environ.get("BILATRUS_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    path = chromium_path()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path, what = None, "the playwright package (pip install -e '.[test]')"
    else:
        what = "Debian's chromium (apt-get install -y chromium)"
    if path is None:
        message = f"no browser for the browser tests: install {what}"
        if in_ci():
            pytest.fail(message + " (CI=true: the browser tests must run)")
        pytest.skip(message)
    return path


def artefacts_dir() -> Path:
    """Where screenshots go: BILATRUS_TEST_ARTEFACTS, else <tmp>/bilatrus-test-artefacts."""
    folder = Path(os.environ.get("BILATRUS_TEST_ARTEFACTS") or Path(tempfile.gettempdir()) / "bilatrus-test-artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextlib.contextmanager
def served(folder: Path) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 (a free port) for the duration; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Visit:
    url: str
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    screenshot: Path | None = None

    @property
    def offline_ok(self) -> bool:
        return not (self.blocked or self.failed or self.console_errors or self.page_errors)

    def problems(self) -> str:
        return (
            f"{self.url}: blocked (left 127.0.0.1) {self.blocked}; failed {self.failed}; "
            f"console errors {self.console_errors}; page errors {self.page_errors}"
        )


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in INLINE_SCHEMES or parts.hostname in LOCAL_HOSTS


class Browser:
    """One headless Chromium with a fresh profile; `visit` opens a page in a new tab and records it."""

    def __init__(self, context) -> None:
        self.context = context
        self.page = None

    def visit(self, url: str, *, screenshot: str | None = None, full_page: bool = True) -> Visit:
        record = Visit(url)
        page = self.context.new_page()
        page.set_default_timeout(NAVIGATION_TIMEOUT_MS)
        page.on("request", lambda request: record.requests.append(request.url))
        page.on(
            "requestfailed",
            lambda request: (
                record.failed.append(f"{request.url} ({request.failure})") if is_local(request.url) else None
            ),
        )
        page.on(
            "console", lambda message: record.console_errors.append(message.text) if message.type == "error" else None
        )
        page.on("pageerror", lambda error: record.page_errors.append(str(error)))
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        if screenshot:
            record.screenshot = artefacts_dir() / screenshot
            page.screenshot(path=str(record.screenshot), full_page=full_page)
            print(f"screenshot: {record.screenshot}")
        self.page = page
        return record


def _route(blocked: list[str]):
    def handle(route) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("blockedbyclient")

    return handle


@contextlib.contextmanager
def chromium(profile_parent: Path, *, width: int = 1280, height: int = 900) -> Iterator[Browser]:
    """Start headless Chromium (the project's flags, a fresh --user-data-dir under profile_parent)."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=profile_parent))
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=list(FLAGS),
            viewport={"width": width, "height": height},
            service_workers="block",
        )
        blocked: list[str] = []
        context.route("**/*", _route(blocked))
        browser = Browser(context)
        original = browser.visit

        def visit(url: str, **kwargs) -> Visit:
            before = len(blocked)
            record = original(url, **kwargs)
            record.blocked.extend(blocked[before:])
            return record

        browser.visit = visit  # type: ignore[method-assign]
        try:
            yield browser
        finally:
            context.close()
