import hashlib
import json

import numpy as np
import pytest
import torch
from torch.nn import functional as F

import train
from conftest import NEG, POS
from sentiment import load_model
from sentiment.adversarial import adversarial_objective
from sentiment.batching import collate
from sentiment.config import AdversarialConfig, preset
from sentiment.corpus import load_corpus
from sentiment.distill import load_teachers, mean_probability, run_targets, soft_targets
from sentiment.errors import SettingsError
from test_adversarial import small_model


def test_the_distillation_term_is_the_cross_entropy_against_the_teachers_probabilities():
    model = small_model()
    b = collate([[3, 4, 5], [6, 7]], [1.0, 0.0], [0, 1], 1)
    b.unlabelled = collate([[8, 9, 10, 11], [12], [13, 14]], [0.9, 0.2, 0.5], [0, 1, 2], 1)
    step = adversarial_objective(AdversarialConfig(unlabelled_batch_size=3), distill_weight=0.7)(model, b)
    with torch.no_grad():
        labelled = F.binary_cross_entropy_with_logits(model(b.ids, b.lengths), b.labels, reduction="sum")
        u = model(b.unlabelled.ids, b.unlabelled.lengths)
        p = b.unlabelled.labels
        soft = -(p * F.logsigmoid(u) + (1 - p) * F.logsigmoid(-u)).sum()
    # per unlabelled review, in units of the labelled batch's mean: 3 unlabelled reviews weigh as 2 labelled ones
    assert step.loss_sum.item() == pytest.approx((labelled + 0.7 * soft * 2 / 3).item(), rel=1e-5)
    assert step.predictions == 2  # accuracy counts the labelled reviews only


def test_an_ensemble_predicts_the_mean_of_its_probabilities():
    got = mean_probability([np.array([0.0, 2.0, -40.0]), np.array([np.log(3), -2.0, -40.0])])
    assert np.allclose(got, [(0.5 + 0.75) / 2, 0.5, 0.0], atol=1e-6)


def test_soft_targets_are_the_teachers_probabilities_on_the_unlabelled_reviews(tiny_model_dir, imdb_dir, tmp_path):
    """The corpus path (each teacher through its own vocabulary and truncation) gives the probability the
    classifier gives the raw text; two copies of a teacher give its own probabilities."""
    clf = load_model(tiny_model_dir)
    corpus = load_corpus(imdb_dir, tmp_path / "cache", splits=("train", "test", "unsup"))
    targets = soft_targets([clf, clf], corpus, "unsup", torch.device("cpu"), log=lambda *a: None)
    expected = clf.predict_proba(POS[3:] + NEG[3:])  # conftest's unlabelled reviews
    assert sorted(targets) == pytest.approx(sorted(expected), abs=1e-5)
    assert len(set(np.round(targets, 4))) > 1  # not one value for all


def test_a_resumed_run_reads_the_targets_it_started_with(tiny_model_dir, imdb_dir, tmp_path):
    clf = load_model(tiny_model_dir)
    corpus = load_corpus(imdb_dir, tmp_path / "cache", splits=("train", "test", "unsup"))
    said = []
    first = run_targets([clf], corpus, tmp_path / "states", False, torch.device("cpu"), log=said.append)
    with torch.no_grad():  # other teachers now: a resumed run must not see them, a new run must
        clf.model.fc.bias += 3.0
    again = run_targets([clf], corpus, tmp_path / "states", True, torch.device("cpu"), log=said.append)
    assert np.array_equal(first, again) and "read from" in said[-1]
    anew = run_targets([clf], corpus, tmp_path / "states", False, torch.device("cpu"), log=said.append)
    assert (anew > first).all() and "labelled" in said[-1]


def test_a_teacher_of_another_validation_split_is_refused(tiny_model_dir):
    """tiny_model_dir was trained with the seed preset (split by review, seed 123)."""
    same = preset("seed", seed=5, split_seed=123)
    assert len(load_teachers([str(tiny_model_dir)], same)) == 1
    with pytest.raises(SettingsError, match="validated on another split"):
        load_teachers([str(tiny_model_dir)], preset("seed", seed=5))
    with pytest.raises(SettingsError, match="validated on another split"):
        load_teachers([str(tiny_model_dir)], preset("seed", valid_split="movie"))


def test_distillation_needs_unlabelled_reviews_and_a_readable_teacher(tmp_path, capsys):
    with pytest.raises(SettingsError, match="unlabelled_batch_size"):
        preset("seed", distill={"teachers": ["m"]})
    with pytest.raises(SettingsError, match="give --teacher too"):
        train.config_from_args(train.parse_args(["--distill-weight", "0.5", "--unlabelled-batch-size", "2"]))
    args = ["--data", str(tmp_path / "not-read"), "--cache-dir", str(tmp_path), "--teacher", str(tmp_path / "none"),
            "--unlabelled-batch-size", "2"]
    assert train.main(args) == 2
    assert "No model folder at" in capsys.readouterr().err  # told before the data is read


def test_a_student_trains_against_its_teacher_and_records_it(tiny_model_dir, imdb_dir, glove_txt, tmp_path):
    args = ["--data", str(imdb_dir), "--vectors", str(glove_txt), "--out", str(tmp_path / "student"), "--preset",
            "seed", "--epochs", "1", "--hidden-size", "8", "--batch-size", "4", "--cache-dir", str(tmp_path / "c"),
            "--device", "cpu", "--teacher", str(tiny_model_dir), "--unlabelled-batch-size", "3"]
    assert train.main(args) == 0
    metrics = json.loads((tmp_path / "student" / "metrics.json").read_text())
    assert metrics["config"]["distill"] == {"teachers": [str(tiny_model_dir)], "weight": 1.0}
    weights = hashlib.sha256((tiny_model_dir / "model.safetensors").read_bytes()).hexdigest()
    teacher_test = json.loads((tiny_model_dir / "metrics.json").read_text())["test"]["accuracy"]
    assert metrics["teachers"] == [{"source": str(tiny_model_dir), "sha256": weights, "test_accuracy": teacher_test}]
    card = (tmp_path / "student" / "README.md").read_text()
    assert "Distilled from 1 trained model(s)" in card and f"The teachers' weights: sha256 {weights[:16]}..." in card
    e = load_model(tmp_path / "student").explain("A great film.")
    assert e.bias + sum(e.contributions) == pytest.approx(e.logit, abs=1e-4)
