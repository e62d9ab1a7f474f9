"""nn.LSTM over packed sequences (the GPU path), packed and unpacked by one gather each way.

pack_padded_sequence and pad_packed_sequence copy a batch slice by slice, and the gradient of packing goes back one
time step at a time: hundreds of small copies for a long review, each a kernel that the CPU must launch, and on a
GPU those launches, not the arithmetic, set the pace of a training step (benchmarks/gpu_epoch.py). Here the packed
rows are one gather from the (B, T, E) batch and the states one gather back; each gradient is the gather the other
way, as the map between real tokens and packed rows is one to one. The numbers are the same copies as torch's, so
the states and gradients are equal to the last bit (tests/test_model.py).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from .batching import to_device


def length_order(lengths: torch.Tensor) -> torch.Tensor:
    """The (B,) batch positions on the CPU, longest review first; reviews of equal length in the order torch.sort
    gives them, as in pack_padded_sequence(enforce_sorted=False): cuDNN applies the dropout between layers in packed
    order, so another order would draw other masks for them."""
    return torch.sort(lengths.cpu(), descending=True).indices


def packing_rows(lengths: torch.Tensor, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a batch of reviews of these `lengths`, padded to `width` tokens: the row of the flattened (B * width)
    batch that each packed row holds (time step by time step, the longest review first), the batch size at each
    time step, and for each row of the flattened batch its packed row (the number of packed rows at padding);
    reviews in length_order."""
    lengths = lengths.cpu()  # once: .cpu() of a CPU tensor, in length_order, returns it as it is
    order = length_order(lengths).numpy()  # (B,) longest first
    lengths = lengths.numpy()
    steps = np.arange(int(lengths.max()))
    real = lengths[order][None, :] > steps[:, None]  # (T', B): time-major, in order of length
    t, j = np.nonzero(real)  # packed rows, in the order nn.LSTM reads them
    rows = order[j] * width + t
    inverse = np.full(len(lengths) * width, len(rows), dtype=np.int64)
    inverse[rows] = np.arange(len(rows))
    return rows, real.sum(1), inverse


class RowGather(torch.autograd.Function):
    """The rows `index` of x with a zero row appended; the gradient goes back through `inverse`, the same one-to-one
    map between real rows read the other way (rows that `index` never reads get zeros)."""

    @staticmethod
    def forward(ctx, x, index, inverse):
        ctx.save_for_backward(inverse)
        return gather_rows(x, index)

    @staticmethod
    def backward(ctx, grad):
        (inverse,) = ctx.saved_tensors
        return gather_rows(grad, inverse), None, None


def gather_rows(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    return torch.cat([x, x.new_zeros(1, x.shape[1])]).index_select(0, index)


def packed_states(lstm: nn.LSTM, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(B, T, E) -> (B, T, 2H): `lstm` over packed sequences, zeros at padding, in the batch's order. The indices go
    to the GPU through pinned memory: a copy from ordinary memory would first wait for every kernel queued before."""
    B, T, E = embedded.shape
    rows, batch_sizes, inverse = packing_rows(lengths, T)
    rows, inverse = (to_device(torch.from_numpy(i), embedded.device) for i in (rows, inverse))
    data = RowGather.apply(embedded.reshape(B * T, E), rows, inverse)
    out, _ = lstm(PackedSequence(data, torch.from_numpy(batch_sizes)))
    return RowGather.apply(out.data, inverse, rows).view(B, T, -1)
