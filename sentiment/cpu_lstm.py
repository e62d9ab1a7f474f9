"""The BiLSTM on the CPU: each direction of each layer over a right-padded batch instead of packing; for training,
denormal floats flushed to zero and freed memory kept for reuse, so that steps run at the kernel's speed or better."""

from __future__ import annotations

import ctypes
import ctypes.util

import torch
from torch import nn

from .batching import to_device


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
    # whether to zero the padding, read on the CPU (on a GPU, reading `real` would wait for it); lengths that are on a
    # GPU already (a CUDA graph's buffers) are not read at all: zeroing where there is no padding changes nothing
    padded = lengths.is_cuda or bool((lengths < T).any())
    lengths = to_device(lengths, x.device)
    real = torch.arange(T, device=x.device)[None, :] < lengths[:, None]  # (B, T)
    reverse = reversed_rows(lengths, T)  # (B*T,): flips each real prefix
    out = x
    for layer in range(lstm.num_layers):
        if layer:
            out = nn.functional.dropout(out, lstm.dropout, training)
        forward_in = backward_in = out
        if layer and separate_directions:
            zeros = torch.zeros_like(out[..., :H])
            forward_in, backward_in = torch.cat([out[..., :H], zeros], 2), torch.cat([zeros, out[..., H:]], 2)
        forward = one_way(lstm, forward_in, layer, "")  # (B, T, H)
        backward = one_way(lstm, _Reorder.apply(backward_in, reverse), layer, "_reverse")  # (B, T, H), reversed
        out = torch.cat([forward, _Reorder.apply(backward, reverse)], dim=2)  # (B, T, 2H)
    return out * real[..., None] if padded else out  # zeros at padding, as pad_packed_sequence gives


def reversed_rows(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """(B*T,): reversed_positions as rows of the batch flattened to (B*T, ...), each review's block in place."""
    starts = torch.arange(len(lengths), device=lengths.device)[:, None] * T  # where each review starts
    return (starts + reversed_positions(lengths, T)).reshape(-1)


def reversed_positions(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """(B, T): position t -> length-1-t within each review, padding in place; it undoes itself. The backward LSTM
    reads each review in this order, so that its padding too comes after the words."""
    steps = torch.arange(T, device=lengths.device)[None, :]
    lengths = lengths[:, None]
    return torch.where(steps < lengths, lengths - 1 - steps, steps)


class _Reorder(torch.autograd.Function):
    """(B, T, D) -> the same rows in the order `index` (B*T,), which must undo itself (reversing each review within
    its length does): the gradient then goes back through the same order. Whole rows of D numbers move, so this
    costs a copy, where `gather` with a (B, T, D) index would read an index per number and scatter-add back."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(index)
        return x.reshape(-1, x.shape[2]).index_select(0, index).view(x.shape)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (index,) = ctx.saved_tensors
        return grad.reshape(-1, grad.shape[2]).index_select(0, index).view(grad.shape), None


def one_way(lstm: nn.LSTM, x: torch.Tensor, layer: int, suffix: str) -> torch.Tensor:
    """One direction of one layer of `lstm`, as a one-layer, one-way LSTM over (B, T, in)."""
    return lstm_one_way(x, [getattr(lstm, f"{n}_l{layer}{suffix}") for n in WEIGHTS])


WEIGHTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # one layer's, in the order torch.lstm takes them


def lstm_one_way(x: torch.Tensor, weights: list[torch.Tensor], batch_sizes: torch.Tensor | None = None):
    """A one-layer, one-way LSTM with these `weights` (WEIGHTS' order) over (B, T, in) inputs, or over packed rows
    (N, in) with their `batch_sizes`: torch.lstm, as nn.LSTM calls it, but not through an nn.LSTM, whose
    flatten_parameters would, on CUDA, move the weights it is handed into a buffer of its own (cuDNN is meant to copy
    them into one at each call instead; not yet run on a GPU). Training mode always, as cuDNN needs for a backward
    pass."""
    hidden = weights[1].shape[1]
    if batch_sizes is None:
        h0 = x.new_zeros(1, x.shape[0], hidden)
        return torch.lstm(x, (h0, h0), weights, True, 1, 0.0, True, False, True)[0]
    h0 = x.new_zeros(1, int(batch_sizes[0]), hidden)
    return torch.lstm(x, batch_sizes, (h0, h0), weights, True, 1, 0.0, True, False)[0]


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


def keep_freed_memory() -> bool:
    """Have glibc's malloc serve blocks up to 32 MiB from its heap and keep freed memory there for reuse; True if
    it took effect (Linux with glibc).

    A training step allocates many tensors of several MB whose sizes change from batch to batch. By default glibc
    maps fresh pages for such blocks and returns them when freed, so every step pays the kernel to map and zero
    them again (an epoch of the tutorial's model over 400 reviews: 29.9 s, against 26.5 s with this, on the
    2-core machine of the README's benchmarks). Larger blocks are still mapped and returned: keeping those too made
    training faster still, but let the heap grow to many GB.
    """
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows)
        return False
    if mallopt is None:
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    return bool(mallopt(M_MMAP_THRESHOLD, 32 << 20)) and bool(mallopt(M_TRIM_THRESHOLD, 1 << 30))


def prepare_for_training() -> str:
    """Both settings above, for a training process on the CPU; returns one line saying which took effect."""
    flushed, kept = flush_denormals(), keep_freed_memory()
    return ("CPU: denormal floats " + ("flushed to zero in every thread" if flushed else
                                       "not flushed in every thread (call prepare_for_training() before torch's "
                                       "first parallel operation); the backward pass may run slower")
            + "; freed memory " + ("kept for reuse" if kept else "returned to the system (not glibc)"))
