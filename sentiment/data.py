"""From the encoded corpus to the training, validation and test datasets and the vocabulary."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .batching import Dataset, truncate
from .config import TrainConfig
from .corpus import Corpus
from .vocab import Vocab


@dataclass
class Prepared:
    vocab: Vocab
    train: Dataset
    valid: Dataset
    test: Dataset | None
    train_token_counts: np.ndarray  # (V,) occurrences of each vocabulary id in the training part


def split_rows(n: int, valid_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded split of train into (training rows, validation rows); the test split is never used for choices."""
    rows = np.random.default_rng(seed).permutation(n)
    n_valid = int(round(n * valid_fraction))
    return np.sort(rows[n_valid:]), np.sort(rows[:n_valid])


def prepare(corpus: Corpus, cfg: TrainConfig) -> Prepared:
    """The vocabulary from the training rows only; every split encoded with it and truncated as configured."""
    train_rows, valid_rows = split_rows(len(corpus.splits["train"]), cfg.valid_fraction, cfg.seed)
    counts = corpus.type_counts(train_rows)
    vocab, table = corpus.vocab(cfg.vocab_size, counts)

    def dataset(split_name: str, rows: np.ndarray) -> Dataset:
        split = corpus.splits[split_name]
        seqs = [truncate(table[split.review(i)], cfg.model.max_tokens, cfg.model.truncate) for i in rows]
        return Dataset(seqs, split.labels[rows].astype(np.float32), Vocab.pad_id)

    test = corpus.splits.get("test")
    return Prepared(
        vocab=vocab,
        train=dataset("train", train_rows),
        valid=dataset("train", valid_rows),
        test=dataset("test", np.arange(len(test))) if test is not None else None,
        train_token_counts=np.bincount(table, weights=counts, minlength=len(vocab)).astype(np.int64),
    )
