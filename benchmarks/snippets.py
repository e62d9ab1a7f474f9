"""Short snippets: a BiLSTM (the bundled one by default) against the linear baseline on single sentences cut from
the 25,000 test reviews (or the validation reviews: `--split valid`), and on the whole reviews. Independent test
sets hold short snippets (a critic's one-line verdict) where IMDB's reviews are long; this shows how each model
reads one sentence alone. Each sentence takes its review's label, though some (a plot summary, "I rented it last
week") carry none of it: accuracies fall for both models and compare only with each other. Both read the same
tokens; the baseline (linear_baseline.py) is fitted on the default preset's training reviews, with C chosen on its
validation reviews (split by movie).
Needs `pip install -r benchmarks/requirements.txt`."""

import time

import numpy as np
import torch

from common import corpus, data_args, paired_se
from linear_baseline import CS, fit, text
from sentiment import load_model
from sentiment.augment import sentence_ends, sentences
from sentiment.batching import Dataset, truncate
from sentiment.config import preset
from sentiment.data import train_valid_rows, vocab_table
from sentiment.training import evaluate
from sentiment.vocab import Vocab


def main():
    p = data_args(__doc__)
    p.add_argument("--model", help="model folder (default: the bundled model)")
    p.add_argument("--split", choices=("test", "valid"), default="test", help="whose reviews to cut sentences from")
    p.add_argument("--preset", default="default", help="whose training and validation reviews to use")
    p.add_argument("--cs", default=CS, help="the baseline's inverse regularisation strengths")
    p.add_argument("--shortest", type=int, default=4, help="fewest tokens in a sentence kept")
    p.add_argument("--longest", type=int, default=40, help="most tokens in a sentence kept")
    args = p.parse_args()
    cfg = preset(args.preset)
    c = corpus(args)
    train_rows, valid_rows = train_valid_rows(c, cfg)
    start = time.perf_counter()
    baseline = fit(c, train_rows, valid_rows, args.cs)
    print(f"baseline: C={baseline.C:g} ({time.perf_counter() - start:.0f} s)")

    split = c.splits["train" if args.split == "valid" else "test"]
    rows = valid_rows if args.split == "valid" else np.arange(len(split))
    reviews, labels = [split.review(i) for i in rows], split.labels[rows]
    ends = sentence_ends(c.types)
    cut = [sentences(r, ends, args.shortest, args.longest) for r in reviews]
    has = np.array([len(s) > 0 for s in cut])
    sets = {"whole reviews": (reviews, labels),
            "first sentence": ([s[0] for s, h in zip(cut, has) if h], labels[has]),
            "last sentence": ([s[-1] for s, h in zip(cut, has) if h], labels[has])}

    clf = load_model(args.model)
    table = vocab_table(c, clf.vocab)
    print(f"\nsentences of {args.shortest} to {args.longest} tokens; accuracy on each set, {args.split} split "
          f"(the BiLSTM reads {clf.config.max_tokens or 'all'} tokens of a review at most)")
    print(f"{'set':<16}{'texts':>8}{'tokens':>9}{'BiLSTM':>9}{'baseline':>10}{'difference (s.e.)':>19}")
    for name, (texts, labels) in sets.items():
        ids = [truncate(table[t], clf.config.max_tokens, clf.config.truncate) for t in texts]
        logits = np.zeros(len(ids), dtype=np.float32)
        evaluate(clf.model, Dataset(ids, labels.astype(np.float32), Vocab.pad_id), torch.device("cpu"),
                 logits_out=logits, desc=name)
        bilstm = (logits > 0) == labels
        linear = baseline.predict([text(c, s) for s in texts]) == labels
        d = 100 * (bilstm.astype(float) - linear)  # paired: the same texts
        print(f"{name:<16}{len(texts):>8,}{np.mean([len(t) for t in texts]):>9.1f}{100 * bilstm.mean():>8.2f}%"
              f"{100 * linear.mean():>9.2f}%{d.mean():>+12.2f} ({paired_se(d):.2f})")
    print(f"({time.perf_counter() - start:.0f} s in all)")


if __name__ == "__main__":
    main()
