"""What `explain()` returns, and the per-token shares read from the LSTM's top-layer states, adding up exactly to
the model's logit (word relevance, which carries them down to the words, is in relevance.py).

The output is linear in the pooled features, logit = b + w . features, so each pooling splits exactly:

- last: the forward state's score s_t = w_f . h_t (s_0 = 0) telescopes, s_T = sum_t (s_t - s_{t-1}); the
  backward state likewise, read right to left. Token t gets (s_t - s_{t-1}) + (r_t - r_{t+1}).
- mean: token t gets w . h_t / T.
- max: each unit's maximum is one token's state; that token gets w_j . h_tj for every unit j whose max it holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from .model import BiLSTMClassifier, real_tokens


def label_of(probability: float) -> str:
    """The verdict for P(positive): positive from 0.5 up."""
    return "positive" if probability >= 0.5 else "negative"


@dataclass
class Unit:
    """A top-layer hidden unit and its activation at every token."""

    index: int  # 0..2H-1: forward units first, then backward
    direction: str  # "forward" or "backward"
    contribution: float  # its weight x pooled activation, in logit units
    activations: list[float]


@dataclass
class Explanation:
    """Why the model decided as it did, two ways, each adding up exactly to the logit:

    - `contributions`: each word's relevance, carried down from the output through the whole LSTM to the words
      (relevance.py); `bias + sum(contributions) == logit`, where `bias` holds the output layer's bias and the
      bias terms' shares inside the LSTM (`step_bias`, one per token).
    - `state_contributions`: each token's share read from the top layer's states (the shares below);
      `state_bias + sum(state_contributions) == logit`, with `state_bias` the output layer's bias.
    """

    text: str
    tokens: list[str]
    spans: list[tuple[int, int]]
    contributions: list[float]
    bias: float
    logit: float
    probability: float
    state_contributions: list[float] = field(default_factory=list)
    state_bias: float = 0.0
    step_bias: list[float] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    truncated: bool = False
    unknown_share: float = 0.0

    @property
    def label(self) -> str:
        return label_of(self.probability)

    def curve(self, view: str = "words") -> list[float]:
        """P(positive) while reading: sigmoid of the output layer's bias plus, token by token, the scores shown in
        `view` ("words": each word's relevance and its steps' bias shares; "states": the state shares); it ends at
        `probability`."""
        steps = (self.state_contributions if view == "states"
                 else [c + b for c, b in zip(self.contributions, self.step_bias)])
        out, total = [], self.state_bias
        for s in steps:
            total += s
            out.append(_sigmoid(total))
        return out

    @property
    def reading_curve(self) -> list[float]:
        return self.curve("words")


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


def unit_shares(model: BiLSTMClassifier, states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(B, T, 2H): each top-layer unit's share of logit - bias, at the tokens the pooling credits it to: w_j h_tj at
    the token holding unit j's max; w_j h_tj / T at every token for mean pooling; for "last", w_j h_Tj at the last
    token (forward units) and at the first (backward units). Layer-wise relevance propagation starts here."""
    w = model.fc.weight[0].to(states.dtype)
    D = states.shape[2]
    real = real_tokens(states, lengths)[..., None]
    out = torch.zeros_like(states)
    pooling = model.config.pooling
    if pooling == "last":
        H = D // 2
        rows = torch.arange(states.shape[0], device=states.device)
        last = (lengths - 1).to(states.device)
        out[rows, last, :H] = w[:H] * states[rows, last, :H]
        out[:, 0, H:] = w[H:] * states[:, 0, H:]
        return out
    if "max" in pooling:
        values, where = states.masked_fill(~real, float("-inf")).max(dim=1)  # (B, D)
        out.scatter_add_(1, where[:, None, :], (values * w[:D])[:, None, :])
    if "mean" in pooling:
        w_mean = w[D:] if pooling == "max+mean" else w
        out += states * real * w_mean / lengths[:, None, None].to(states.device, states.dtype)
    return out


def shares(model: BiLSTMClassifier, states: torch.Tensor, lengths: torch.Tensor) -> Decomposition:
    """The top layer's (B, T, 2H) outputs -> the logits and each token's exact share of them (no LSTM pass)."""
    features = model.pool(states, lengths)  # (B, F)
    logits = model.head(features)  # (B,)
    # Summing in float64 keeps the parts within 1e-6 of the logit even for long reviews.
    s64 = states.double()
    if model.config.pooling == "last":  # telescoping, so that the shares follow the reading
        contributions = _last(s64, lengths, model.fc.weight[0].double())
    else:
        contributions = unit_shares(model, s64, lengths).sum(-1)
    return Decomposition(states, contributions.float(), float(model.fc.bias[0]), logits, features)


@torch.no_grad()
def decompose(model: BiLSTMClassifier, ids: torch.Tensor, lengths: torch.Tensor) -> Decomposition:
    """One forward pass (eval mode) giving the logits and each token's exact share of them."""
    model.eval()
    return shares(model, model.token_states(ids, lengths), lengths)


def unit_contributions(model: BiLSTMClassifier, features: torch.Tensor) -> torch.Tensor:
    """(F,) features of one review -> (2H,) each top-layer unit's weight x pooled activation, summed over its copies."""
    D = 2 * model.config.hidden_size
    return (model.fc.weight[0] * features).reshape(-1, D).sum(dim=0)  # (copies, 2H) -> (2H,)


def _sigmoid(x: float) -> float:
    """1 / (1 + e^-x) without overflow for any float (a running sum can pass math.exp's range of about +-709)."""
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
