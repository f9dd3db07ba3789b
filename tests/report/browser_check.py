"""Open a rendered report in the system Chromium with the network blocked, on a desktop and
a 390 px phone, and report what a reader would hit: requests, dialogs, console errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS


@dataclass
class PageCheck:
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    charts: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Section id -> (width, height) of its first chart on the desktop page."""
    phone_fits: bool = False
    sections: list[str] = field(default_factory=list)


def check_report(html: str, tmp_path: Path, sections: list[str]) -> PageCheck:
    sync_api = pytest.importorskip("playwright.sync_api")
    page_file = tmp_path / "report.html"
    page_file.write_text(html, encoding="utf-8")
    found = PageCheck()

    def on_route(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            found.outside.append(route.request.url)
            route.abort()

    def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
        found.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message) -> None:  # type: ignore[no-untyped-def]
        if message.type == "error":
            found.errors.append(message.text)

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("**/*", on_route)
            for width in (1280, 390):
                page = context.new_page()
                page.on("dialog", on_dialog)
                page.on("console", on_console)
                page.on("pageerror", lambda exc: found.errors.append(str(exc)))
                page.set_viewport_size({"width": width, "height": 844})
                page.goto(page_file.as_uri(), wait_until="load")
                if width == 390:
                    found.phone_fits = bool(
                        page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
                    )
                    continue
                found.sections = page.evaluate(
                    "Array.from(document.querySelectorAll('main > section')).map(s => s.id)"
                )
                for section in sections:
                    svg = page.locator(f"#{section} figure.chart svg").first
                    if svg.count() and svg.is_visible():
                        box = svg.bounding_box()
                        if box is not None:
                            found.charts[section] = (box["width"], box["height"])
        finally:
            browser.close()
    return found
