"""Language-model pretraining: no stack sees the word it predicts, the loss is the true cross-entropy, the
pretrained stacks carry over exactly into the classifier, and train.py runs and resumes it."""

import json
import shutil

import pytest
import torch

import train
from sentiment.batching import collate
from sentiment.lm import BiLM, join_directions, predict_words
from sentiment.model import BiLSTMClassifier, ModelConfig


def tiny_model(layers=2, seed=0):
    torch.manual_seed(seed)
    return BiLSTMClassifier(ModelConfig(vocab_size=40, embedding_dim=5, hidden_size=6, num_layers=layers)).eval()


def separate_states(model, ids, lengths):
    return model.states_from_embeddings(model.embedding(ids), lengths, separate_directions=True)


def test_no_stack_sees_the_word_it_predicts():
    """Changing word 5 leaves the forward states before it and the backward states after it as they were."""
    model, H = tiny_model(), 6
    ids, lengths = torch.randint(2, 40, (1, 10)), torch.tensor([10])
    changed = ids.clone()
    changed[0, 5] = (ids[0, 5] + 1) % 38 + 2
    a, b = separate_states(model, ids, lengths), separate_states(model, changed, lengths)
    assert torch.equal(a[0, :5, :H], b[0, :5, :H]) and torch.equal(a[0, 6:, H:], b[0, 6:, H:])
    assert not torch.allclose(a[0, 5:, :H], b[0, 5:, :H]) and not torch.allclose(a[0, :6, H:], b[0, :6, H:])
    # The ordinary bidirectional path does mix directions, so the first check would catch a leak.
    a, b = model.token_states(ids, lengths), model.token_states(changed, lengths)
    assert not torch.allclose(a[0, :5, :H], b[0, :5, :H])


@pytest.mark.parametrize("layers", [1, 2])
def test_joined_classifier_starts_as_the_pretrained_stacks(layers):
    model = tiny_model(layers)
    ids, lengths = torch.randint(2, 40, (3, 8)), torch.tensor([8, 5, 2])
    pretrained = separate_states(model, ids, lengths)
    join_directions(model)
    assert torch.allclose(model.token_states(ids, lengths), pretrained, atol=1e-6)


def test_objective_is_the_cross_entropy_of_every_neighbouring_word():
    """Against torch's own adaptive-softmax log-probabilities, with the word pairs listed review by review."""
    model = tiny_model()
    lm = BiLM(model).eval()
    seqs = [torch.randint(0, 40, (n,)) for n in (7, 3, 1, 5)]
    batch = collate(seqs, [-1] * 4, list(range(4)), pad_id=1)
    step = predict_words(lm, batch)
    states = separate_states(model, batch.ids, batch.lengths)
    expected, count = 0.0, 0
    for i, s in enumerate(seqs):
        for t in range(len(s) - 1):
            expected -= lm.next_word.log_prob(states[i, t, :6][None])[0, s[t + 1]]
            expected -= lm.previous_word.log_prob(states[i, t + 1, 6:][None])[0, s[t]]
            count += 2
    assert step.predictions == count == 2 * (6 + 2 + 0 + 4)
    assert step.loss_sum.item() == pytest.approx(expected.item(), rel=1e-5)


def run_args(imdb_dir, glove_txt, tmp_path, out, *extra):
    return ["--data", str(imdb_dir), "--vectors", str(glove_txt), "--out", str(tmp_path / out), "--preset", "seed",
            "--hidden-size", "8", "--batch-size", "4", "--epochs", "1", "--lm-epochs", "3",
            "--cache-dir", str(tmp_path / "cache"), "--device", "cpu", *extra]


def test_train_py_pretrains_and_records_it(imdb_dir, glove_txt, tmp_path):
    assert train.main(run_args(imdb_dir, glove_txt, tmp_path, "m")) == 0
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    rows = metrics["pretraining"]
    assert [r["epoch"] for r in rows] == [1, 2, 3] and metrics["config"]["lm"]["epochs"] == 3
    assert rows[0]["reviews"] == 11 + 6  # the training part (one review is validation) and the unlabelled ones
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]


def test_interrupted_pretraining_resumes_to_the_same_model(imdb_dir, glove_txt, tmp_path, interrupt_step):
    assert train.main(run_args(imdb_dir, glove_txt, tmp_path, "straight")) == 0
    interrupt_step(2)  # LM epoch 2 (one batch of 256 an epoch)
    assert train.main(run_args(imdb_dir, glove_txt, tmp_path, "broken")) == 130
    interrupt_step(None)
    assert train.main(run_args(imdb_dir, glove_txt, tmp_path, "broken", "--resume")) == 0
    a, b = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("straight", "broken"))
    assert a["pretraining"][-1]["valid_loss"] == pytest.approx(b["pretraining"][-1]["valid_loss"], abs=1e-6)
    assert a["test"]["loss"] == pytest.approx(b["test"]["loss"], abs=1e-6)


def test_pretraining_without_unlabelled_reviews_is_one_clear_error(imdb_dir, glove_txt, tmp_path, capsys):
    from sentiment.corpus import load_corpus

    encoded = tmp_path / "encoded"  # an encoded corpus folder without them (train.py --data accepts one)
    load_corpus(imdb_dir, tmp_path / "c", splits=("train", "test")).save(encoded)
    assert train.main(run_args(encoded, glove_txt, tmp_path, "m")) == 2
    assert "needs the unlabelled reviews" in capsys.readouterr().err
    shutil.rmtree(imdb_dir / "train" / "unsup")  # an aclImdb folder without them
    assert train.main(run_args(imdb_dir, glove_txt, tmp_path, "m")) == 2
    err = capsys.readouterr().err
    assert "no reviews for the 'unsup' split: expected files like aclImdb/train/unsup/0_0.txt" in err


def test_pretraining_dropout_is_restored_afterwards():
    from sentiment.lm import dropout_rate

    model = tiny_model()
    with dropout_rate(model, 0.1):
        assert model.dropout.p == 0.1 and model.lstm.dropout == 0.1
    assert model.dropout.p == 0.5 and model.lstm.dropout == 0.5
