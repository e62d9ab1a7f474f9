"""Training throughput on the CPU, one epoch each over the same reviews (drawn with a seed from both labels), the
tutorial's model and batch size, in one run: this trainer (length buckets, padding kept out of the LSTM) and the
bare bidirectional nn.LSTM over the same bucketed batches (padding included, the tutorial's head), i.e. the
kernel's own speed, taking turns batch by batch; then the tutorial's batching (random order, padded to the longest
review in the batch, no packing).
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
from sentiment.cpu_lstm import prepare_for_training
from sentiment.data import prepare
from sentiment.model import BiLSTMClassifier
from sentiment.training import Step, classify, count_correct, run_epoch, set_seed


def tutorial_objective(model: BiLSTMClassifier, batch) -> Step:
    """The tutorial's forward: the LSTM runs over the padding too; its last states are taken after it."""
    _, (hidden, _) = model.lstm(model.dropout(model.embedding(batch.ids)))
    logits = model.fc(model.dropout(torch.cat([hidden[-2], hidden[-1]], dim=1))).squeeze(1)
    loss = nn.functional.binary_cross_entropy_with_logits(logits, batch.labels, reduction="sum")
    return Step(loss, count_correct(logits, batch.labels), len(batch.labels), logits)


def random_batches(data, batch_size: int, seed: int):
    """The tutorial's batches: random order, each padded to its longest review."""
    order = np.random.default_rng(seed).permutation(len(data))
    for i in range(0, len(order), batch_size):
        rows = order[i:i + batch_size]
        yield collate([data.seqs[r] for r in rows], data.labels[rows], rows, data.pad_id)


def main():
    setup = prepare_for_training()  # first, as train.py does, before torch starts its worker threads
    p = data_args(__doc__)
    p.add_argument("--reviews", type=int, default=2000, help="training reviews, the same for every row")
    p.add_argument("--batch-size", type=int, default=30, help="the tutorial's batch size")
    p.add_argument("--seed", type=int, default=0, help="draws the reviews")
    p.add_argument("--with-packed", action="store_true", help="also time the packed-sequence LSTM on the CPU")
    args = p.parse_args()
    cfg = preset("seed", batch_size=args.batch_size)
    data = prepare(corpus(args), cfg).train.sample(args.reviews, args.seed)
    print(f"{len(data):,} reviews ({int(data.labels.sum()):,} positive), {int(data.lengths.sum()):,} tokens, "
          f"batch {args.batch_size}, torch {torch.__version__}, {torch.get_num_threads()} threads\n{setup}")
    model_cfg = replace(cfg.model, vocab_size=10_002)
    tokens = int(data.lengths.sum())

    def fresh():
        set_seed(0)
        model = BiLSTMClassifier(model_cfg)
        return model, torch.optim.Adam(model.parameters(), lr=1e-3)

    # The trainer and the bare kernel take turns batch by batch (which goes first alternates), so that the
    # machine's state (caches, memory already mapped, other load) is the same for both: their ratio is the guard.
    rows = {"this trainer (bucketed, unpadded)": (fresh(), classify),
            "bare nn.LSTM (bucketed, padded)": (fresh(), tutorial_objective)}
    seconds = dict.fromkeys(rows, 0.0)
    for i, batch in enumerate(data.batches(args.batch_size, True, seed=1)):
        for name in (list(rows) if i % 2 == 0 else list(reversed(rows))):
            (model, optimizer), objective = rows[name]
            seconds[name] += run_epoch(model, [batch], torch.device("cpu"), optimizer, objective=objective).seconds
    for name in rows:
        print(f"{name + ':':38s}{tokens / seconds[name]:8,.0f} useful tokens/s ({seconds[name]:.0f} s)", flush=True)

    def epoch(batches, objective) -> float:
        model, optimizer = fresh()
        return run_epoch(model, batches, torch.device("cpu"), optimizer, total=data.num_batches(args.batch_size),
                         objective=objective).seconds

    others = {"tutorial (random, padded)": lambda: epoch(random_batches(data, args.batch_size, seed=1),
                                                         tutorial_objective)}
    if args.with_packed:
        others["this trainer's batches, packed LSTM"] = lambda: epoch(
            data.batches(args.batch_size, True, seed=1), functools.partial(classify, packed=True))
    for name, run in others.items():
        seconds[name] = run()
        print(f"{name + ':':38s}{tokens / seconds[name]:8,.0f} useful tokens/s ({seconds[name]:.0f} s)", flush=True)
    ours, bare, tutorial = (seconds[name] for name in list(seconds)[:3])
    print(f"this trainer's speed / bare kernel's: {bare / ours:.2f}; / tutorial's: {tutorial / ours:.2f}x")

if __name__ == "__main__":
    main()
