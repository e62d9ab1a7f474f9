"""Batches of similar length (what torchtext's BucketIterator did), padded, with lengths for packing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

TRUNCATE_MODES = ("head", "tail", "head+tail")


@dataclass
class Batch:
    ids: torch.Tensor  # (B, T) int64, padded with pad_id
    lengths: torch.Tensor  # (B,) int64, on the CPU as pack_padded_sequence wants
    labels: torch.Tensor  # (B,) float32
    rows: np.ndarray  # (B,) which examples of the dataset these are
    unlabelled: "Batch | None" = None  # unlabelled reviews that travel with this batch (adversarial.py)

    def to(self, device) -> "Batch":
        """The batch on `device`, its lengths left on the CPU. To a GPU the tensors go through pinned memory: a copy
        from ordinary memory would first wait for every kernel queued before it."""
        return Batch(to_device(self.ids, device), self.lengths, to_device(self.labels, device), self.rows,
                     self.unlabelled.to(device) if self.unlabelled is not None else None)


def to_device(x: torch.Tensor, device) -> torch.Tensor:
    """A CPU tensor on `device`, copied from pinned memory without waiting when that is a GPU."""
    device = torch.device(device)
    if device.type == "cuda" and x.device.type == "cpu":
        return x.pin_memory().to(device, non_blocking=True)
    return x.to(device)


def head_length(limit: int, mode: str = "head") -> int:
    """How many of the `limit` items kept of a longer sequence come from its start (the rest come from its end): all
    ("head"), none ("tail"), or a quarter ("head+tail")."""
    if mode not in TRUNCATE_MODES:
        raise ValueError(f"truncate must be one of {TRUNCATE_MODES}, not {mode!r}.")
    return {"head": limit, "tail": 0, "head+tail": limit // 4}[mode]


def kept_ranges(n: int, limit: int | None, mode: str = "head") -> list[tuple[int, int]]:
    """The [start, end) ranges of a sequence of n items that are kept when it is cut to at most `limit`: the first
    ("head"), the last ("tail"), or a quarter of the limit first and the rest last ("head+tail")."""
    head = head_length(limit or 0, mode)  # checks the mode, even for a sequence that is not cut
    if not limit or n <= limit:
        return [(0, n)]
    return [r for r in ((0, head), (n - (limit - head), n)) if r[0] < r[1]]


def truncate(ids, max_tokens: int | None, mode: str = "head"):
    """Keep at most `max_tokens` of a review's ids, as `kept_ranges` says (training and inference alike)."""
    ranges = kept_ranges(len(ids), max_tokens, mode)
    if len(ranges) == 1:
        return ids[ranges[0][0]:ranges[0][1]]
    return np.concatenate([ids[a:b] for a, b in ranges])


def bucket_batches(lengths: np.ndarray, batch_size: int, shuffle: bool, seed: int = 0,
                   pool_batches: int = 100) -> list[np.ndarray]:
    """Every index exactly once, in batches of similar length.

    Shuffled: indices are shuffled, cut into pools of `pool_batches` batches, sorted by length within a pool,
    batched, and the batches shuffled, so batches differ from epoch to epoch but padding stays small.
    Not shuffled: sorted by length (evaluation).
    """
    n = len(lengths)
    if not shuffle:
        order = np.argsort(lengths, kind="stable")
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    pool = batch_size * pool_batches
    batches = []
    for start in range(0, n, pool):
        chunk = order[start:start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def collate(seqs: list, labels, rows: np.ndarray, pad_id: int) -> Batch:
    """Pad to the longest sequence in the batch; empty sequences get one pad token, masked by length 1."""
    lengths = torch.tensor([max(len(s), 1) for s in seqs], dtype=torch.int64)
    ids = torch.full((len(seqs), int(lengths.max())), pad_id, dtype=torch.int64)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.as_tensor(np.asarray(s, dtype=np.int64))
    return Batch(ids, lengths, torch.as_tensor(np.asarray(labels), dtype=torch.float32), np.asarray(rows))


class Dataset:
    """Encoded reviews (vocabulary ids), truncated, with labels; makes bucketed batches."""

    def __init__(self, seqs: list[np.ndarray], labels: np.ndarray, pad_id: int):
        self.seqs, self.labels, self.pad_id = seqs, np.asarray(labels), pad_id
        self.lengths = np.array([len(s) for s in seqs], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.seqs)

    def batches(self, batch_size: int, shuffle: bool, seed: int = 0):
        for rows in bucket_batches(self.lengths, batch_size, shuffle, seed):
            yield collate([self.seqs[r] for r in rows], self.labels[rows], rows, self.pad_id)

    def head(self, n: int) -> "Dataset":
        """The first n examples."""
        return Dataset(self.seqs[:n], self.labels[:n], self.pad_id)

    def sample(self, n: int, seed: int) -> "Dataset":
        """n examples drawn at random with a seed, in their original order (quick experiments on a fixed subset;
        the first n would be all positive, since a split lists its positive reviews first)."""
        rows = np.sort(np.random.default_rng(seed).permutation(len(self))[:n])
        return Dataset([self.seqs[r] for r in rows], self.labels[rows], self.pad_id)

    def num_batches(self, batch_size: int) -> int:
        return -(-len(self) // batch_size)
