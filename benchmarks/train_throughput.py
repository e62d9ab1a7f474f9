"""Training throughput: this trainer (length buckets, padding kept out of the LSTM) vs the tutorial's batching
(random order, padded to the longest review in the batch, no packing), same model, batch size and reviews, in one
run; with --with-packed, also this trainer's batches through PyTorch's packed-sequence LSTM, which it uses on
CUDA (on the CPU that takes about 25 minutes: the reason the CPU path does not pack)."""

import time
from unittest import mock

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from common import corpus, data_args
from sentiment.batching import collate
from sentiment.config import preset
from sentiment.data import prepare
from sentiment.model import BiLSTMClassifier
from sentiment.training import run_epoch, set_seed


def tutorial_forward(model: BiLSTMClassifier, ids: torch.Tensor) -> torch.Tensor:
    """The tutorial's forward: the LSTM runs over the padding too; its last states are taken after it."""
    embedded = model.dropout(model.embedding(ids))
    _, (hidden, _) = model.lstm(embedded)
    return model.fc(model.dropout(torch.cat([hidden[-2], hidden[-1]], dim=1))).squeeze(1)


def packed_states(model: BiLSTMClassifier, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The model's CUDA path (pack_padded_sequence), run on the CPU."""
    packed = pack_padded_sequence(model.dropout(embedded), lengths, batch_first=True, enforce_sorted=False)
    return pad_packed_sequence(model.lstm(packed)[0], batch_first=True, total_length=embedded.shape[1])[0]


def tutorial_epoch(model, data, batch_size, seed) -> tuple[int, float]:
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    order = np.random.default_rng(seed).permutation(len(data))
    tokens, start = 0, time.perf_counter()
    for i in range(0, len(order), batch_size):
        rows = order[i:i + batch_size]
        batch = collate([data.seqs[r] for r in rows], data.labels[rows], rows, data.pad_id)
        loss = loss_fn(tutorial_forward(model, batch.ids), batch.labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        tokens += int(batch.lengths.sum())
    return tokens, time.perf_counter() - start


def main():
    p = data_args(__doc__)
    p.add_argument("--reviews", type=int, default=2000, help="training reviews, the same for both")
    p.add_argument("--batch-size", type=int, default=30, help="the tutorial's batch size")
    p.add_argument("--with-packed", action="store_true", help="also time the packed-sequence LSTM on the CPU")
    args = p.parse_args()
    cfg = preset("seed", batch_size=args.batch_size)
    data = prepare(corpus(args), cfg).train.head(args.reviews)
    print(f"{len(data):,} reviews, {int(data.lengths.sum()):,} tokens, batch {args.batch_size}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    make = lambda: BiLSTMClassifier(cfg.model.__class__(**{**cfg.model.__dict__, "vocab_size": 10_002}))  # noqa: E731

    def ours_epoch():
        set_seed(0)
        model = make()
        stats = run_epoch(model, data.batches(args.batch_size, shuffle=True, seed=1), torch.device("cpu"),
                          torch.optim.Adam(model.parameters(), lr=1e-3), total=data.num_batches(args.batch_size))
        return stats.tokens, stats.seconds

    tokens, ours_s = ours_epoch()
    set_seed(0)
    _, theirs_s = tutorial_epoch(make(), data, args.batch_size, seed=1)
    print(f"this trainer (bucketed, unpadded):  {tokens / ours_s:8,.0f} useful tokens/s ({ours_s:.0f} s)")
    print(f"tutorial (random, padded):          {tokens / theirs_s:8,.0f} useful tokens/s ({theirs_s:.0f} s)")
    print(f"ratio: {theirs_s / ours_s:.2f}x")
    if args.with_packed:
        with mock.patch.object(BiLSTMClassifier, "states_from_embeddings", packed_states):
            _, packed_s = ours_epoch()
        print(f"this trainer's batches, packed LSTM:{tokens / packed_s:8,.0f} useful tokens/s ({packed_s:.0f} s)")


if __name__ == "__main__":
    main()
