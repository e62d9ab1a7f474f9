"""Word relevance: the logit carried down through the BiLSTM to its input words by layer-wise relevance propagation
(Arras et al. 2017, "Explaining Recurrent Neural Network Predictions in Sentiment Analysis"), keeping the sum.

Rules (epsilon -> 0, "signal-take-all"), for each direction of each layer, in its own reading order:
- top: each unit's share of the logit as the pooling gives it (explain.py): w_j h_tj at the token holding unit j's
  max, w_j h_tj / T for mean pooling, w_j h_Tj at the last state for "last";
- h_t = o_t tanh(c_t): all of R(h_t) goes to c_t (gates get none);
- c_t = f_t c_{t-1} + i_t g_t: R(c_t) splits between c_{t-1} and g_t in proportion to f_t c_{t-1} and i_t g_t;
- g_t = tanh(z_t), z_t = W_ig x_t + W_hg h_{t-1} + b_g: R(g_t) goes to z_t, which shares it among x_t, h_{t-1} and
  the bias in proportion to their parts of z_t;
- a layer's input at token t is both directions' outputs of the layer below: its relevance goes back to both.
Summed over the embedding dimensions, the input relevance is each word's score; with the bias shares (of the
output layer and of every g_t) the scores add up to the logit exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .cpu_lstm import one_way, reversed_positions
from .model import BiLSTMClassifier, real_tokens


@dataclass
class Relevance:
    words: torch.Tensor  # (B, T) float64, zero at padding
    bias: torch.Tensor  # (B,) float64: the output layer's bias plus every g gate's bias share
    logits: torch.Tensor  # (B,) the model's own logits


def _ratio(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a / b, and 0 where b is 0 (an exact zero pre-activation carries no relevance)."""
    return torch.where(b == 0, torch.zeros_like(a), a / torch.where(b == 0, torch.ones_like(b), b))


def _weights(lstm, layer: int):
    """Both directions' weights, stacked (forward, backward), in float64: (2, 4H, D), (2, 4H, H), (2, 4H)."""
    def get(name):
        return torch.stack([getattr(lstm, f"{name}_l{layer}{s}") for s in ("", "_reverse")]).double()
    return get("weight_ih"), get("weight_hh"), get("bias_ih") + get("bias_hh")


def _layer(lstm, layer: int, x: torch.Tensor, lengths: torch.Tensor, flip: torch.Tensor) -> dict:
    """One layer, both directions at once, each over its (B, T, D) float32 inputs in its own reading order.

    The hidden states come from the model's own one-way LSTM kernels; gates and cells are then recomputed from
    them in float64, all steps at once but the cell's running sum. Tensors are (2, B, T, .) or, for the steps
    the sweep reads one at a time, (T, 2, B, .)."""
    B, T, _ = x.shape
    rows = torch.arange(B)[:, None]
    x_back = x[rows, flip]
    h32 = torch.stack([one_way(lstm, x, layer, ""), one_way(lstm, x_back, layer, "_reverse")])  # (2, B, T, H)
    h32 = h32 * real_tokens(x, lengths)[None, ..., None]  # padding (after the words in both orders) reads as 0
    x_read = torch.stack([x, x_back])  # (2, B, T, D)
    h_prev = torch.nn.functional.pad(h32, (0, 0, 1, 0))[:, :, :T]  # (2, B, T, H): h_{t-1}, zero before the first
    w_ih, w_hh, b = _weights(lstm, layer)
    H = lstm.hidden_size
    # Gates i, f, g (o gets no relevance) as the kernel computed them, in float32; the shares below are ratios of
    # these, so their sums stay exact to float32 rounding, and the sweep itself runs in float64.
    z = (torch.einsum("dbtk,dgk->dbtg", x_read, w_ih[:, :3 * H].float())
         + torch.einsum("dbtk,dgk->dbtg", h_prev, w_hh[:, :3 * H].float()) + b[:, None, None, :3 * H].float())
    z = z.double()
    i, f = torch.sigmoid(z[..., :H]), torch.sigmoid(z[..., H:2 * H])
    z_g = z[..., 2 * H:3 * H]
    ig = i * torch.tanh(z_g)
    f_steps, ig_steps = f.permute(2, 0, 1, 3).contiguous(), ig.permute(2, 0, 1, 3).contiguous()  # (T, 2, B, H)
    c_steps = torch.empty_like(ig_steps)
    running = torch.zeros_like(ig_steps[0])
    for t in range(T):  # c_t = f_t c_{t-1} + i_t g_t
        running = torch.addcmul(ig_steps[t], f_steps[t], running)
        c_steps[t] = running
    c = c_steps.permute(1, 2, 0, 3)
    c_prev = torch.nn.functional.pad(c, (0, 0, 1, 0))[:, :, :T]
    per_z = _ratio(ig, c) * _ratio(torch.ones_like(z_g), z_g)  # R(c_t) -> R(z_g) / z_g

    def steps(a):
        return a.permute(2, 0, 1, 3).contiguous()

    return {"x": x_read.double(), "h": h32, "h_prev": steps(h_prev.double()), "to_prev": steps(_ratio(f * c_prev, c)),
            "per_z": steps(per_z), "w_ih": w_ih, "w_hh": w_hh, "b": b, "H": H}


def _sweep(run: dict, r_h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Relevance of both directions' outputs (2, B, T, H), each in its reading order -> of their inputs
    (2, B, T, D) and the bias shares (B,)."""
    H = run["H"]
    w_hg = run["w_hh"][:, 2 * H:3 * H]  # (2, H, H)
    to_prev, per_z, h_prev = run["to_prev"], run["per_z"], run["h_prev"]  # (T, 2, B, H)
    r_steps = r_h.permute(2, 0, 1, 3).contiguous()
    T = r_steps.shape[0]
    carry = torch.zeros_like(r_steps[0])  # relevance reaching c_t from step t + 1, through h_t and c_t
    carry_c = torch.zeros_like(carry)
    q = torch.empty_like(r_steps)  # R(z_g) / z_g at every step: the sweep's one quantity that needs the next step
    for t in range(T - 1, -1, -1):
        r_c = r_steps[t] + carry + carry_c  # all of R(h_t) goes to c_t
        carry_c = r_c * to_prev[t]
        q[t] = r_c * per_z[t]
        carry = torch.bmm(q[t], w_hg) * h_prev[t]
    q = q.permute(1, 2, 0, 3)  # (2, B, T, H)
    r_x = torch.einsum("dbtg,dgk->dbtk", q, run["w_ih"][:, 2 * H:3 * H]) * run["x"]
    return r_x, (q * run["b"][:, None, None, 2 * H:3 * H]).sum((0, 2, 3))


def top_relevance(model: BiLSTMClassifier, states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(B, T, 2H) float64: each top-layer unit's share of logit - bias, at the token the pooling credits."""
    w = model.fc.weight[0].double()
    D = states.shape[2]
    real = real_tokens(states, lengths)[..., None]
    out = torch.zeros_like(states)
    pooling = model.config.pooling
    if pooling == "last":
        H = D // 2
        rows = torch.arange(states.shape[0])
        out[rows, lengths - 1, :H] = w[:H] * states[rows, lengths - 1, :H]
        out[:, 0, H:] = w[H:] * states[:, 0, H:]
        return out
    if "max" in pooling:
        values, where = states.masked_fill(~real, float("-inf")).max(dim=1)  # (B, D)
        out.scatter_add_(1, where[:, None, :], (values * w[:D])[:, None, :])
    if "mean" in pooling:
        w_mean = w[D:] if pooling == "max+mean" else w
        out += states * real * w_mean / lengths[:, None, None].to(states.dtype)
    return out


@torch.no_grad()
def word_relevance(model: BiLSTMClassifier, ids: torch.Tensor, lengths: torch.Tensor) -> Relevance:
    """Each word's relevance for the logit (eval mode); words + bias == logit."""
    model.eval()
    lstm, lengths = model.lstm, lengths.cpu()
    B, T = ids.shape
    flip = reversed_positions(lengths, T)
    rows = torch.arange(B)[:, None]
    x = model.embedding(ids)  # (B, T, E)
    runs = []
    for layer in range(lstm.num_layers):
        run = _layer(lstm, layer, x, lengths, flip)
        runs.append(run)
        x = torch.cat([run["h"][0], run["h"][1][rows, flip]], 2)  # (B, T, 2H) in token order: the next input
    logits = model.head(model.pool(x, lengths))  # the model's own output, from the same states
    relevance = top_relevance(model, x.double(), lengths)  # (B, T, 2H) on the top layer's outputs
    bias = model.fc.bias.double().expand(B).clone()
    H = lstm.hidden_size
    for run in reversed(runs):
        r_x, b = _sweep(run, torch.stack([relevance[..., :H], relevance[..., H:][rows, flip]]))
        relevance = r_x[0] + r_x[1][rows, flip]  # the layer's input at each token, from both directions
        bias += b
    words = relevance.sum(-1) * real_tokens(ids, lengths)
    return Relevance(words, bias, logits)
