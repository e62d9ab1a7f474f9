"""Faithfulness of token highlights on test reviews: our exact decomposition vs word relevance (LRP) vs gradient x
input vs Integrated Gradients vs random, by ERASER's comprehensiveness and sufficiency (DeYoung et al. 2020), with time per review."""

import time

import numpy as np
import torch

from common import corpus, data_args
from sentiment import load_model
from sentiment.batching import collate
from sentiment.data import encode_rows, vocab_table
from sentiment.explain import decompose
from sentiment.relevance import word_relevance

KS = (0.05, 0.10, 0.20)


def ours(model, ids):
    d = decompose(model, ids[None], torch.tensor([len(ids)]))
    return d.contributions[0].double().numpy()


def relevance(model, ids):
    return word_relevance(model, ids[None], torch.tensor([len(ids)])).words[0].numpy()


def grad_x_input(model, ids):
    emb = model.embedding(ids[None]).detach().requires_grad_(True)
    model.logits_from_embeddings(emb, torch.tensor([len(ids)])).sum().backward()
    return (emb.grad * emb).sum(-1)[0].detach().double().numpy()


def integrated_gradients(model, ids, steps: int):
    """Riemann (midpoint) IG from an all-zero embedding baseline, the interpolations run as one batch."""
    emb = model.embedding(ids[None]).detach()  # (1, T, E)
    alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
    path = (alphas[:, None, None] * emb).requires_grad_(True)  # (S, T, E)
    lengths = torch.full((steps,), len(ids))
    model.logits_from_embeddings(path, lengths).sum().backward()
    return (path.grad.mean(0) * emb[0]).sum(-1).detach().double().numpy()


def erased_probs(model, ids, order, predicted: int):
    """P(predicted class) with the top k% tokens removed (comprehensiveness) and with only them kept (sufficiency)."""
    seqs = []
    for k in KS:
        top = set(order[:max(1, int(round(k * len(ids))))].tolist())
        seqs.append([t for i, t in enumerate(ids.tolist()) if i not in top] or [1])
        seqs.append([t for i, t in enumerate(ids.tolist()) if i in top])
    batch = collate(seqs, np.zeros(len(seqs)), np.arange(len(seqs)), 1)
    with torch.no_grad():
        p = torch.sigmoid(model(batch.ids, batch.lengths)).double().numpy()
    return p if predicted == 1 else 1 - p


def main():
    p = data_args(__doc__)
    p.add_argument("--model", help="model folder or Hub repo id (default: the bundled model)")
    p.add_argument("--reviews", type=int, default=500, help="test reviews, drawn with a fixed seed")
    p.add_argument("--ig-steps", type=int, default=20, help="Integrated Gradients interpolation steps")
    args = p.parse_args()
    clf = load_model(args.model)
    model = clf.model
    c = corpus(args)
    test = c.splits["test"]
    rows = np.random.default_rng(0).choice(len(test), args.reviews, replace=False)
    reviews = encode_rows(c, "test", rows, vocab_table(c, clf.vocab), clf.config)  # truncated as the model reads
    methods = {"ours (exact decomposition)": lambda ids: ours(model, ids),
               "word relevance (LRP, relevance.py)": lambda ids: relevance(model, ids),
               "gradient x input": lambda ids: grad_x_input(model, ids),
               f"integrated gradients ({args.ig_steps} steps)": lambda ids: integrated_gradients(model, ids, args.ig_steps),
               "random": lambda ids: rng.normal(size=len(ids))}
    rng = np.random.default_rng(1)
    comp = {m: [] for m in methods}
    suff = {m: [] for m in methods}
    secs = {m: 0.0 for m in methods}
    for n, seq in enumerate(reviews.seqs):
        ids = torch.as_tensor(seq)
        with torch.no_grad():
            p_full = float(torch.sigmoid(model(ids[None], torch.tensor([len(ids)]))))
        predicted = int(p_full >= 0.5)
        p_pred = p_full if predicted else 1 - p_full
        sign = 1 if predicted else -1
        for m, fn in methods.items():
            start = time.perf_counter()
            scores = fn(ids)
            secs[m] += time.perf_counter() - start
            order = np.argsort(-sign * scores, kind="stable")  # most in favour of the predicted class first
            probs = erased_probs(model, ids, order, predicted)
            comp[m].append(p_pred - probs[0::2])
            suff[m].append(p_pred - probs[1::2])
        if (n + 1) % 50 == 0:
            print(f"... {n + 1} reviews", flush=True)
    head = " | ".join(f"comp {int(k * 100)}%" for k in KS) + " | " + " | ".join(f"suff {int(k * 100)}%" for k in KS)
    print(f"\n{args.reviews} test reviews; higher comprehensiveness and lower sufficiency are better")
    print(f"| method | {head} | ms per review |")
    print("|---" * (2 * len(KS) + 2) + "|")
    for m in methods:
        cm, sm = np.mean(comp[m], axis=0), np.mean(suff[m], axis=0)
        print(f"| {m} | " + " | ".join(f"{x:.3f}" for x in cm) + " | " + " | ".join(f"{x:.3f}" for x in sm)
              + f" | {1e3 * secs[m] / args.reviews:.1f} |")


if __name__ == "__main__":
    main()
