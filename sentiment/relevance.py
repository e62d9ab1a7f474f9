"""Word relevance: the logit carried down through the BiLSTM to its input words by layer-wise relevance propagation
(Arras et al. 2017, "Explaining Recurrent Neural Network Predictions in Sentiment Analysis"), keeping the sum.

Rules ("signal-take-all"), for each direction of each layer, in its own reading order:
- top: each unit's share of the logit as the pooling gives it (explain.py): w_j h_tj at the token holding unit j's
  max, w_j h_tj / T for mean pooling, w_j h_Tj at the last state for "last";
- h_t = o_t tanh(c_t): all of R(h_t) goes to c_t (gates get none);
- c_t = f_t c_{t-1} + i_t g_t: R(c_t) splits between c_{t-1} and g_t as f_t c_{t-1} / s_t and i_t g_t / s_t, with
  s_t = sign(c_t) (|f_t c_{t-1}| + |i_t g_t|). Where the two agree in sign, s_t = c_t (plain proportions); where
  they cancel, dividing by c_t would pass on far more than R(c_t) (f_t c_{t-1} / c_t reaches 1e5 on repetitive text,
  and such gains compound over the steps into scores of 1e12), so the shares stay within 1 in magnitude and the
  rest, R(c_t) (1 - c_t / s_t), is the step's bias share;
- g_t = tanh(z_t), z_t = W_ig x_t + W_hg h_{t-1} + b_g: R(g_t) goes to z_t, which shares it among x_t, h_{t-1} and
  the bias as their parts of z_t over z_t + EPSILON sign(z_t) S_t, S_t the sum of the parts' absolute values (the
  epsilon rule, with epsilon relative to the parts). The hundreds of parts of z_t cancel often, and dividing by
  z_t alone passed such gains on too; the rest, R(g_t) (1 - z_t / that), is the step's bias share;
- a layer's input at token t is both directions' outputs of the layer below: its relevance goes back to both.
Summed over the embedding dimensions, the input relevance is each word's score; with the bias shares (of the
output layer, of every g_t and the rests of the two stabilised splits) the scores add up to the logit exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .cpu_lstm import one_way, reversed_positions
from .explain import unit_shares
from .model import BiLSTMClassifier, real_tokens

EPSILON = 0.01  # z_t's stabiliser, relative to the size of its parts (how it was chosen: README, word relevance)


@dataclass
class Relevance:
    words: torch.Tensor  # (B, T) float64, zero at padding
    step_bias: torch.Tensor  # (B, T) float64: the bias shares of each token's steps (both directions, all layers)
    bias: torch.Tensor  # (B,) float64: the output layer's bias plus all of step_bias
    logits: torch.Tensor  # (B,) the model's own logits
    states: torch.Tensor  # (B, T, 2H) the top layer's outputs they came from


def _ratio(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a / b, and 0 where b is 0 (an exact zero pre-activation carries no relevance)."""
    return torch.where(b == 0, 0.0, a / b)


def _weights(lstm, layer: int, rows: slice) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Both directions' weights for the gate rows `rows`, stacked (forward, backward): (2, G, D), (2, G, H),
    (2, G), in the model's dtype."""
    def get(name):
        return torch.stack([getattr(lstm, f"{name}_l{layer}{s}")[rows] for s in ("", "_reverse")])
    return get("weight_ih"), get("weight_hh"), get("bias_ih") + get("bias_hh")


def _layer(lstm, layer: int, x: torch.Tensor, lengths: torch.Tensor, flip: torch.Tensor) -> dict:
    """One layer, both directions at once, each over its (B, T, D) float32 inputs in its own reading order:
    tensors are (2, B, T, .), direction first.

    The hidden states come from the model's own one-way LSTM kernels. The gates are then recomputed from them in
    float32, as the kernel computed them, all steps at once; the cells' running sum and the shares run in float64,
    so that each step passes on exactly the relevance it received."""
    B, T, D = x.shape
    H = lstm.hidden_size
    x_read = torch.stack([x, x[torch.arange(B)[:, None], flip]])  # (2, B, T, D)
    h = torch.stack([one_way(lstm, x_read[0], layer, ""), one_way(lstm, x_read[1], layer, "_reverse")])
    h *= real_tokens(x, lengths)[..., None]  # padding (after the words in both orders) reads as 0
    h_prev = _previous(h)  # h_{t-1}
    w_ih, w_hh, b = _weights(lstm, layer, slice(0, 3 * H))  # gates i, f, g: o gets no relevance
    z = torch.baddbmm(b[:, None], x_read.view(2, B * T, D), w_ih.transpose(1, 2))
    z = z.baddbmm_(h_prev.view(2, B * T, H), w_hh.transpose(1, 2)).view(2, B, T, 3 * H)
    f = torch.sigmoid(z[..., H:2 * H]).double()
    ig = (torch.sigmoid(z[..., :H]) * torch.tanh(z[..., 2 * H:])).double()
    c = _cells(f, ig)
    kept = f * _previous(c)  # f_t c_{t-1}
    s = _sign(c) * (kept.abs() + ig.abs())  # s_t: at least |c_t|, and 0 only if both terms are
    w_g = [w[:, 2 * H:] for w in (w_ih, w_hh, b)]
    z_g = z[..., 2 * H:].double()
    parts = torch.baddbmm(w_g[2].abs()[:, None], x_read.view(2, B * T, D).abs(), w_g[0].abs().transpose(1, 2))
    parts = parts.baddbmm_(h_prev.view(2, B * T, H).abs(), w_g[1].abs().transpose(1, 2)).view(2, B, T, H)
    z_stable = z_g + EPSILON * _sign(z_g) * parts.double()
    return {"x": x_read, "h": h, "h_prev": h_prev, "to_prev": _ratio(kept, s), "per_z": _ratio(ig, s * z_stable),
            "to_bias": 1 - _ratio(c, s) + _ratio(ig, s) * (1 - _ratio(z_g, z_stable)), "w_g": w_g}


def _sign(x: torch.Tensor) -> torch.Tensor:
    """+1 or -1 (+1 at 0), the sign a stabilised denominator takes."""
    return torch.where(x < 0, -1.0, 1.0).to(x.dtype)


def _previous(x: torch.Tensor) -> torch.Tensor:
    """(2, B, T, .) -> the value one step earlier in each direction's reading order, zero before the first."""
    return torch.cat([torch.zeros_like(x[:, :, :1]), x[:, :, :-1]], 2)


def _cells(f: torch.Tensor, ig: torch.Tensor) -> torch.Tensor:
    """c_t = f_t c_{t-1} + i_t g_t over (2, B, T, H) gates: the one running sum of the recomputation."""
    c, f_t = _steps(ig), _steps(f)
    for t in range(1, len(c)):
        c[t] += f_t[t] * c[t - 1]
    return torch.from_numpy(c).to(ig.device).permute(1, 2, 0, 3)


def _steps(x: torch.Tensor) -> np.ndarray:
    """(2, B, T, .) -> a fresh (T, 2, B, .) NumPy array, for a loop over steps. Each step is a few operations on a
    few thousand numbers, where NumPy's cost per call is a fraction of torch's."""
    return x.detach().permute(2, 0, 1, 3).cpu().numpy().copy()


def _sweep(run: dict, r_h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Relevance of both directions' outputs (2, B, T, H), each in its reading order -> of their inputs
    (2, B, T, D) and the bias share at each step (2, B, T): the g gate's bias and the rests of the stabilised splits.

    Going back in time, R(c_t) = R(h_t) + f_{t+1} c_t / s_{t+1} R(c_{t+1}) + h_t (W_hg^T q_{t+1}), with
    q_t = R(c_t) i_t g_t / (s_t z_stable_t) the relevance per unit of z_t: a few operations per step, both
    directions at once. Everything else is computed for all steps together."""
    w_ig, w_hg, b_g = run["w_g"]  # (2, H, D), (2, H, H), (2, H)
    r_c = _steps(r_h)  # (T, 2, B, H): R(h_t) now, R(c_t) once the sweep has passed t
    to_prev, per_z, h_prev = _steps(run["to_prev"]), _steps(run["per_z"]), _steps(run["h_prev"])
    w = w_hg.detach().cpu().numpy()
    # The product with W_hg, the one matrix product per step, runs in float32 as in the model (in half the time);
    # the sum stays exact to the same 1e-5, since the gates are float32 to begin with.
    q, through_h, through = np.empty_like(r_c), np.empty_like(r_c[0], np.float32), np.empty_like(r_c[0])
    for t in range(len(r_c) - 1, 0, -1):
        np.matmul(np.multiply(r_c[t], per_z[t], out=q[t]).astype(np.float32), w, out=through_h)
        r_c[t - 1] += np.multiply(through_h, h_prev[t], out=through)
        r_c[t - 1] += np.multiply(r_c[t], to_prev[t], out=through)
    np.multiply(r_c[0], per_z[0], out=q[0])
    q = torch.from_numpy(q).to(w_ig.device).permute(1, 2, 0, 3)  # (2, B, T, H)
    B, T, H, D = q.shape[1], q.shape[2], q.shape[3], w_ig.shape[2]
    r_x = torch.bmm(q.reshape(2, B * T, H), w_ig.double()).view(2, B, T, D) * run["x"].double()
    r_c = torch.from_numpy(r_c).to(w_ig.device).permute(1, 2, 0, 3)
    return r_x, (q * b_g.double()[:, None, None] + r_c * run["to_bias"]).sum(3)


@torch.inference_mode()
def word_relevance(model: BiLSTMClassifier, ids: torch.Tensor, lengths: torch.Tensor) -> Relevance:
    """Each word's relevance for the logit (eval mode); words + bias == logit."""
    model.eval()
    lstm, lengths = model.lstm, lengths.cpu()
    B, T = ids.shape
    flip = reversed_positions(lengths, T)
    rows = torch.arange(B)[:, None]
    x = model.embed(ids)  # (B, T, E)
    runs = []
    for layer in range(lstm.num_layers):
        run = _layer(lstm, layer, x, lengths, flip)
        runs.append(run)
        x = torch.cat([run["h"][0], run["h"][1][rows, flip]], 2)  # (B, T, 2H) in token order: the next input
    logits = model.head(model.pool(x, lengths))  # the model's own output, from the same states
    relevance = unit_shares(model, x.double(), lengths)  # (B, T, 2H) on the top layer's outputs
    step_bias = torch.zeros(B, T, dtype=torch.float64)
    H = lstm.hidden_size
    for run in reversed(runs):
        r_x, b = _sweep(run, torch.stack([relevance[..., :H], relevance[..., H:][rows, flip]]))
        relevance = r_x[0] + r_x[1][rows, flip]  # the layer's input at each token, from both directions
        step_bias += b[0] + b[1][rows, flip]
    real = real_tokens(ids, lengths)
    step_bias *= real
    words = relevance.sum(-1) * real
    return Relevance(words, step_bias, float(model.fc.bias) + step_bias.sum(1), logits, x)
