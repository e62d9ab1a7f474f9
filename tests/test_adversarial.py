import json

import pytest
import torch

import train
from sentiment import checkpoint
from sentiment.adversarial import (adversarial_objective, at_perturbation, bernoulli_kl, per_review_unit,
                                  vat_perturbation)
from sentiment.batching import collate
from sentiment.config import AdversarialConfig, TrainConfig
from sentiment.errors import SettingsError
from sentiment.model import BiLSTMClassifier, ModelConfig


def small_model(normalize: bool = False) -> BiLSTMClassifier:
    torch.manual_seed(0)
    model = BiLSTMClassifier(ModelConfig(vocab_size=30, embedding_dim=6, hidden_size=5, pooling="max+mean",
                                         normalize_embeddings=normalize)).eval()  # eval: no dropout noise
    with torch.no_grad():
        model.fc.weight.mul_(5)
    return model


def batch():
    return collate([[3, 4, 5, 6, 7], [8, 9], [10, 11, 12]], [1.0, 0.0, 1.0], [0, 1, 2], 1)


def test_perturbations_have_norm_epsilon_per_review_and_none_at_padding():
    model, b = small_model(), batch()
    s = model.embed(b.ids)
    for r in (at_perturbation(model, s, b.lengths, b.labels, 0.7),
              vat_perturbation(model, s, b.lengths, model.logits_from_embeddings(s, b.lengths), 0.7, 0.1)):
        assert torch.allclose(r.flatten(1).norm(dim=1), torch.full((3,), 0.7), atol=1e-5)
        assert torch.all(r[1, 2:] == 0) and torch.all(r[2, 3:] == 0)
        assert not r.requires_grad


def test_at_direction_raises_the_loss_more_than_random_ones():
    """To first order no direction of the same norm raises the loss more than the gradient's."""
    model, b = small_model(), batch()
    s = model.embed(b.ids).detach()

    @torch.no_grad()
    def loss(r):
        logits = model.logits_from_embeddings(s + r, b.lengths)
        return float(torch.nn.functional.binary_cross_entropy_with_logits(logits, b.labels, reduction="none")[0])

    r = at_perturbation(model, s, b.lengths, b.labels, 0.05)
    torch.manual_seed(1)
    randoms = [0.05 * per_review_unit(torch.randn_like(s), b.lengths) for _ in range(20)]
    assert loss(r) > max(loss(q) for q in randoms) > loss(torch.zeros_like(s)) - 0.05


def test_at_objective_gives_the_gradients_of_the_loss_written_out():
    """The objective takes the perturbation's gradient from the clean loss's own backward pass; its parameter
    gradients and loss are those of clean loss + loss at s + at_perturbation(s), computed the long way."""
    model, b = small_model(normalize=True), batch()
    model.zero_grad()
    step = adversarial_objective(AdversarialConfig(at_epsilon=0.5))(model, b)
    (step.loss_sum / step.predictions).backward()
    shortcut = {name: p.grad.clone() for name, p in model.named_parameters()}

    model.zero_grad()
    s = model.embed(b.ids)
    r = at_perturbation(model, s, b.lengths, b.labels, 0.5)

    def bce(x):
        return torch.nn.functional.binary_cross_entropy_with_logits(model.logits_from_embeddings(x, b.lengths),
                                                                    b.labels, reduction="sum")

    long_way = bce(s) + bce(s + r)
    (long_way / 3).backward()
    assert step.loss_sum.item() == pytest.approx(long_way.item(), rel=1e-6)
    for name, p in model.named_parameters():
        assert torch.allclose(shortcut[name], p.grad, atol=1e-6), name
    assert float(r.abs().sum()) > 0


def test_vat_finds_a_direction_that_moves_the_prediction_more_than_random_ones():
    model, b = small_model(), batch()
    s = model.embed(b.ids).detach()
    clean = model.logits_from_embeddings(s, b.lengths).detach()

    @torch.no_grad()
    def kl(r):
        return float(bernoulli_kl(clean, model.logits_from_embeddings(s + r, b.lengths)).sum())

    torch.manual_seed(2)
    r = vat_perturbation(model, s, b.lengths, clean, 0.5, 0.1)
    randoms = [0.5 * per_review_unit(torch.randn_like(s), b.lengths) for _ in range(20)]
    assert kl(r) > max(kl(q) for q in randoms) > 0
    assert kl(torch.zeros_like(s)) == pytest.approx(0, abs=1e-7)


def test_bernoulli_kl_matches_the_formula_and_survives_large_logits():
    p, q = torch.tensor([0.3, -2.0, 40.0]), torch.tensor([1.0, -2.0, -40.0])
    a, b = torch.sigmoid(p.double()), torch.sigmoid(q.double())
    expected = a * torch.log(a / b) + (1 - a) * torch.log((1 - a) / (1 - b))
    got = bernoulli_kl(p, q)
    assert torch.allclose(got[:2].double(), expected[:2], atol=1e-6) and float(got[2]) == pytest.approx(40, abs=1e-3)


def test_normalised_embeddings_have_unit_variance_over_training_frequencies():
    model = small_model(normalize=True)
    with torch.no_grad():
        model.word_frequencies.copy_(torch.arange(1, 31, dtype=torch.float32))
    v = model.embed(torch.arange(30)[None])[0]  # (V, E)
    share = (model.word_frequencies / model.word_frequencies.sum())[:, None]
    assert torch.allclose((share * v).sum(0), torch.zeros(6), atol=1e-5)
    assert torch.allclose((share * v ** 2).sum(0), torch.ones(6), atol=1e-3)


def test_unlabelled_terms_need_unlabelled_reviews():
    with pytest.raises(SettingsError, match="unlabelled_batch_size"):
        TrainConfig(adversarial=AdversarialConfig(entropy_weight=0.1))
    with pytest.raises(SettingsError, match="must not be negative"):
        TrainConfig(adversarial=AdversarialConfig(at_epsilon=-1))


def test_adversarial_run_with_unlabelled_reviews_trains_saves_and_resumes(imdb_dir, glove_txt, tmp_path,
                                                                          interrupt_step):
    """AT + VAT on labelled and unlabelled reviews, normalised embeddings: the folder reloads, the unlabelled pool is
    IMDB's unsup reviews (never test), and an interrupted run resumes to the same result."""
    args = ["--data", str(imdb_dir), "--vectors", str(glove_txt), "--preset", "seed", "--epochs", "2",
            "--hidden-size", "8", "--batch-size", "4", "--cache-dir", str(tmp_path / "cache"), "--device", "cpu",
            "--at-epsilon", "1.0", "--vat-epsilon", "1.0", "--unlabelled-batch-size", "3", "--entropy-weight", "0.1",
            "--normalize-embeddings"]
    assert train.main(args + ["--out", str(tmp_path / "straight")]) == 0
    metrics = json.loads((tmp_path / "straight" / "metrics.json").read_text())
    assert metrics["config"]["adversarial"]["vat_epsilon"] == 1.0 and metrics["config"]["model"]["normalize_embeddings"]
    from sentiment import load_model

    clf = load_model(tmp_path / "straight")
    assert clf.model.word_frequencies.sum() > 30  # training counts, not the placeholder ones
    e = clf.explain("A great film.")
    assert e.bias + sum(e.contributions) == pytest.approx(e.logit, abs=1e-4)  # relevance works on it too

    interrupt_step(4)  # epoch 2, first batch (3 batches an epoch)
    assert train.main(args + ["--out", str(tmp_path / "broken")]) == 130
    assert checkpoint.read_progress(tmp_path / "broken" / "checkpoints" / "last")["batch"] == 1
    interrupt_step(None)
    assert train.main(args + ["--out", str(tmp_path / "broken"), "--resume"]) == 0
    again = json.loads((tmp_path / "broken" / "metrics.json").read_text())
    assert again["test"]["loss"] == pytest.approx(metrics["test"]["loss"], abs=1e-6)


def test_embedding_statistics_are_kept_without_gradients_until_the_weights_change():
    model = small_model(normalize=True)
    ids = torch.tensor([[3, 4, 5]])
    with torch.no_grad():
        first = model.embed(ids)
        assert model.embedding_statistics()[0] is model.embedding_statistics()[0]  # kept
        model.embedding.weight.mul_(2)  # as an optimizer step changes them, in place
        again = model.embed(ids)
    assert torch.allclose(again, first, atol=1e-5)  # normalised: the same vectors after scaling
    with torch.no_grad():
        model.embedding.weight[3].add_(1.0)
        moved = model.embed(ids)
    assert torch.allclose(moved, model.embed(ids).detach(), atol=1e-6)  # fresh statistics, as with gradients
    assert not torch.allclose(moved, first, atol=1e-3)
