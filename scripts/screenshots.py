"""Screenshots of the report's brief, so the next reader sees what a user sees.

Usage: python scripts/screenshots.py REPORT.html [REPORT.pdf] [--out docs/screenshots]

Captures the brief's first screen at 1440x900 and on a 390x844 phone (system Chromium, the
network blocked) and the PDF's first two pages (pdftoppm). Make the report with
`gaplens demo --out DIR` (its reality-report.html) and `gaplens report ... --format pdf`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser import CHROMIUM, CHROMIUM_ARGS

VIEWPORTS = {"desktop-1440x900": (1440, 900), "phone-390x844": (390, 844)}


def shoot_html(html: Path, out: Path, name: str) -> list[Path]:
    """The first screen of the HTML report at each viewport."""
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for label, (width, height) in VIEWPORTS.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith("file://") else route.abort()
                ),
            )
            page.goto(html.resolve().as_uri())
            target = out / f"{name}-{label}.png"
            page.screenshot(path=str(target))
            written.append(target)
            page.close()
        browser.close()
    return written


def shoot_pdf(pdf: Path, out: Path, name: str) -> list[Path]:
    """The PDF's first two pages as PNG (the brief is at most two pages)."""
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm (poppler-utils) is required for the PDF pages")
    prefix = out / f"{name}-pdf-page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf), str(prefix)], check=True
    )
    return sorted(out.glob(f"{name}-pdf-page-*.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path)
    parser.add_argument("pdf", type=Path, nargs="?")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--name", default="brief")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    written = shoot_html(args.html, args.out, args.name)
    if args.pdf is not None:
        written += shoot_pdf(args.pdf, args.out, args.name)
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
