"""Faithfulness of token highlights on test reviews, every method on the same reviews in one run: word relevance
(LRP, what the page shows), the top layer's state shares (the page's second view), gradient x input, Integrated
Gradients (20 and 50 steps), occlusion (each token deleted in turn: the metric's own upper reference) and random,
by ERASER's comprehensiveness and sufficiency (DeYoung et al. 2020), with time per review. Methods take turns on
each review, so that a busier spell of the machine slows them alike. Each method's comprehensiveness is also given
as a difference to word relevance's on the same reviews, with the paired standard error, to tell a gap from noise;
`--methods` runs a subset (e.g. `relevance,ig20` for that one comparison, about a ninth of the time)."""

import time

import numpy as np
import torch

from common import corpus, data_args, paired_se
from sentiment import load_model
from sentiment.batching import collate
from sentiment.data import encode_rows, vocab_table
from sentiment.explain import decompose
from sentiment.relevance import word_relevance

KS = (0.05, 0.10, 0.20)


def state_shares(model, ids):
    d = decompose(model, ids[None], torch.tensor([len(ids)]))
    return d.contributions[0].double().numpy()


def relevance(model, ids):
    return word_relevance(model, ids[None], torch.tensor([len(ids)])).words[0].numpy()


def grad_x_input(model, ids):
    emb = model.embed(ids[None]).detach().requires_grad_(True)
    model.logits_from_embeddings(emb, torch.tensor([len(ids)])).sum().backward()
    return (emb.grad * emb).sum(-1)[0].detach().double().numpy()


def integrated_gradients(model, ids, steps: int):
    """Riemann (midpoint) IG from an all-zero embedding baseline, the interpolations run as one batch."""
    emb = model.embed(ids[None]).detach()  # (1, T, E)
    alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
    path = (alphas[:, None, None] * emb).requires_grad_(True)  # (S, T, E)
    lengths = torch.full((steps,), len(ids))
    model.logits_from_embeddings(path, lengths).sum().backward()
    return (path.grad.mean(0) * emb[0]).sum(-1).detach().double().numpy()


@torch.no_grad()
def occlusion(model, ids, batch_size: int = 128):
    """Each token's score: the logit minus the logit with that token deleted; the T shortened reviews run in
    batches (all of one length, so without padding)."""
    T = len(ids)
    full = float(model(ids[None], torch.tensor([T])))
    if T == 1:
        return np.array([full])
    shortened = ids.expand(T, T)[~torch.eye(T, dtype=torch.bool)].view(T, T - 1)  # row i: ids without token i
    logits = torch.cat([model(chunk, torch.full((len(chunk),), T - 1)) for chunk in shortened.split(batch_size)])
    return (full - logits).double().numpy()


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
    p.add_argument("--ig-steps", default="20,50", help="Integrated Gradients interpolation steps, one row each")
    p.add_argument("--methods", help="comma-separated subset of: relevance, shares, gxi, ig<steps> (one of "
                                     "--ig-steps), occlusion, random (default: all)")
    args = p.parse_args()
    clf = load_model(args.model)
    model = clf.model
    c = corpus(args)
    test = c.splits["test"]
    rows = np.random.default_rng(0).choice(len(test), args.reviews, replace=False)
    reviews = encode_rows(c, "test", rows, vocab_table(c, clf.vocab), clf.config)  # truncated as the model reads
    methods = {"relevance": ("word relevance (LRP; the page's default)", lambda ids: relevance(model, ids)),
               "shares": ("state shares (top layer; the page's second view)", lambda ids: state_shares(model, ids)),
               "gxi": ("gradient x input", lambda ids: grad_x_input(model, ids))}
    for steps in map(int, args.ig_steps.split(",")):
        methods[f"ig{steps}"] = (f"integrated gradients ({steps} steps)",
                                 lambda ids, steps=steps: integrated_gradients(model, ids, steps))
    methods["occlusion"] = ("occlusion (one token deleted at a time)", lambda ids: occlusion(model, ids))
    methods["random"] = ("random", lambda ids: rng.normal(size=len(ids)))
    if args.methods:
        chosen = [m.strip() for m in args.methods.split(",")]
        unknown = [m for m in chosen if m not in methods]
        if unknown:
            p.error(f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(methods)}")
        methods = {m: methods[m] for m in chosen}
    reference = methods["relevance"][0] if "relevance" in methods else None  # the others are compared with it
    methods = dict(methods.values())  # label -> scoring function
    rng = np.random.default_rng(1)
    comp = {m: [] for m in methods}
    suff = {m: [] for m in methods}
    secs = {m: 0.0 for m in methods}
    confidence = []  # P(predicted class) on each whole review
    for n, seq in enumerate(reviews.seqs):
        ids = torch.as_tensor(seq)
        with torch.no_grad():
            p_full = float(torch.sigmoid(model(ids[None], torch.tensor([len(ids)]))))
        predicted = int(p_full >= 0.5)
        p_pred = p_full if predicted else 1 - p_full
        confidence.append(p_pred)
        sign = 1 if predicted else -1
        for m, fn in methods.items():
            start = time.perf_counter()
            scores = fn(ids)
            secs[m] += time.perf_counter() - start
            order = np.argsort(-sign * scores, kind="stable")  # most in favour of the predicted class first
            probs = erased_probs(model, ids, order, predicted)
            comp[m].append(p_pred - probs[0::2])
            suff[m].append(p_pred - probs[1::2])
        if (n + 1) % 100 == 0 or n + 1 == len(reviews.seqs):  # a table every 100 reviews: a long run's partial result
            table(methods, comp, suff, secs, confidence, reference)


def table(methods, comp, suff, secs, confidence: list[float], reference: str | None):
    n = len(confidence)
    head = " | ".join(f"comp {int(k * 100)}%" for k in KS) + " | " + " | ".join(f"suff {int(k * 100)}%" for k in KS)
    print(f"\n{n} test reviews; higher comprehensiveness and lower sufficiency are better")
    print(f"| method | {head} | ms per review |")
    print("|---" * (2 * len(KS) + 2) + "|")
    for m in methods:
        cm, sm = np.mean(comp[m], axis=0), np.mean(suff[m], axis=0)
        print(f"| {m} | " + " | ".join(f"{x:.3f}" for x in cm) + " | " + " | ".join(f"{x:.3f}" for x in sm)
              + f" | {1e3 * secs[m] / n:.1f} |", flush=True)
    print(f"sufficiency's floor on these reviews: {np.mean(confidence) - 1:.3f} (mean P(predicted class) - 1: the kept "
          "words alone at P = 1); a method at the floor cannot be told from another at it", flush=True)
    if reference is None or len(methods) < 2 or n < 2:
        return
    print("comprehensiveness of word relevance minus each method's, on the same reviews (paired standard error)")
    for m in methods:
        if m != reference:
            d = np.asarray(comp[reference]) - np.asarray(comp[m])  # (reviews, len(KS))
            print(f"  {m}: " + " | ".join(f"{int(k * 100)}% {x:+.3f} ({e:.3f})"
                                          for k, x, e in zip(KS, d.mean(axis=0), paired_se(d))), flush=True)


if __name__ == "__main__":
    main()
