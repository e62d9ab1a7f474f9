"""The linear baseline, measured by the project: TF-IDF over word 1-2 grams + logistic regression (scikit-learn),
fitted on the same training reviews the BiLSTM trains on and scored on the same 25,000 test reviews; C is chosen
on the same validation split (never on test). Needs `pip install -r benchmarks/requirements.txt`."""

import time
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from common import corpus, data_args
from sentiment.config import preset
from sentiment.data import train_valid_rows


def text(c, tokens) -> str:
    """Token ids of corpus `c` as the BiLSTM reads them (cleaned, lower-cased spaCy tokens), joined by spaces."""
    return " ".join(c.types[t] for t in tokens)


def texts(c, split: str, rows) -> list[str]:
    """Reviews `rows` of a split, each as `text`."""
    s = c.splits[split]
    return [text(c, s.review(i)) for i in rows]


CS = "1,4,16,64"  # the inverse regularisation strengths tried on validation, unless --cs says otherwise


@dataclass
class Baseline:
    vectorizer: TfidfVectorizer
    model: LogisticRegression
    C: float
    valid_accuracy: float

    def predict(self, texts_: list[str]) -> np.ndarray:
        return self.model.predict(self.vectorizer.transform(texts_))

    def probability(self, texts_: list[str]) -> np.ndarray:
        """(len(texts_),) P(positive) of each text."""
        return self.model.predict_proba(self.vectorizer.transform(texts_))[:, 1]


def fit(c, train_rows, valid_rows, cs: str = CS, log=print) -> Baseline:
    """TF-IDF 1-2 grams + logistic regression on training rows `train_rows`, C chosen on `valid_rows`."""
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, token_pattern=r"\S+")
    x_train = vectorizer.fit_transform(texts(c, "train", train_rows))
    x_valid = vectorizer.transform(texts(c, "train", valid_rows))
    y_train, y_valid = c.splits["train"].labels[train_rows], c.splits["train"].labels[valid_rows]
    log(f"{len(train_rows):,} training, {len(valid_rows):,} validation reviews; "
        f"{x_train.shape[1]:,} features (1-2 grams seen in at least 2 training reviews)")
    best = None
    for C in (float(v) for v in cs.split(",")):
        model = LogisticRegression(C=C, max_iter=2000).fit(x_train, y_train)
        valid = float((model.predict(x_valid) == y_valid).mean())
        log(f"C={C:g}: validation accuracy {100 * valid:.2f}%")
        if best is None or valid > best.valid_accuracy:
            best = Baseline(vectorizer, model, C, valid)
    return best


def main():
    p = data_args(__doc__)
    p.add_argument("--preset", default="default",
                   help="whose split to use: by review or by movie, its fraction and seed")
    p.add_argument("--cs", default=CS, help="inverse regularisation strengths tried on validation")
    args = p.parse_args()
    cfg = preset(args.preset)
    c = corpus(args)
    start = time.perf_counter()
    baseline = fit(c, *train_valid_rows(c, cfg), args.cs)
    test_rows = np.arange(len(c.splits["test"]))
    test = float((baseline.predict(texts(c, "test", test_rows)) == c.splits["test"].labels[test_rows]).mean())
    print(f"chosen C={baseline.C:g}: validation {100 * baseline.valid_accuracy:.2f}%, test {100 * test:.2f}% "
          f"({time.perf_counter() - start:.0f} s in all, {len(test_rows):,} test reviews)")


if __name__ == "__main__":
    main()
