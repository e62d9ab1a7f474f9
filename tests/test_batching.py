import numpy as np
import torch

from sentiment.batching import Dataset, bucket_batches, collate, truncate
from sentiment.model import BiLSTMClassifier, ModelConfig


def test_every_index_once_and_batches_length_homogeneous():
    lengths = np.random.default_rng(0).integers(1, 1000, size=5000)
    batches = bucket_batches(lengths, 32, shuffle=True, seed=1)
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(5000))
    spread = np.mean([lengths[b].max() - lengths[b].min() for b in batches])
    random_spread = np.mean([lengths[b].max() - lengths[b].min() for b in np.array_split(np.arange(5000), 157)])
    assert spread < random_spread / 10
    assert [b.tolist() for b in batches] != [b.tolist() for b in bucket_batches(lengths, 32, shuffle=True, seed=2)]
    assert [b.tolist() for b in batches] == [b.tolist() for b in bucket_batches(lengths, 32, shuffle=True, seed=1)]


def test_truncate_modes():
    ids = np.arange(10)
    assert truncate(ids, 4, "head").tolist() == [0, 1, 2, 3]
    assert truncate(ids, 4, "tail").tolist() == [6, 7, 8, 9]
    assert truncate(ids, 4, "head+tail").tolist() == [0, 7, 8, 9]
    assert truncate(ids, 0).tolist() == ids.tolist()


def test_collate_pads_and_reports_lengths():
    b = collate([np.array([5, 6, 7]), np.array([8])], [1, 0], np.array([0, 1]), pad_id=1)
    assert b.ids.tolist() == [[5, 6, 7], [8, 1, 1]] and b.lengths.tolist() == [3, 1]


def test_review_alone_equals_review_in_a_padded_batch():
    """Packing keeps padding out of the LSTM, for every pooling."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    seqs = [rng.integers(2, 50, size=n) for n in (3, 17, 40, 9)]
    for pooling in ("last", "max", "mean", "max+mean"):
        model = BiLSTMClassifier(ModelConfig(vocab_size=50, embedding_dim=8, hidden_size=6, pooling=pooling)).eval()
        data = Dataset(seqs, np.zeros(4), pad_id=1)
        batch = next(data.batches(4, shuffle=False))
        with torch.no_grad():
            together = model(batch.ids, batch.lengths)
        for row, logit in zip(batch.rows, together):
            with torch.no_grad():
                alone = model(torch.as_tensor(seqs[row])[None], torch.tensor([len(seqs[row])]))
            assert abs(float(alone[0]) - float(logit)) < 1e-5
