"""The BiLSTM on the CPU: each direction of each layer over a right-padded batch instead of packing, and
denormal floats flushed to zero so that the backward pass runs at the kernel's speed on every CPU."""

from __future__ import annotations

import functools

import torch
from torch import nn


def right_padded_states(lstm: nn.LSTM, x: torch.Tensor, lengths: torch.Tensor, training: bool,
                        separate_directions: bool = False) -> torch.Tensor:
    """(B, T, E) right-padded inputs -> (B, T, 2H) outputs of a bidirectional `lstm`, equal to its packed result.

    PyTorch's CPU LSTM is 3-30x slower on packed batches, so each direction of each layer runs as a one-way LSTM
    over a right-padded batch, the backward one over each review reversed within its length: padding only ever
    comes after a review's real tokens and cannot change their states. Same weights (`lstm`'s own). With
    `separate_directions`, layers above the first see zeros in place of the other direction's half.
    """
    B, T, _ = x.shape
    H = lstm.hidden_size
    steps = torch.arange(T, device=x.device)[None, :]  # (1, T)
    lengths = lengths.to(x.device)[:, None]  # (B, 1)
    real = steps < lengths  # (B, T)
    reverse = torch.where(real, lengths - 1 - steps, steps)[..., None]  # (B, T, 1): flips each real prefix
    out = x
    for layer in range(lstm.num_layers):
        if layer:
            out = nn.functional.dropout(out, lstm.dropout, training)
        forward_in = backward_in = out
        if layer and separate_directions:
            zeros = torch.zeros_like(out[..., :H])
            forward_in, backward_in = torch.cat([out[..., :H], zeros], 2), torch.cat([zeros, out[..., H:]], 2)
        forward = _one_way(lstm, forward_in, layer, "")  # (B, T, H)
        backward = _one_way(lstm, backward_in.gather(1, reverse.expand_as(backward_in)), layer, "_reverse")
        out = torch.cat([forward, backward.gather(1, reverse.expand(B, T, H))], dim=2)  # (B, T, 2H)
    return out * real[..., None]  # zeros at padding, as pad_packed_sequence gives


def _one_way(lstm: nn.LSTM, x: torch.Tensor, layer: int, suffix: str) -> torch.Tensor:
    """One direction of one layer of `lstm`, as a one-layer, one-way LSTM over (B, T, in)."""
    weights = {f"{n}_l0": getattr(lstm, f"{n}_l{layer}{suffix}")
               for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    return torch.func.functional_call(_shell(x.shape[2], lstm.hidden_size), weights, (x,))[0]


@functools.lru_cache(maxsize=None)
def _shell(input_size: int, hidden_size: int) -> nn.LSTM:
    """A one-way LSTM whose own weights are never used: on the meta device, no memory and no random draws."""
    return nn.LSTM(input_size, hidden_size, batch_first=True, device="meta")


def flush_denormals() -> bool:
    """Flush denormal floats to zero in torch's CPU threads; True when every thread it computes on now does.

    An LSTM's gradients shrink at every step back through time, and with the loss on the last states (the
    tutorial's pooling) about one in eight of them falls below 1.2e-38, where floats become denormal. Many
    x86 cores compute on denormals through microcode assists tens of times slower than the ordinary path,
    which made the backward pass of whole training steps several times slower there; others (such as AMD's
    Zen) barely slow down. Flushed, such a value is 0: the difference is below anything a float32 model can
    resolve. The setting holds for the calling thread and the threads it starts later, so call this before
    the first parallel operation of the process; the check says whether torch's worker threads took it.
    """
    if not torch.set_flush_denormal(True):  # a CPU without the instructions for it
        return False
    per_thread = 1 << 16  # above torch's grain size, so that every worker thread gets a share
    probe = torch.full((per_thread * torch.get_num_threads(),), 1e-20) * 1e-20  # 1e-40: denormal unless flushed
    return not bool(probe.any())
