import shutil

import pytest
import torch

from sentiment import load_model
from sentiment import ModelLoadError
from sentiment.hub import BUNDLED

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
    assert e.bias + sum(e.contributions) == pytest.approx(e.logit, abs=1e-4)  # word relevance
    assert e.state_bias + sum(e.state_contributions) == pytest.approx(e.logit, abs=1e-4)  # state shares
    assert e.bias == pytest.approx(e.state_bias + sum(e.step_bias), abs=1e-6)
    assert len(e.state_contributions) == len(e.step_bias) == len(e.tokens)
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


def test_missing_local_folder_is_not_looked_up_on_the_hub(tmp_path, monkeypatch):
    """`runs/seed` before training: the folder does not exist, which is what the message says."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    with pytest.raises(ModelLoadError, match=r"No model folder at runs/seed: the folder runs exists"):
        load_model("runs/seed")


def test_folder_errors_name_the_cause(tmp_path, tiny_model_dir):
    """A config of another shape names the first tensor that does not fit and both shapes; a config.json that is
    not JSON is reported as such, not as a problem with the weights."""
    import json

    other = tmp_path / "other"
    shutil.copytree(tiny_model_dir, other)
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "hidden_size": config["hidden_size"] * 2}))
    with pytest.raises(ModelLoadError, match=r"holds lstm\.weight_ih_l0 of shape \(64, 100\), but .*asks for "
                                             r"\(128, 100\)"):
        load_model(other)
    (other / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="config.json is not valid JSON"):
        load_model(other)
    (other / "config.json").write_text(json.dumps({**config, "attention": True}))
    with pytest.raises(ModelLoadError, match="unknown settings: attention"):
        load_model(other)


def test_folder_files_are_all_readable_alike(tiny_model_dir):
    modes = {p.name: p.stat().st_mode & 0o777 for p in tiny_model_dir.iterdir() if p.is_file()}
    assert set(modes.values()) == {modes["config.json"]}, modes


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
    expected = load_model(tiny_model_dir).predict_proba(["great film"])[0]
    assert clf.predict_proba(["great film"])[0] == pytest.approx(expected)
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


def test_bundled_model_scores_real_test_reviews_as_its_metrics_say(bundled):
    """1,000 IMDB test reviews drawn with a seed, re-scored through the public API: the accuracy agrees with
    metrics.json's figure on all 25,000 to within three standard errors of a 1,000-review sample."""
    import numpy as np

    from conftest import real_data
    from sentiment.imdb import read_imdb

    reviews = read_imdb(real_data("imdb/aclImdb_v1_noBoW.tar.gz"), splits=("test",))["test"]
    sample = [reviews[i] for i in np.random.default_rng(0).choice(len(reviews), 1000, replace=False)]
    probs = np.array(bundled.predict_proba([r.text for r in sample]))
    accuracy = float(np.mean((probs >= 0.5) == np.array([r.label == 1 for r in sample])))
    expected = bundled.metrics["test"]["accuracy"]
    assert abs(accuracy - expected) <= 3 * (expected * (1 - expected) / 1000) ** 0.5, (accuracy, expected)


def test_a_string_where_a_list_is_expected_is_an_error(bundled):
    with pytest.raises(TypeError, match="list of reviews"):
        bundled.predict_proba("Great")  # not five probabilities, one per letter


def test_progress_is_reported_after_every_batch(bundled):
    """predict's progress bar advances per batch, not per chunk of 16 batches."""
    seqs = [bundled.encode(t) for t in ["Great.", "Awful.", "Fine, I suppose."] * 10]
    done = []
    probs = bundled.probabilities(seqs, batch_size=4, on_batch=done.append)
    assert len(done) == 8 and sum(done) == 30 and len(probs) == 30
