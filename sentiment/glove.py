"""GloVe vectors: stream the text format (plain, .gz, .xz or inside glove.6B.zip) into an embedding matrix."""

from __future__ import annotations

import gzip
import io
import lzma
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .errors import DataError
from .vocab import Vocab


@dataclass
class Coverage:
    """How much of a vocabulary, and of the training tokens, GloVe has a vector for."""

    vocab_share: float
    token_share: float
    found: int
    vocab_size: int


@contextmanager
def _open_text(path: Path, dim: int):
    name = path.name.lower()
    if name.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            members = [m for m in z.namelist() if m.endswith(f".{dim}d.txt")]
            if not members:
                raise DataError(f"{path} holds no GloVe file of {dim} dimensions (looked for '*.{dim}d.txt').")
            with z.open(members[0]) as raw:
                yield io.TextIOWrapper(raw, encoding="utf-8")
    elif name.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            yield f
    elif name.endswith(".xz"):
        with lzma.open(path, "rt", encoding="utf-8") as f:
            yield f
    else:
        with open(path, encoding="utf-8") as f:
            yield f


def read_vectors(path: str | Path, words: set[str], dim: int) -> dict[str, np.ndarray]:
    """The vectors of `words` only, read line by line so that the whole file never sits in memory."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"No GloVe file at {path}: pass glove.6B.{dim}d.txt (plain, .gz, .xz) or glove.6B.zip.")
    found: dict[str, np.ndarray] = {}
    with _open_text(path, dim) as f:
        for n, line in enumerate(f, 1):
            word, _, rest = line.rstrip("\n").partition(" ")
            if word not in words or word in found:
                continue
            vec = np.array(rest.split(" "), dtype=np.float32)
            if vec.shape != (dim,):
                raise DataError(f"{path}, line {n}: expected {dim} numbers after '{word}', found {vec.size}.")
            found[word] = vec
    return found


def embedding_matrix(path: str | Path, vocab: Vocab, dim: int, token_counts: np.ndarray | None = None,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, Coverage]:
    """Rows from GloVe where it has the word, N(0, 1) elsewhere (as torchtext's recipe did), zeros for <unk>, <pad>."""
    vectors = read_vectors(path, set(vocab.itos[2:]), dim)
    matrix = torch.randn(len(vocab), dim, generator=generator)
    has = np.zeros(len(vocab), dtype=bool)
    for i, word in enumerate(vocab.itos):
        if word in vectors:
            matrix[i] = torch.from_numpy(vectors[word])
            has[i] = True
    matrix[[vocab.unk_id, vocab.pad_id]] = 0.0
    words = len(vocab) - 2
    token_share = (float(token_counts[has].sum() / max(token_counts.sum(), 1)) if token_counts is not None
                   else float("nan"))
    coverage = Coverage(int(has.sum()) / max(words, 1), token_share, int(has.sum()), words)
    return matrix, coverage
