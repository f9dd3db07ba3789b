"""Screenshots of what users see, for docs/screenshots/: the demo, served, in Chromium.

    .venv/bin/python scripts/screenshots.py            # every shot, pages and reports
    .venv/bin/python scripts/screenshots.py survey-phone

Runs the real demo (`gaplens demo`, 2,000 people: imports, releases, reports) into a
temporary folder, serves it with uvicorn on a loopback port and saves one PNG per entry of
SHOTS, the first screen only (not the whole page), reduced to a 128-colour palette so the
files stay small enough to commit. To add a page, add a Shot: its name, a function from the
demo's result to the path to open, the viewport, and optionally whether to sign in as the
demo's leader first (the dashboard with its team heatmap, /metrics and /trend are shot at
1440x900 and on a phone) and what to do on the page before the picture (fill a form, click).
The reports the demo writes (the organisation's and Support's) are shot too: the brief's
first screen at 1440x900 and on a 390x844 phone (REPORTS), and the PDF's first two pages
(pdftoppm), since the brief is at most two pages.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from PIL import Image
from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's gaplens (a worktree), not the installed one

from gaplens.demo.pipeline import DemoResult, run_demo  # noqa: E402
from gaplens.web.app import create_app  # noqa: E402
from gaplens.web.settings import WebSettings  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
CHROMIUM = "/usr/bin/chromium"  # the system browser, as the tests use it (tests/browser.py)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class Shot:
    name: str
    path: Callable[[DemoResult], str]
    viewport: dict[str, int]
    signed_in: bool = False
    before: Callable[[Any], None] | None = None
    """Runs on the page once it has loaded, e.g. to send a form and land on what follows."""


def send_survey(page: Any) -> None:
    page.get_by_label("Individual contributor").check()
    page.get_by_label("Some gains").check()
    page.get_by_role("button", name="Send my answers anonymously").click()
    page.get_by_role("heading", name="Thank you — your answers are in").wait_for()


def fixed(path: str) -> Callable[[DemoResult], str]:
    """A staff page's path, the same for every demo."""
    return lambda demo: path


def scroll_to(heading_id: str) -> Callable[[Any], None]:
    """Brings a section's heading to the top of the screen, for a part below the fold."""

    def before(page: Any) -> None:
        page.evaluate(f"document.getElementById({heading_id!r}).scrollIntoView()")

    return before


SHOTS: list[Shot] = [
    Shot("survey-phone", lambda demo: demo.open_link, PHONE),
    Shot("survey-thanks-phone", lambda demo: demo.open_link, PHONE, before=send_survey),
    Shot("task-map-phone", lambda demo: demo.task_link + "?function=Support", PHONE),
    *(
        Shot(f"{name}-{size}", fixed(path), viewport, signed_in=True, before=b)
        for name, path, b in (
            ("dashboard", "/dashboard", None),
            ("heatmap", "/dashboard", scroll_to("h-heatmap")),
            ("metrics", "/metrics", None),
            ("trend", "/trend", None),
        )
        for size, viewport in (("desktop-1440x900", DESKTOP), ("phone-390x844", PHONE))
    ),
]


REPORTS = {"brief": "reality-report", "brief-support": "reality-report-support-2026-q3"}
"""Shot name -> the report file the demo writes (without its extension)."""
REPORT_VIEWPORTS = {"desktop-1440x900": DESKTOP, "phone-390x844": PHONE}


def serve(url: str) -> tuple[uvicorn.Server, threading.Thread, str]:
    """The app on a free loopback port, started in a thread."""
    app = create_app(WebSettings(database_url=url, secure_cookies=False, slack_signing_secret=None))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the web server did not start within 30 s")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


def sign_in(page: Any, origin: str, demo: DemoResult) -> None:
    page.goto(origin + "/login")
    page.locator("#email").fill(demo.staff_email)
    page.locator("#password").fill(demo.staff_password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(origin + "/dashboard")


def optimise(path: Path) -> None:
    """A 128-colour palette: text and flat colours survive, the file shrinks about 3x."""
    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    reduced.save(path, optimize=True)


def kept(target: Path) -> None:
    """Shrink a saved PNG (`optimise`) and say where it is and how large."""
    optimise(target)
    print(f"{target.relative_to(OUT.parents[1])}: {target.stat().st_size:,} bytes")


def save(page: Any, target: Path) -> None:
    """The page's first screen as a PNG in docs/screenshots, shrunk."""
    page.screenshot(path=str(target))
    kept(target)


def take(shots: list[Shot], demo: DemoResult, origin: str) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for shot in shots:
                page = browser.new_context(viewport=shot.viewport).new_page()
                if shot.signed_in:
                    sign_in(page, origin, demo)
                page.goto(origin + shot.path(demo))
                if shot.before is not None:
                    shot.before(page)
                save(page, OUT / f"{shot.name}.png")
                page.context.close()
        finally:
            browser.close()


def take_reports(folder: Path, names: list[str]) -> None:
    """The brief's first screen at each viewport (the file opened offline, the network
    blocked) and the organisation's PDF's first two pages."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name, stem in REPORTS.items():
                if names and name not in names:
                    continue
                for label, viewport in REPORT_VIEWPORTS.items():
                    page = browser.new_context(viewport=viewport).new_page()
                    page.route(
                        "**/*",
                        lambda route: (
                            route.continue_()
                            if route.request.url.startswith("file://")
                            else route.abort()
                        ),
                    )
                    page.goto((folder / f"{stem}.html").resolve().as_uri())
                    save(page, OUT / f"{name}-{label}.png")
                    page.context.close()
        finally:
            browser.close()
    pdf = folder / "reality-report.pdf"
    if (not names or "brief" in names) and pdf.exists() and shutil.which("pdftoppm"):
        prefix = OUT / "brief-pdf-page"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf), str(prefix)],
            check=True,
        )
        for target in sorted(OUT.glob("brief-pdf-page-*.png")):
            kept(target)


def main(names: list[str]) -> int:
    unknown = set(names) - {shot.name for shot in SHOTS} - set(REPORTS)
    if unknown:
        known = ", ".join([*(shot.name for shot in SHOTS), *REPORTS])
        print(f"error: no shot named {', '.join(sorted(unknown))} (known: {known})")
        return 2
    shots = [shot for shot in SHOTS if not names or shot.name in names]
    with tempfile.TemporaryDirectory(prefix="gaplens-screens-") as folder:
        demo = run_demo(2000, 1, Path(folder), None, Console(stderr=True))  # `gaplens demo`
        server, thread, origin = serve(demo.database_url)
        try:
            take(shots, demo, origin)
            take_reports(Path(folder), names)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
