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
from .cpu_lstm import WEIGHTS, lstm_one_way, reversed_rows


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


def fused_packed_states(lstm: nn.LSTM, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """What packed_states gives, with both directions of each layer in one one-way LSTM of twice the hidden size.

    cuDNN runs a bidirectional layer as two chains of small kernels, a matrix product and an element-wise kernel
    for each time step and direction, and on a GPU launching them sets the pace. Here the backward direction reads
    each review reversed within its length (so it is a forward LSTM too, over sequences of the same lengths, which
    pack alike), and one LSTM of hidden size 2H reads both inputs side by side, its weights block-diagonal: each
    gate's first H units see only the forward input and forward state, the last H only the backward ones. The
    zero blocks are constants that add exact zeros, and the fused weights are built from `lstm`'s own at every
    call, so the states and gradients are packed_states' up to the order of the sums. Half the launches per time
    step, each product four times larger, which at a batch of 64 should cost the GPU about the same time (to be
    measured: benchmarks/gpu_epoch.py). Between layers, dropout is drawn here rather than by cuDNN (other masks,
    as on the CPU path).
    """
    B, T, _ = embedded.shape
    H = lstm.hidden_size
    rows, batch_sizes, inverse = packing_rows(lengths, T)
    reverse = reversed_rows(lengths.cpu(), T)
    # the packed rows of each review reversed, and the map back (reversing within a length undoes itself)
    backward_rows, backward_inverse = reverse[rows], torch.from_numpy(inverse)[reverse]
    index = [to_device(torch.as_tensor(i), embedded.device)
             for i in (rows, inverse, backward_rows, backward_inverse)]
    rows, inverse, backward_rows, backward_inverse = index
    sizes = torch.from_numpy(batch_sizes)
    x = embedded.reshape(B * T, -1)
    for layer in range(lstm.num_layers):
        if layer:
            x = nn.functional.dropout(x, lstm.dropout, lstm.training)
        both = torch.cat([RowGather.apply(x, rows, inverse), RowGather.apply(x, backward_rows, backward_inverse)], 1)
        weights = [_block_diagonal(getattr(lstm, f"{n}_l{layer}"), getattr(lstm, f"{n}_l{layer}_reverse"))
                   for n in WEIGHTS]
        out = lstm_one_way(both, weights, sizes)  # (N, 2H)
        x = torch.cat([RowGather.apply(out[:, :H], inverse, rows),
                       RowGather.apply(out[:, H:], backward_inverse, backward_rows)], 1)  # (B*T, 2H)
    return x.view(B, T, 2 * H)


def _block_diagonal(forward: torch.Tensor, backward: torch.Tensor) -> torch.Tensor:
    """(4H, n) weights (or (4H,) biases) of the two directions -> (8H, 2n) (or (8H,)) of the fused LSTM: for each of
    the four gates, H rows for the forward units (reading the first n inputs), then H for the backward ones."""
    H = forward.shape[0] // 4
    f, b = forward.reshape(4, H, -1), backward.reshape(4, H, -1)
    if forward.dim() == 1:
        return torch.cat([f, b], 1).reshape(8 * H)
    zeros = torch.zeros_like(f)
    return torch.cat([torch.cat([f, zeros], 2), torch.cat([zeros, b], 2)], 1).reshape(8 * H, -1)
