"""How many tokens of a review should a trained model read? Its validation accuracy and loss (and, with `--test`,
its test figures, for the record) at several reading lengths, each paired against the first: the same weights,
only `max_tokens` changed. A model with max+mean pooling does not depend on the length of what it reads, so it may
read more of a long review than it was trained on (`train.py --train-max-tokens` trains on the shorter cut)."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from common import ROOT, corpus, data_args, paired_se
from sentiment.config import preset
from sentiment.data import encode_rows, train_valid_rows, vocab_table
from sentiment.distill import load_teachers
from sentiment.training import evaluate, resolve_device


def main():
    p = data_args(__doc__)
    p.add_argument("--model", default=str(ROOT / "sentiment" / "pretrained"),
                   help="model folder written by train.py (default: the bundled model)")
    p.add_argument("--lengths", default="800,1200,0", help="max_tokens to try, comma-separated (0: all); the first "
                                                           "is the one the others are compared with")
    p.add_argument("--preset", default="default", help="the preset whose validation split the model was trained on")
    p.add_argument("--split-seed", type=int, help="the split's seed, if not the preset's seed")
    p.add_argument("--test", action="store_true", help="score the 25,000 test reviews too")
    p.add_argument("--out", help="write the figures here as JSON too")
    args = p.parse_args()
    cfg = preset(args.preset, split_seed=args.split_seed)
    clf = load_teachers([args.model], cfg)[0]  # refuses a model validated on another split
    c = corpus(args)
    _, valid_rows = train_valid_rows(c, cfg)
    table, device = vocab_table(c, clf.vocab), resolve_device("auto")
    splits = [("validation", "train", valid_rows)]
    if args.test:
        splits.append(("test", "test", np.arange(len(c.splits["test"]))))
    lengths = [int(x) for x in args.lengths.split(",")]
    record = {"model": args.model, "lengths": lengths}
    for name, split, rows in splits:
        labels = c.splits[split].labels[rows] > 0.5
        print(f"\n{name}: {len(rows):,} reviews, {args.model}")
        first = None
        for length in lengths:
            data = encode_rows(c, split, rows, table, replace(clf.config, max_tokens=length))
            logits = np.zeros(len(rows), dtype=np.float32)
            with torch.no_grad():
                stats = evaluate(clf.model.to(device), data, device, desc=f"max_tokens {length}", logits_out=logits)
            right = (logits > 0) == labels
            first = right if first is None else first
            d = right.astype(float) - first
            cut = sum(len(c.splits[split].review(i)) > length for i in rows) if length else 0
            r = {"max_tokens": length, "accuracy": stats.accuracy, "loss": stats.loss, "reviews": len(rows),
                 "cut": int(cut), "more_right": int((d > 0).sum()), "more_wrong": int((d < 0).sum()),
                 "difference": float(d.mean()), "paired_se": float(paired_se(d))}
            record.setdefault(name, []).append(r)
            print(f"  max_tokens {length or 'all':>5}: accuracy {100 * r['accuracy']:.2f}% (loss {r['loss']:.4f}); "
                  f"{r['cut']:,} reviews cut; {100 * r['difference']:+.2f} points against {lengths[0] or 'all'} "
                  f"(s.e. {100 * r['paired_se']:.2f}): {r['more_right']} more right, {r['more_wrong']} more wrong")
    if args.out:
        Path(args.out).write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
