import shutil

import pytest
import torch

from sentiment import load_model
from sentiment.hub import BUNDLED, ModelLoadError

REVIEW = "Not bad at all.<br /><br />The acting is great, though the ending drags &amp; the music is awful."


@pytest.fixture(scope="module")
def bundled():
    return load_model()


def test_bundled_model_is_sane(bundled):
    good, bad = bundled.predict_proba(["A wonderful, moving film with a brilliant cast. I loved it.",
                                       "Dull, boring and badly acted. The worst film I have seen this year."])
    assert good > 0.9 and bad < 0.1
    assert bundled.metrics["test"]["accuracy"] >= 0.90


@pytest.mark.parametrize("which", ["bundled", "tiny"])
def test_contributions_add_up_and_spans_line_up(which, bundled, tiny_model_dir):
    clf = bundled if which == "bundled" else load_model(tiny_model_dir)
    e = clf.explain(REVIEW)
    assert e.bias + sum(e.contributions) == pytest.approx(e.logit, abs=1e-4)
    assert e.probability == pytest.approx(torch.sigmoid(torch.tensor(e.logit)).item(), abs=1e-6)
    assert e.reading_curve[-1] == pytest.approx(e.probability, abs=1e-5)
    assert len(e.tokens) == len(e.spans) == len(e.contributions) == len(e.reading_curve)
    for token, (a, b) in zip(e.tokens, e.spans):
        assert REVIEW[a:b].lower() == token or REVIEW[a:b] == "&amp;"
    assert "<br" not in " ".join(e.tokens)
    assert e.units and all(len(u.activations) == len(e.tokens) for u in e.units)
    assert e.probability == pytest.approx(clf.predict_proba([REVIEW])[0], abs=1e-5)


def test_batching_does_not_change_probabilities(bundled):
    texts = ["Great.", REVIEW, "An awful, awful film " * 30, "Fine, I suppose."]
    together = bundled.predict_proba(texts, batch_size=4)
    alone = [bundled.predict_proba([t])[0] for t in texts]
    assert together == pytest.approx(alone, abs=1e-5)


def test_bad_input(bundled):
    for empty in ("", "   \n\t"):
        with pytest.raises(ValueError, match="empty"):
            bundled.explain(empty)
    with pytest.raises(ValueError, match="Review 1: The review is empty"):
        bundled.predict_proba(["fine", ""])
    long = bundled.explain("A great film. " * 2000)
    assert long.truncated and len(long.tokens) <= bundled.config.max_tokens
    assert long.bias + sum(long.contributions) == pytest.approx(long.logit, abs=1e-4)
    foreign = bundled.explain("这部电影非常好看 😀😀")
    assert foreign.unknown_share > 0.5 and 0 <= foreign.probability <= 1
    huge = bundled.explain("x" * 1_000_000)
    assert huge.truncated


def test_loading_errors_name_the_file(tmp_path, tiny_model_dir):
    with pytest.raises(ModelLoadError, match="not a Hub repo id"):
        load_model(tmp_path / "nowhere" / "model")
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model_dir, broken)
    (broken / "model.safetensors").write_bytes(b"\x00" * 100)
    with pytest.raises(ModelLoadError, match="model.safetensors"):
        load_model(broken)
    mixed = tmp_path / "mixed"
    shutil.copytree(tiny_model_dir, mixed)
    shutil.copy(BUNDLED / "vocab.json", mixed / "vocab.json")
    with pytest.raises(ModelLoadError, match="vocab.json"):
        load_model(mixed)
    (mixed / "config.json").unlink()
    with pytest.raises(ModelLoadError, match="no config.json"):
        load_model(mixed)


def test_hub_repo_loads_from_the_cache_offline(tmp_path, tiny_model_dir, monkeypatch):
    """A model in a Hugging Face cache folder laid out as the Hub client lays it out, read with HF_HUB_OFFLINE=1."""
    cache = tmp_path / "hub"
    repo = cache / "models--someone--imdb-bilstm"
    revision = "0123456789abcdef0123456789abcdef01234567"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision)
    shutil.copytree(tiny_model_dir, repo / "snapshots" / revision, ignore=shutil.ignore_patterns("checkpoints"))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as c
    monkeypatch.setattr(c, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(c, "HF_HUB_OFFLINE", True)
    clf = load_model("someone/imdb-bilstm")
    assert clf.predict_proba(["great film"])[0] == pytest.approx(load_model(tiny_model_dir).predict_proba(["great film"])[0])
    with pytest.raises(ModelLoadError, match="Cannot reach the Hugging Face Hub"):
        load_model("someone/not-cached")


@pytest.mark.parametrize("mode", ["head", "tail", "head+tail"])
def test_characters_are_cut_as_tokens_are(tiny_model_dir, mode):
    """A paste longer than max_chars is cut before tokenizing by the same rule as tokens are cut for the model:
    with one-letter words, cutting to 2L characters keeps the words that cutting to L tokens keeps."""
    from dataclasses import replace

    clf = load_model(tiny_model_dir)
    words = [chr(ord("a") + i % 26) for i in range(200)]
    text = " ".join(words)
    clf.config, clf.max_chars = replace(clf.config, max_tokens=0, truncate=mode), 2 * 40
    by_chars = clf.tokenize(text)[0].tokens
    clf.config, clf.max_chars = replace(clf.config, max_tokens=40), 10 ** 6
    by_tokens = clf.tokenize(text)[0].tokens
    assert by_chars == by_tokens and len(by_tokens) == 40
