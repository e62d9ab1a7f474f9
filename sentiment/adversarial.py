"""Adversarial and virtual adversarial training on the word embeddings (Miyato, Dai and Goodfellow, ICLR 2017).

Both add a loss on a perturbed copy of each review's embedding sequence s (B, T, E), the perturbation r having L2
norm epsilon over the whole sequence of one review (zero at padding):

- AT: r = epsilon g / ||g||, g the gradient of the classification loss with respect to s: the small change that
  raises the loss most, to first order. Loss: cross-entropy of the true label at s + r.
- VAT: r = epsilon g / ||g||, g the gradient with respect to d of KL(p(s) || p(s + d)) at d = xi u / ||u||, u
  random (one power iteration towards the direction that changes the prediction most). Loss: KL(p(s) || p(s + r)),
  with p(s) held fixed. It needs no label, so it also runs on unlabelled reviews.
- Entropy minimisation (Sachan et al. 2019) on unlabelled reviews: the mean binary entropy of their predictions.
- Distillation (distill.py) on unlabelled reviews whose labels hold teachers' probabilities: the cross-entropy of
  the predictions against them.

Use the model's normalised embeddings (ModelConfig.normalize_embeddings), as the paper does, so that epsilon is
measured against word vectors of unit variance.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from .config import AdversarialConfig
from .model import BiLSTMClassifier, real_tokens
from .training import Step, count_correct


def per_review_unit(g: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(B, T, E) -> the same direction with L2 norm 1 over each review's real tokens, zero at padding."""
    g = g * real_tokens(g, lengths)[..., None]
    return g / g.flatten(1).norm(dim=1).clamp_min(1e-12)[:, None, None]


def bernoulli_kl(p_logits: torch.Tensor, q_logits: torch.Tensor) -> torch.Tensor:
    """(B,) KL(Bernoulli(sigmoid(p)) || Bernoulli(sigmoid(q))), computed from logits without overflow."""
    p = torch.sigmoid(p_logits)
    return (p * (F.logsigmoid(p_logits) - F.logsigmoid(q_logits))
            + (1 - p) * (F.logsigmoid(-p_logits) - F.logsigmoid(-q_logits)))


def at_perturbation(model: BiLSTMClassifier, s: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor,
                    epsilon: float) -> torch.Tensor:
    """The AT perturbation of embeddings `s` (detached): epsilon along the loss gradient, per review. (Training
    gets the same gradient from the clean loss's own backward pass: see `adversarial_objective`.)"""
    s = s.detach().requires_grad_(True)
    loss = F.binary_cross_entropy_with_logits(model.logits_from_embeddings(s, lengths), labels, reduction="sum")
    (g,) = torch.autograd.grad(loss, s)
    return epsilon * per_review_unit(g, lengths)


def vat_perturbation(model: BiLSTMClassifier, s: torch.Tensor, lengths: torch.Tensor, clean: torch.Tensor,
                     epsilon: float, xi: float) -> torch.Tensor:
    """The VAT perturbation of embeddings `s` (detached), from the clean logits `clean`: one power iteration."""
    s = s.detach()
    d = (xi * per_review_unit(torch.randn_like(s), lengths)).requires_grad_(True)
    kl = bernoulli_kl(clean.detach(), model.logits_from_embeddings(s + d, lengths)).sum()
    (g,) = torch.autograd.grad(kl, d)
    return epsilon * per_review_unit(g, lengths)


def adversarial_objective(cfg: AdversarialConfig, distill_weight: float = 0.0):
    """An objective for training.run_epoch: the classification loss plus the AT, VAT and entropy terms `cfg`
    asks for, each summed over its reviews (VAT on the labelled batch and on `batch.unlabelled` if any), and with
    `distill_weight` the distillation term on `batch.unlabelled`, whose labels are then the teachers' probabilities.

    With AT, it runs the clean loss's backward pass itself (scaled as run_epoch scales the rest): that one pass
    gives the parameters' gradients and the gradient at the embeddings that `at_perturbation` would compute with
    a forward and a backward pass of its own, as Miyato et al.'s code does. The loss it returns holds the clean
    part detached, so that its gradient is not added twice.
    """

    def objective(model: BiLSTMClassifier, batch) -> Step:
        s = model.embed(batch.ids)
        logits = model.logits_from_embeddings(s, batch.lengths).float()
        loss = F.binary_cross_entropy_with_logits(logits, batch.labels, reduction="sum")
        if cfg.at_epsilon and torch.is_grad_enabled():
            s.retain_grad()
            (loss / len(batch.labels)).backward()
            r = cfg.at_epsilon * per_review_unit(s.grad, batch.lengths)
            s = model.embed(batch.ids)  # a new graph from the embeddings, the first one being spent
            adversarial = model.logits_from_embeddings(s + r, batch.lengths).float()
            loss = loss.detach() + F.binary_cross_entropy_with_logits(adversarial, batch.labels, reduction="sum")
            logits = logits.detach()
        if cfg.vat_epsilon:
            loss = loss + _vat(model, s, batch.lengths, logits, cfg)
        unlabelled = getattr(batch, "unlabelled", None)
        if unlabelled is not None:
            u = model.embed(unlabelled.ids)
            u_logits = model.logits_from_embeddings(u, unlabelled.lengths).float()
            n = len(unlabelled.lengths) / len(batch.lengths)  # in units of the labelled batch's mean
            if cfg.vat_epsilon:
                loss = loss + _vat(model, u, unlabelled.lengths, u_logits, cfg) / n
            if cfg.entropy_weight:
                p = torch.sigmoid(u_logits)
                entropy = -(p * F.logsigmoid(u_logits) + (1 - p) * F.logsigmoid(-u_logits))
                loss = loss + cfg.entropy_weight * entropy.sum() / n
            if distill_weight:
                soft = F.binary_cross_entropy_with_logits(u_logits, unlabelled.labels, reduction="sum")
                loss = loss + distill_weight * soft / n
        return Step(loss, count_correct(logits, batch.labels), len(batch.labels), logits)

    return objective


def _vat(model, s, lengths, clean, cfg: AdversarialConfig) -> torch.Tensor:
    r = vat_perturbation(model, s, lengths, clean, cfg.vat_epsilon, cfg.vat_xi)
    return bernoulli_kl(clean.detach(), model.logits_from_embeddings(s + r, lengths).float()).sum()
