"""What adversarial training costs per step on the CPU: one optimizer step of the default preset's model with
the plain objective, with AT (and with AT computed the long way, its perturbation from a forward and backward
pass of its own), with AT + VAT, and with AT + VAT + VAT and entropy on a batch of unlabelled reviews,
on the same batches of real training reviews, the objectives taking turns; printed as seconds and as multiples of
the plain step. Plan CPU runs with these multiples."""

from dataclasses import replace

import numpy as np
import torch
from torch.nn import functional as F

from common import corpus, data_args, median, timed_in_turn
from sentiment.adversarial import adversarial_objective, at_perturbation
from sentiment.config import AdversarialConfig, preset
from sentiment.cpu_lstm import prepare_for_training
from sentiment.data import encode_rows
from sentiment.model import BiLSTMClassifier
from sentiment.training import Step, classify


def at_long_way(epsilon: float):
    """AT with the perturbation's gradient from a forward and backward pass apart from the clean loss's."""

    def objective(model, b) -> Step:
        s = model.embed(b.ids)
        loss = F.binary_cross_entropy_with_logits(model.logits_from_embeddings(s, b.lengths), b.labels,
                                                  reduction="sum")
        r = at_perturbation(model, s, b.lengths, b.labels, epsilon)
        adversarial = model.logits_from_embeddings(s + r, b.lengths)
        loss = loss + F.binary_cross_entropy_with_logits(adversarial, b.labels, reduction="sum")
        return Step(loss, 0, len(b.labels))

    return objective


def main():
    p = data_args(__doc__)
    p.add_argument("--repeat", type=int, default=5, help="timed steps per objective")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--unlabelled-batch-size", type=int, default=64)
    p.add_argument("--epsilon", type=float, default=5.0)
    args = p.parse_args()
    print(prepare_for_training())
    c = corpus(args, ("train", "test", "unsup"))
    cfg = preset("default")
    counts = c.type_counts(np.arange(len(c.splits["train"])))
    vocab, table = c.vocab(cfg.max_words, counts)
    rng = np.random.default_rng(0)
    labelled = encode_rows(c, "train", rng.choice(len(c.splits["train"]), args.batch_size, replace=False), table,
                           cfg.model)
    unlabelled = encode_rows(c, "unsup", rng.choice(len(c.splits["unsup"]), args.unlabelled_batch_size,
                                                    replace=False), table, cfg.model)
    batch = next(labelled.batches(args.batch_size, shuffle=False))
    batch = replace(batch, unlabelled=next(unlabelled.batches(args.unlabelled_batch_size, shuffle=False)))
    plain_batch = replace(batch, unlabelled=None)
    torch.manual_seed(0)
    model = BiLSTMClassifier(replace(cfg.model, vocab_size=len(vocab), normalize_embeddings=True)).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    eps = args.epsilon
    objectives = {
        "plain": (classify, plain_batch),
        f"AT (epsilon {eps:g})": (adversarial_objective(AdversarialConfig(at_epsilon=eps)), plain_batch),
        "AT the long way": (at_long_way(eps), plain_batch),
        "AT + VAT": (adversarial_objective(AdversarialConfig(at_epsilon=eps, vat_epsilon=eps)), plain_batch),
        f"AT + VAT, + {args.unlabelled_batch_size} unlabelled (VAT, entropy)": (adversarial_objective(
            AdversarialConfig(at_epsilon=eps, vat_epsilon=eps, unlabelled_batch_size=args.unlabelled_batch_size,
                              entropy_weight=1.0)), batch),
    }

    def step(objective, b):
        def run():
            optimizer.zero_grad(set_to_none=True)
            s = objective(model, b)
            (s.loss_sum / s.predictions).backward()
            optimizer.step()
        return run

    tokens = int(batch.lengths.sum())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.batch_size} training reviews "
          f"({tokens:,} tokens), default preset's model with normalised embeddings (vocabulary {len(vocab):,})")
    times = timed_in_turn([step(*o) for o in objectives.values()], args.repeat)
    plain = median(times[0])
    for name, t in zip(objectives, times):
        print(f"  {name:55s} {median(t):6.2f} s per step  {median(t) / plain:4.2f}x plain")


if __name__ == "__main__":
    main()
