"""Counterfactual substitution of identity terms in the training reviews (in the manner of Maudslay et al. 2019):
a review that names a religion, nationality, race or sexuality has, with some probability, each such word replaced
by another of its group, the label kept, so that the model cannot tie a verdict to one identity. The word lists are
this module's own (the behaviour suite in benchmarks/ is never training data)."""

from __future__ import annotations

import numpy as np

from .batching import Dataset
from .vocab import Vocab

IDENTITY_GROUPS = {
    "religion": ["christian", "muslim", "jewish", "hindu", "buddhist", "catholic", "protestant", "sikh", "atheist",
                 "mormon"],
    "nationality": ["american", "british", "mexican", "nigerian", "chinese", "indian", "french", "german", "italian",
                    "japanese", "russian", "irish", "korean", "canadian", "australian", "african", "arab",
                    "brazilian", "iranian", "swedish"],
    "race": ["black", "white", "asian", "latino", "hispanic"],
    "sexuality": ["gay", "lesbian", "straight", "bisexual", "homosexual", "heterosexual", "transgender"],
}


def identity_groups(vocab: Vocab, groups: dict[str, list[str]] = IDENTITY_GROUPS) -> list[np.ndarray]:
    """Each group's vocabulary ids (the words the vocabulary holds; groups of fewer than two dropped)."""
    out = []
    for words in groups.values():
        ids = np.array(sorted({vocab.stoi[w] for w in words if w in vocab.stoi}), dtype=np.int64)
        if len(ids) >= 2:
            out.append(ids)
    return out


def substitute_identities(data: Dataset, vocab: Vocab, probability: float, seed: int,
                          groups: dict[str, list[str]] = IDENTITY_GROUPS) -> tuple[Dataset, int]:
    """`data` with, in each review holding an identity term, every such term replaced (with `probability`, per
    review, seeded) by another word of its group drawn at random; labels unchanged. Returns the new dataset and
    the number of reviews changed."""
    id_groups = identity_groups(vocab, groups)
    group_of = np.full(len(vocab), -1, dtype=np.int64)
    for g, ids in enumerate(id_groups):
        group_of[ids] = g
    rng = np.random.default_rng(seed)
    seqs, changed = [], 0
    for seq in data.seqs:
        where = np.flatnonzero(group_of[seq] >= 0)
        if len(where) == 0 or rng.random() >= probability:
            seqs.append(seq)
            continue
        new = seq.copy()
        for i in where:
            ids = id_groups[group_of[seq[i]]]
            others = ids[ids != seq[i]]
            new[i] = others[rng.integers(len(others))]
        seqs.append(new)
        changed += 1
    return Dataset(seqs, data.labels, data.pad_id), changed
