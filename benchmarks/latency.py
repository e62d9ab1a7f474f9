"""Latency of explain() next to the bare model forward, for reviews of 50, 250 and 1,000 tokens, and the
batch-scoring throughput of predict_proba on 1,000 test reviews; all on the CPU, in one run.

The calls being compared take turns (forward, predict, explain, forward, ...), so that a slower or faster spell
of a shared machine weighs on all of them alike and their ratio holds."""

import time

import torch

from common import corpus, data_args, median, percentile, timed_in_turn
from sentiment import load_model


def review_of(words: list[str], n: int) -> str:
    return " ".join((words * (n // max(len(words), 1) + 1))[:n])


def main():
    p = data_args(__doc__)
    p.add_argument("--model", help="model folder or Hub repo id (default: the bundled model)")
    p.add_argument("--repeat", type=int, default=30, help="timed calls per length")
    args = p.parse_args()
    clf = load_model(args.model)
    c = corpus(args)
    test = c.splits["test"]
    words = [c.types[i] for i in test.review(0)] + [c.types[i] for i in test.review(1)]
    print(f"model: {clf.describe()}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'tokens':>7} {'read':>5} | {'forward p50':>11} {'p95':>7} | {'predict p50':>11} | "
          f"{'explain p50':>11} {'p95':>7} | explain/forward")
    for n in (50, 250, 1000):
        text = review_of(words, n)
        tok, _ = clf.tokenize(text)
        ids = torch.tensor([clf.vocab.encode(tok.tokens)])
        lengths = torch.tensor([ids.shape[1]])

        def forward():
            with torch.no_grad():
                clf.model(ids, lengths)

        f, pr, e = timed_in_turn([forward, lambda: clf.predict_proba([text]), lambda: clf.explain(text)],
                                 args.repeat)
        print(f"{n:7d} {ids.shape[1]:5d} | {1e3 * median(f):9.1f}ms {1e3 * percentile(f, 95):5.1f}ms | "
              f"{1e3 * median(pr):9.1f}ms | {1e3 * median(e):9.1f}ms {1e3 * percentile(e, 95):5.1f}ms | "
              f"{median(e) / median(f):.2f}x")
    texts = [" ".join(c.types[i] for i in test.review(r)) for r in range(1000)]
    start = time.perf_counter()
    clf.predict_proba(texts)
    seconds = time.perf_counter() - start
    print(f"predict_proba on 1,000 test reviews: {seconds:.1f} s, {1000 / seconds:.0f} reviews/s")


if __name__ == "__main__":
    main()
