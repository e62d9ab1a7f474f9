"""What the training reviews teach about a phrase: how many of the default preset's training reviews contain it,
by label, beside what a model (the bundled one by default) says of the phrase alone. A model trained on whole
reviews learns a phrase's review-level label, which is not always its meaning: "not bad" may sit mostly in
negative reviews ("the acting was not bad, but ..."). Phrases are tokenized as the model reads them."""

import numpy as np

from common import corpus, data_args
from sentiment import load_model
from sentiment.config import preset
from sentiment.data import train_valid_rows
from sentiment.tokens import Tokenizer

PHRASES = ["bad", "not bad", "not bad at all", "wasn't bad", "not that bad", "not terrible", "not boring",
           "good", "not good", "not great", "not a good"]


def reviews_with(split, phrase_ids: np.ndarray) -> np.ndarray:
    """Indices of the split's reviews whose tokens hold `phrase_ids` in a row."""
    ids, k = split.ids, len(phrase_ids)
    if len(ids) < k:
        return np.zeros(0, np.int64)
    hit = np.ones(len(ids) - k + 1, bool)
    for j, t in enumerate(phrase_ids):
        hit &= ids[j:len(ids) - k + 1 + j] == t
    starts = np.flatnonzero(hit)
    rows = np.searchsorted(split.offsets, starts, side="right") - 1
    inside = starts + k <= split.offsets[rows + 1]  # a match may not run on into the next review
    return np.unique(rows[inside])


def main():
    p = data_args(__doc__)
    p.add_argument("phrases", nargs="*", default=PHRASES, help="phrases to count (default: some negations)")
    p.add_argument("--model", help="model folder (default: the bundled model)")
    p.add_argument("--preset", default="default", help="whose training reviews to count")
    args = p.parse_args()
    cfg = preset(args.preset)
    c = corpus(args)
    train = c.splits["train"]
    train_rows, _ = train_valid_rows(c, cfg)
    in_train = np.zeros(len(train), bool)
    in_train[train_rows] = True
    type_id = {t: i for i, t in enumerate(c.types)}
    tokenizer = Tokenizer(lowercase=True)  # as the corpus was encoded
    clf = load_model(args.model)
    positive = int((train.labels[train_rows] == 1).sum())
    print(f"{len(train_rows):,} training reviews ({args.preset} preset), {positive / len(train_rows):.1%} positive; "
          f"model: {clf.source}")
    print(f"{'phrase':<18} {'reviews':>8} {'positive':>9} {'negative':>9} {'share positive':>15} "
          f"{'P(positive) of the phrase alone':>32}")
    for phrase in args.phrases:
        tokens = tokenizer.tokenize(phrase).tokens
        missing = [t for t in tokens if t not in type_id]
        if not tokens or missing:
            print(f"{phrase:<18} (not in the training reviews: {' '.join(missing) or 'no tokens'})")
            continue
        rows = reviews_with(train, np.array([type_id[t] for t in tokens], train.ids.dtype))
        labels = train.labels[rows[in_train[rows]]]
        pos, neg = int((labels == 1).sum()), int((labels == 0).sum())
        share = f"{pos / (pos + neg):.1%}" if pos + neg else "-"
        alone = clf.predict_proba([phrase[0].upper() + phrase[1:] + "."])[0]
        print(f"{phrase:<18} {pos + neg:>8,} {pos:>9,} {neg:>9,} {share:>15} {alone:>32.3f}")


if __name__ == "__main__":
    main()
