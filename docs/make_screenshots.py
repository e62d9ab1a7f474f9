"""Screenshots of the playground for the README: start app.py, click the long example, capture desktop and phone
widths."""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from common import ROOT, running_app  # noqa: E402


def main():
    with running_app() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        for name, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
            page = browser.new_page(viewport=viewport)
            page.goto(url)
            page.get_by_text("I went in knowing nothing", exact=False).first.click()
            page.locator(".review", has_text="I went in knowing nothing").wait_for(timeout=30_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(ROOT / "docs" / f"screenshot-{name}.png"), full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
