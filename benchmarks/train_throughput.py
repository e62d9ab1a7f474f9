"""Training throughput on the CPU, one epoch each over the same reviews (drawn with a seed from both labels), the
tutorial's model and batch size, in one run: this trainer (length buckets, padding kept out of the LSTM); the bare
bidirectional nn.LSTM over the same bucketed batches (padding included, the tutorial's head), i.e. the kernel's
own speed; and the tutorial's batching (random order, padded to the longest review in the batch, no packing).
With --with-packed, also this trainer's batches through PyTorch's packed-sequence LSTM, which it uses on CUDA (on
the CPU that takes about 25 minutes: the reason the CPU path does not pack)."""

import functools
from dataclasses import replace

import numpy as np
import torch
from torch import nn

from common import corpus, data_args
from sentiment.batching import collate
from sentiment.config import preset
from sentiment.cpu_lstm import flush_denormals
from sentiment.data import prepare
from sentiment.model import BiLSTMClassifier
from sentiment.training import Step, classify, run_epoch, set_seed


def tutorial_objective(model: BiLSTMClassifier, batch) -> Step:
    """The tutorial's forward: the LSTM runs over the padding too; its last states are taken after it."""
    _, (hidden, _) = model.lstm(model.dropout(model.embedding(batch.ids)))
    logits = model.fc(model.dropout(torch.cat([hidden[-2], hidden[-1]], dim=1))).squeeze(1)
    loss = nn.functional.binary_cross_entropy_with_logits(logits, batch.labels, reduction="sum")
    return Step(loss, int(((logits > 0).float() == batch.labels).sum()), len(batch.labels), logits)


def random_batches(data, batch_size: int, seed: int):
    """The tutorial's batches: random order, each padded to its longest review."""
    order = np.random.default_rng(seed).permutation(len(data))
    for i in range(0, len(order), batch_size):
        rows = order[i:i + batch_size]
        yield collate([data.seqs[r] for r in rows], data.labels[rows], rows, data.pad_id)


def main():
    flushed = flush_denormals()  # first, as train.py does, before torch starts its worker threads
    p = data_args(__doc__)
    p.add_argument("--reviews", type=int, default=2000, help="training reviews, the same for every row")
    p.add_argument("--batch-size", type=int, default=30, help="the tutorial's batch size")
    p.add_argument("--seed", type=int, default=0, help="draws the reviews")
    p.add_argument("--with-packed", action="store_true", help="also time the packed-sequence LSTM on the CPU")
    args = p.parse_args()
    cfg = preset("seed", batch_size=args.batch_size)
    data = prepare(corpus(args), cfg).train.sample(args.reviews, args.seed)
    print(f"{len(data):,} reviews ({int(data.labels.sum()):,} positive), {int(data.lengths.sum()):,} tokens, "
          f"batch {args.batch_size}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"denormals flushed: {'yes' if flushed else 'no'}")
    model_cfg = replace(cfg.model, vocab_size=10_002)
    steps = data.num_batches(args.batch_size)

    def epoch(batches, objective=classify) -> float:
        set_seed(0)
        model = BiLSTMClassifier(model_cfg)
        stats = run_epoch(model, batches, torch.device("cpu"), torch.optim.Adam(model.parameters(), lr=1e-3),
                          total=steps, objective=objective)
        return stats.seconds

    tokens = int(data.lengths.sum())
    rows = [("this trainer (bucketed, unpadded)", lambda: epoch(data.batches(args.batch_size, True, seed=1))),
            ("bare nn.LSTM (bucketed, padded)", lambda: epoch(data.batches(args.batch_size, True, seed=1),
                                                               tutorial_objective)),
            ("tutorial (random, padded)", lambda: epoch(random_batches(data, args.batch_size, seed=1),
                                                        tutorial_objective))]
    if args.with_packed:
        rows.append(("this trainer's batches, packed LSTM", lambda: epoch(
            data.batches(args.batch_size, True, seed=1), functools.partial(classify, packed=True))))
    seconds = {}
    for name, run in rows:
        seconds[name] = run()
        print(f"{name + ':':38s}{tokens / seconds[name]:8,.0f} useful tokens/s ({seconds[name]:.0f} s)", flush=True)
    ours = seconds[rows[0][0]]
    print(f"this trainer's speed / bare kernel's: {seconds[rows[1][0]] / ours:.2f}; "
          f"/ tutorial's: {seconds[rows[2][0]] / ours:.2f}x")


if __name__ == "__main__":
    main()
