"""Per-token contributions read from the LSTM's hidden states, adding up exactly to the model's logit.

The output is linear in the pooled features, logit = b + w . features, so each pooling splits exactly:

- last: the forward state's score s_t = w_f . h_t (s_0 = 0) telescopes, s_T = sum_t (s_t - s_{t-1}); the
  backward state likewise, read right to left. Token t gets (s_t - s_{t-1}) + (r_t - r_{t+1}).
- mean: token t gets w . h_t / T.
- max: each unit's maximum is one token's state; that token gets w_j . h_tj for every unit j whose max it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .model import BiLSTMClassifier, real_tokens


@dataclass
class Unit:
    """A top-layer hidden unit and its activation at every token."""

    index: int  # 0..2H-1: forward units first, then backward
    direction: str  # "forward" or "backward"
    contribution: float  # its weight x pooled activation, in logit units
    activations: list[float]


@dataclass
class Explanation:
    """Why the model decided as it did: `bias + sum(contributions) == logit`."""

    text: str
    tokens: list[str]
    spans: list[tuple[int, int]]
    contributions: list[float]
    bias: float
    logit: float
    probability: float
    reading_curve: list[float]
    units: list[Unit] = field(default_factory=list)
    truncated: bool = False
    unknown_share: float = 0.0

    @property
    def label(self) -> str:
        return "positive" if self.probability >= 0.5 else "negative"


@dataclass
class Decomposition:
    states: torch.Tensor  # (B, T, 2H) top-layer outputs
    contributions: torch.Tensor  # (B, T) logit units, zero at padding
    bias: float
    logits: torch.Tensor  # (B,) the model's own output
    features: torch.Tensor  # (B, F) pooled features


def _masked(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    return x * real_tokens(x, lengths)


def _last(states, lengths, w):
    H = states.shape[2] // 2
    fwd = _masked(states[..., :H] @ w[:H], lengths)  # (B, T): s_t
    bwd = _masked(states[..., H:] @ w[H:], lengths)  # (B, T): r_t
    fwd_delta = fwd - torch.nn.functional.pad(fwd, (1, 0))[:, :-1]  # s_t - s_{t-1}
    bwd_delta = bwd - torch.nn.functional.pad(bwd, (0, 1))[:, 1:]  # r_t - r_{t+1}; zero beyond the end
    return _masked(fwd_delta + bwd_delta, lengths)


def _mean(states, lengths, w):
    return _masked(states @ w, lengths) / lengths[:, None].to(states.device, states.dtype)


def _max(states, lengths, w):
    masked = states.masked_fill(~real_tokens(states, lengths)[..., None], float("-inf"))
    values, where = masked.max(dim=1)  # (B, 2H): each unit's max and the token holding it
    out = torch.zeros(states.shape[:2], dtype=states.dtype, device=states.device)
    return out.scatter_add_(1, where, values * w)  # (B, T)


@torch.no_grad()
def decompose(model: BiLSTMClassifier, ids: torch.Tensor, lengths: torch.Tensor) -> Decomposition:
    """One forward pass (eval mode) giving the logits and each token's exact share of them."""
    states = model.token_states(ids, lengths)  # (B, T, 2H)
    features = model.pool(states, lengths)  # (B, F)
    logits = model.head(features)  # (B,)
    w = model.fc.weight[0]  # (F,)
    D = states.shape[2]
    # Summing in float64 keeps the parts within 1e-6 of the logit even for long reviews.
    s64, w64 = states.double(), w.double()
    pooling = model.config.pooling
    if pooling == "last":
        contributions = _last(s64, lengths, w64)
    elif pooling == "mean":
        contributions = _mean(s64, lengths, w64)
    elif pooling == "max":
        contributions = _max(s64, lengths, w64)
    else:  # max+mean: features are [max, mean]
        contributions = _max(s64, lengths, w64[:D]) + _mean(s64, lengths, w64[D:])
    return Decomposition(states, contributions.float(), float(model.fc.bias[0]), logits, features)


def unit_contributions(model: BiLSTMClassifier, features: torch.Tensor) -> torch.Tensor:
    """(F,) features of one review -> (2H,) each top-layer unit's weight x pooled activation, summed over its copies."""
    D = 2 * model.config.hidden_size
    return (model.fc.weight[0] * features).reshape(-1, D).sum(dim=0)  # (copies, 2H) -> (2H,)
