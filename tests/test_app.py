import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import app
from sentiment import load_model

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def clf():
    return load_model()


def test_empty_input_gets_a_friendly_message(clf):
    label, html, curve, units, note = app.analyze(clf, "   ")
    assert label is None and "Type or paste a movie review" in html and len(curve) == 0
    import gradio as gr

    with pytest.raises(gr.Error, match="The review is empty"):
        app.predict(clf, "")


def test_analyze_outputs(clf):
    label, html, curve, units, note = app.analyze(clf, app.EXAMPLES[3])
    assert set(label) == {"positive", "negative"} and abs(sum(label.values()) - 1) < 1e-9
    assert "logit units" in html
    review = html[html.index('<div class="review">'):]
    assert review.count('class="tok"') == len(clf.explain(app.EXAMPLES[3]).tokens) == len(curve)
    assert list(curve.columns) == ["token #", "P(positive)", "token"] and len(curve) > 5
    assert abs(curve["P(positive)"].iloc[-1] - label["positive"]) < 1e-5
    assert "unit" in units


def test_huge_paste_is_cut_on_the_server_and_says_so_only_then(clf):
    label, html, curve, units, note = app.analyze(clf, "a fine film " * 5000)  # 60,000 characters, as an API call
    assert "Only the first 20,000 characters were analysed" in note and "cut to the" in note
    assert len(html) < 20_000 * 40 and "a fine film" in html
    assert app.predict(clf, "a fine film " * 5000)["truncated"]
    assert "characters" not in app.analyze(clf, "a fine film " * 1000)[4]  # 12,000 characters: nothing was cut


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
    label = client.predict(app.EXAMPLES[0], api_name="/analyze")[0]
    assert label["label"] == "positive"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
def test_browser_click_example_shows_label_and_highlights(server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server)
        page.get_by_text("Two hours I will never get back", exact=False).first.click()
        page.locator(".review .tok").first.wait_for(timeout=30_000)
        assert page.locator(".review .tok").count() > 20
        page.get_by_text("negative", exact=True).first.wait_for(timeout=10_000)
        assert "towards positive" in page.locator(".legend").first.inner_text()
        page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
        browser.close()
    assert (tmp_path / "page.png").stat().st_size > 10_000


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
