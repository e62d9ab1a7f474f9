"""Screenshots of the playground for the README: start app.py, click the long example, drop a word by clicking it,
open the hidden units, and capture desktop and phone widths; then the file tab with 200 reviews scored."""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from common import ROOT, running_app  # noqa: E402
from load import review_file  # noqa: E402


def main():
    with running_app() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        for name, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
            page = browser.new_page(viewport=viewport)
            page.goto(url)
            page.get_by_text("I went in knowing nothing", exact=False).first.click()
            page.locator(".review", has_text="I went in knowing nothing").wait_for(timeout=30_000)
            page.locator("#highlighted .review .tok", has_text="Highly").click()  # the what-if, by a click
            page.locator(".whatif").wait_for(timeout=30_000)
            page.get_by_text("Hidden units: what single LSTM units track").click()
            page.locator("svg.heatmap").wait_for(timeout=30_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(ROOT / "docs" / f"screenshot-{name}.png"), full_page=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.get_by_role("tab", name="Score a file").click()
        with tempfile.TemporaryDirectory() as folder:
            page.locator("input[type=file][accept='.txt, .csv']").set_input_files(str(review_file(Path(folder), 200)))
            page.locator("a[download='reviews-200.txt']").wait_for(timeout=30_000)
            page.get_by_role("button", name="Score the file").click()
            page.get_by_text("Scored 200 reviews", exact=False).wait_for(timeout=120_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(ROOT / "docs" / "screenshot-file.png"), full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
