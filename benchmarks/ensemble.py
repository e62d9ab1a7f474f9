"""An ensemble of BiLSTMs against each of its models, on the validation reviews they share: is distilling it into one
model (`train.py --teacher`) worth a run? The models must have been validated on the same split (`train.py
--split-seed`); an ensemble predicts the mean of their probabilities, and every ensemble of two or more of the
models is scored. `--linear` adds the linear baseline (linear_baseline.py, fitted on the same split) as one more
member, a model that errs differently. `--test` scores the test split too, once, for the record: choose on
validation. `--linear` needs `pip install -r requirements.txt` here."""

from itertools import combinations

import numpy as np

from common import corpus, data_args, paired_se
from sentiment.config import preset
from sentiment.data import train_valid_rows
from sentiment.distill import load_teachers, logits_on, mean_probability, split_of
from sentiment.training import resolve_device


def paired(a: np.ndarray, b: np.ndarray) -> str:
    """How many points more of the same reviews `a` gets right than `b` (each an array of right/wrong), with the
    standard error of that paired difference."""
    d = a.astype(float) - b
    return f"{100 * d.mean():+.2f} points (s.e. {100 * paired_se(d):.2f})"


def compare(name: str, labels: np.ndarray, probabilities: list[np.ndarray], sources: list[str]) -> None:
    """Accuracy of each model and of the ensemble of every two or more of them (the mean of their probabilities),
    and the difference of each to the best model, with its paired standard error."""
    right = [(p > 0.5) == (labels > 0.5) for p in probabilities]
    print(f"\n{name}: {len(labels):,} reviews")
    best = int(np.argmax([r.mean() for r in right]))
    for i, (source, r) in enumerate(zip(sources, right)):
        differs = "the best" if i == best else (f"disagrees with the best on {100 * np.mean(r != right[best]):.1f}%;"
                                                f" {paired(r, right[best])} against it")
        print(f"  {100 * r.mean():6.2f}%  {source} ({differs})")
    for size in range(2, len(sources) + 1):
        for members in combinations(range(len(sources)), size):
            ensemble = (np.mean([probabilities[i] for i in members], axis=0) > 0.5) == (labels > 0.5)
            print(f"  {100 * ensemble.mean():6.2f}%  ensemble of {' + '.join(sources[i] for i in members)}: "
                  f"{paired(ensemble, right[best])} over the best model")


def main():
    p = data_args(__doc__)
    p.add_argument("models", nargs="+", help="model folders (or Hub repo ids) written by train.py")
    p.add_argument("--preset", default="default", help="the preset whose validation split the models share")
    p.add_argument("--split-seed", type=int, help="the split's seed, if not the preset's seed")
    p.add_argument("--linear", action="store_true", help="add the linear baseline to the ensemble")
    p.add_argument("--test", action="store_true", help="score the 25,000 test reviews too")
    args = p.parse_args()
    cfg = preset(args.preset, split_seed=args.split_seed)
    clfs = load_teachers(args.models, cfg)  # refuses a model validated on another split
    c = corpus(args)
    train_rows, valid_rows = train_valid_rows(c, cfg)
    device = resolve_device("auto")
    print(f"validation split: {split_of(cfg)}")
    names, linear = list(args.models), None
    if args.linear:
        from linear_baseline import fit, texts  # scikit-learn: only with --linear

        linear = fit(c, train_rows, valid_rows, log=lambda *a: None)
        names.append(f"linear baseline (C={linear.C:g})")
    splits = [("validation", "train", valid_rows)]
    if args.test:
        splits.append(("test", "test", np.arange(len(c.splits["test"]))))
    for name, split, rows in splits:
        probabilities = [mean_probability([logits_on(clf, c, split, rows, device)]) for clf in clfs]
        if linear is not None:
            probabilities.append(linear.probability(texts(c, split, rows)))
        compare(name, c.splits[split].labels[rows], probabilities, names)


if __name__ == "__main__":
    main()
