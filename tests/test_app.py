import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import app
from sentiment import load_model
from sentiment.playground import FLIP_LIMIT
from sentiment.whatif import fewest_to_flip, without

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def clf():
    return load_model()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """`python app.py` in a subprocess on a free loopback port."""
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    env.pop("SENTIMENT_MODEL", None)
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"app.py exited: {proc.stdout.read()}")
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("app.py did not start listening within 90 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_api_returns_probabilities_and_token_scores(server):
    from gradio_client import Client

    client = Client(server, verbose=False)
    out = client.predict("Not bad at all, though the ending drags.", api_name="/predict")
    assert out["label"] in ("positive", "negative") and 0 <= out["probability_positive"] <= 1
    assert len(out["tokens"]) == len(out["contributions"]) == 10
    assert abs(out["bias"] + sum(out["contributions"]) - out["logit"]) < 1e-4
    with pytest.raises(Exception, match="The review is empty: write or paste some text to score."):
        client.predict("", api_name="/predict")  # gr.Error reaches the client as an error with its message
    assert abs(out["state_bias"] + sum(out["state_contributions"]) - out["logit"]) < 1e-4
    label = client.predict(app.EXAMPLES[0], api_name="/analyze")[0]  # an old client's call: the text alone
    assert label["label"] == "positive"
    review = "A wonderful, moving film with a brilliant cast."
    tokens = client.predict(review, api_name="/predict")["tokens"]
    out = client.predict(review, [tokens.index("wonderful")], api_name="/what_if")
    assert out["removed"] == ["wonderful"] and out["text"] == "A, moving film with a brilliant cast."
    assert out["probability_after"] == pytest.approx(client.predict(out["text"], api_name="/predict")
                                                     ["probability_positive"], abs=1e-6)
    with pytest.raises(Exception, match="Token 99 is not in the review"):
        client.predict(review, [99], api_name="/what_if")  # the package's ReviewError, as gr.Error
    flip = client.predict(review, api_name="/flip")
    assert flip["found"] and (flip["probability_after"] >= 0.5) != (flip["probability_before"] >= 0.5)
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/analyze"]
    assert [p["parameter_name"] for p in info["parameters"]] == ["review", "colour_by", "colour_scale", "colours"]
    assert [r["label"] for r in info["returns"]] == ["Verdict", "Which words moved the model",
                                                      "P(positive) after each token", "Hidden units", "Notes"]


needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                    reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")


@contextlib.contextmanager
def browser_page(url: str, **options):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page(**{"viewport": {"width": 1280, "height": 900}, **options})
        page.goto(url)
        yield page
        browser.close()


@needs_chromium
def test_browser_click_example_shows_label_and_highlights(server, tmp_path):
    with browser_page(server) as page:
        page.get_by_text("Two hours I will never get back", exact=False).first.click()
        page.locator(".review", has_text="Two hours").wait_for(timeout=30_000)
        assert page.locator(".review .tok").count() > 20
        page.get_by_text("negative", exact=True).first.wait_for(timeout=10_000)
        assert "towards positive" in page.locator(".legend").first.inner_text()
        assert "Strongest towards negative" in page.locator(".strongest").inner_text()  # numbers without hover
        page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert (tmp_path / "page.png").stat().st_size > 10_000


@needs_chromium
def test_browser_first_visit_views_and_empty_input(server):
    """The first visit shows the example in the box analysed; the curve has whole-number ticks; the States view
    recolours; emptying the box leaves a sentence and no empty chart."""
    with browser_page(server) as page:
        page.locator(".review .tok").first.wait_for(timeout=30_000)  # without any click
        assert "Word scores plus bias terms" in page.locator(".legend").first.inner_text()
        padding = page.eval_on_selector(".review .tok",
                                        "e => getComputedStyle(e).paddingLeft + getComputedStyle(e).paddingRight")
        assert padding == "0px0px"  # "father's" reads as one word, not "father 's"
        ticks = page.locator("svg.curve text[text-anchor=middle]").all_text_contents()
        assert ticks and all(t.isdigit() for t in ticks)
        page.get_by_label("States: each position's share", exact=False).check()
        page.get_by_text("State shares plus bias", exact=False).wait_for(timeout=30_000)
        page.get_by_label("Movie review").fill("")
        page.get_by_text("Type or paste a movie review", exact=False).wait_for(timeout=30_000)
        assert page.locator("svg.curve").count() == 0


@needs_chromium
def test_browser_share_link_reproduces_the_analysis_and_long_reviews_are_refused(server, clf):
    review = "Not bad at all & <b>honest</b>, though the ending drags."
    with browser_page(server) as page:
        page.locator(".review .tok").first.wait_for(timeout=30_000)
        page.get_by_label("Movie review").fill(review)
        page.locator(".review", has_text="though the ending drags").wait_for(timeout=30_000)
        page.get_by_role("button", name="Copy a link to this review").click()
        link_box = page.get_by_label("Link")
        page.wait_for_function("el => el.value.includes('review=')", arg=link_box.element_handle(), timeout=10_000)
        link = link_box.input_value()
        assert link.startswith(server) and "?review=" in link
        page.get_by_label("Movie review").fill("A fine film. " * 700)  # 9,100 characters
        page.get_by_role("button", name="Copy a link to this review").click()
        page.wait_for_function("el => el.value.includes('too long for a link')", arg=link_box.element_handle(),
                               timeout=10_000)
    with browser_page(link) as page:  # a colleague opens the link
        page.locator(".review", has_text="though the ending drags").wait_for(timeout=30_000)
        assert page.get_by_label("Movie review").input_value() == review
        legend = page.locator(".legend").first.inner_text()
        assert f"{clf.predict_proba([review])[0]:.3f}" in legend  # the same probability as the library's


@needs_chromium
def test_browser_colour_blind_palette_changes_colours_not_numbers(server):
    with browser_page(server) as page:
        page.locator(".review .tok").first.wait_for(timeout=30_000)
        titles = page.locator(".review .tok").evaluate_all("els => els.map(e => e.title)")
        page.get_by_label("Blue / orange (colour-blind safe)").check()
        page.locator(".legend .tok[style*='37, 99, 235']").first.wait_for(timeout=30_000)  # blue: towards positive
        assert page.locator(".review .tok").evaluate_all("els => els.map(e => e.title)") == titles
        assert page.locator(".review .tok[style*='220, 38, 38']").count() == 0  # no red left


@needs_chromium
def test_browser_what_if_and_flip_search(server, clf):
    """Dropping a word shows what predict_proba gives for the review without it; the flip search's words, removed,
    do flip the verdict."""
    review = "A wonderful, moving film with a brilliant cast. I loved it."
    e = clf.explain(review)
    with browser_page(server) as page:
        page.locator(".review .tok").first.wait_for(timeout=30_000)
        page.get_by_label("Movie review").fill(review)
        page.locator(".review", has_text="brilliant cast").wait_for(timeout=30_000)
        i = e.tokens.index("wonderful")
        expected = clf.predict_proba([without(e.text, e.spans, [i])])[0]
        page.locator(f"#highlighted .review .tok[data-i='{i}']").click()  # a click on the word drops it
        page.locator(".whatif").wait_for(timeout=30_000)
        assert f"{e.probability:.2f} → {expected:.2f}" in page.locator(".whatif").inner_text()
        assert page.locator("#highlighted .tok.dropped").count() == 1
        page.locator(f"#highlighted .review .tok[data-i='{i}']").click()  # a second click restores it
        page.locator(".whatif").wait_for(state="detached", timeout=30_000)
        assert page.locator("#highlighted .tok.dropped").count() == 0
        page.get_by_label("Words to remove").click()
        page.keyboard.type(f"wonderful ({i + 1})")
        page.keyboard.press("Enter")
        page.locator(".whatif").wait_for(timeout=30_000)
        assert page.locator("#highlighted .tok.dropped").count() == 1  # the pick strikes the word through
        assert f"{e.probability:.2f} → {expected:.2f}" in page.locator(".whatif").inner_text()
        page.get_by_role("button", name="Find the fewest words that flip the verdict").click()
        page.get_by_text("The verdict flips", exact=False).wait_for(timeout=30_000)
        removed = page.locator(".whatif b").all_inner_texts()
    flip = fewest_to_flip(clf, e, limit=FLIP_LIMIT)
    assert removed == [e.tokens[j] for j in sorted(flip.removed)]
    assert (clf.predict_proba([flip.text])[0] >= 0.5) != (e.probability >= 0.5)


def thousand_reviews() -> list[str]:
    """1,000 different reviews, short and long, from the examples' sentences (seeded)."""
    import random

    rng = random.Random(0)
    sentences = [s.strip() + "." for text in app.EXAMPLES for s in text.split(".") if s.strip()]
    return [" ".join(rng.sample(sentences, rng.randint(1, 12))) for _ in range(1000)]


@needs_chromium
def test_browser_file_tab_scores_1000_lines_like_predict_proba(server, clf, tmp_path):
    import csv

    texts = thousand_reviews()
    path = tmp_path / "reviews.txt"
    path.write_text("\n".join(texts), encoding="utf-8")
    with browser_page(server) as page:
        page.get_by_role("tab", name="Score a file").click()
        page.locator("input[type=file][accept='.txt, .csv']").set_input_files(str(path))
        page.locator("a[download='reviews.txt']").wait_for(timeout=30_000)  # uploaded
        page.get_by_role("button", name="Score the file").click()
        page.get_by_text("Scoring", exact=False).first.wait_for(timeout=30_000)  # the progress bar's label
        page.get_by_text("Scored 1,000 reviews", exact=False).wait_for(timeout=300_000)
        assert page.locator("svg.histogram").count() == 1
        assert page.get_by_role("grid", name="Results").inner_text().count("positive") > 0
        with page.expect_download() as download:
            page.locator("a[download*='-scored-']").click()
        rows = list(csv.DictReader(open(download.value.path(), encoding="utf-8")))
    assert [r["text"] for r in rows] == texts and [int(r["line"]) for r in rows] == list(range(1, 1001))
    expected = clf.predict_proba(texts)
    assert max(abs(float(r["p_positive"]) - p) for r, p in zip(rows, expected)) < 1e-6


@needs_chromium
def test_browser_file_tab_bad_file_gets_one_sentence(server, tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("id,stars\n1,5\n")
    with browser_page(server) as page:
        page.get_by_role("tab", name="Score a file").click()
        page.locator("input[type=file][accept='.txt, .csv']").set_input_files(str(path))
        page.locator("a[download='ratings.csv']").wait_for(timeout=30_000)
        page.get_by_role("button", name="Score the file").click()
        page.get_by_text("ratings.csv has no column named text or review", exact=False).wait_for(timeout=30_000)


@needs_chromium
def test_browser_sentence_list_links_to_the_sentence(server):
    with browser_page(server) as page:
        page.get_by_text("I went in knowing nothing", exact=False).first.click()
        page.locator(".sentences a").first.wait_for(timeout=30_000)
        target = page.locator(".sentences a").first.get_attribute("href")
        page.locator(".sentences a").first.click()
        page.wait_for_function("id => document.querySelector('.sentence:target')?.id === id",
                               arg=target.lstrip("#"), timeout=10_000)
        assert page.locator(target).is_visible()


@needs_chromium
def test_browser_faint_tints_show_in_dark_mode(server):
    with browser_page(server + "?__theme=dark", color_scheme="dark") as page:
        page.locator(".review .tok").first.wait_for(timeout=30_000)
        assert page.evaluate("document.body.classList.contains('dark')")
        alphas = page.eval_on_selector_all(
            ".review .tok", "els => els.map(e => getComputedStyle(e).backgroundColor)"
            ".filter(c => c.startsWith('rgba')).map(c => parseFloat(c.split(',')[3]))")
        tinted = [a for a in alphas if a > 0]  # uncoloured tokens compute as rgba(0, 0, 0, 0)
        assert tinted and min(tinted) >= 0.12


def test_unreachable_model_falls_back_to_the_bundled_one(monkeypatch, tmp_path):
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(c, "HF_HUB_CACHE", str(tmp_path))
    logged = []
    clf, notice = app.load_with_fallback(str(tmp_path / "no-such-folder" / "model"), log=logged.append)
    assert clf.source == "bundled model"
    assert notice == ("The model model could not be loaded (the server's log says why), so this page shows the "
                      "bundled model.")  # a folder's name, not the server's path
    clf, notice = app.load_with_fallback("someone/not-cached", log=logged.append)
    assert notice.startswith("The model someone/not-cached could not be loaded")
    page = build_page_text(clf, notice)
    assert "Note:" in page and "### Which words moved the model" in page and "known to misread negation" in page
    assert logged[1].startswith("Cannot reach the Hugging Face Hub") and str(tmp_path) not in notice


def test_a_taken_port_is_one_sentence_naming_the_flag(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert app.launch(app.demo, port=port) == 2
    assert capsys.readouterr().out.strip().endswith("pick another port with --port.")


def build_page_text(clf, notice) -> str:
    """The Markdown blocks of the page, joined (the notice must be one of them)."""
    import gradio as gr

    demo = app.build_demo(clf, notice)
    return " ".join(b.value for b in demo.blocks.values() if isinstance(b, gr.Markdown) and b.value)
