"""The linear baseline, measured by the project: TF-IDF over word 1-2 grams + logistic regression (scikit-learn),
fitted on the same training reviews the BiLSTM trains on and scored on the same 25,000 test reviews; C is chosen
on the same validation split (never on test). Needs `pip install -r benchmarks/requirements.txt`."""

import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from common import corpus, data_args
from sentiment.config import preset
from sentiment.data import split_rows


def texts(c, split: str, rows) -> list[str]:
    """The reviews as the BiLSTM reads them (cleaned, lower-cased spaCy tokens), joined by spaces."""
    s = c.splits[split]
    return [" ".join(c.types[t] for t in s.review(i)) for i in rows]


def main():
    p = data_args(__doc__)
    p.add_argument("--preset", default="default", help="whose validation split (fraction and seed) to use")
    p.add_argument("--cs", default="1,4,16,64", help="inverse regularisation strengths tried on validation")
    args = p.parse_args()
    cfg = preset(args.preset)
    c = corpus(args)
    train_rows, valid_rows = split_rows(len(c.splits["train"]), cfg.valid_fraction, cfg.seed)
    test_rows = np.arange(len(c.splits["test"]))
    start = time.perf_counter()
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, token_pattern=r"\S+")
    x_train = vectorizer.fit_transform(texts(c, "train", train_rows))
    x_valid, x_test = (vectorizer.transform(texts(c, s, r)) for s, r in (("train", valid_rows), ("test", test_rows)))
    y_train, y_valid = c.splits["train"].labels[train_rows], c.splits["train"].labels[valid_rows]
    y_test = c.splits["test"].labels[test_rows]
    print(f"{len(train_rows):,} training, {len(valid_rows):,} validation, {len(test_rows):,} test reviews; "
          f"{x_train.shape[1]:,} features (1-2 grams seen in at least 2 training reviews)")
    best = None
    for C in (float(v) for v in args.cs.split(",")):
        clf = LogisticRegression(C=C, max_iter=2000).fit(x_train, y_train)
        valid = float((clf.predict(x_valid) == y_valid).mean())
        print(f"C={C:g}: validation accuracy {100 * valid:.2f}%")
        if best is None or valid > best[0]:
            best = (valid, C, clf)
    valid, C, clf = best
    test = float((clf.predict(x_test) == y_test).mean())
    print(f"chosen C={C:g}: validation {100 * valid:.2f}%, test {100 * test:.2f}% "
          f"({time.perf_counter() - start:.0f} s in all)")


if __name__ == "__main__":
    main()
