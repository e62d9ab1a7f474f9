"""Changes to the training reviews.

- Counterfactual substitution of identity terms (in the manner of Maudslay et al. 2019): a review that names a
  religion, nationality, race or sexuality has, with some probability, each such word replaced by another of its
  group, the label kept, so that the model cannot tie a verdict to one identity. The word lists are this module's
  own (the behaviour suite in benchmarks/ is never training data).
- Sentences as extra examples: one sentence cut from some of the reviews, with its review's label, so that the
  model also learns to read a short text alone (a critic's one-line verdict) and to stay unsure of a sentence that
  carries no verdict (a plot summary), where IMDB's reviews are 265 tokens on average.
"""

from __future__ import annotations

import numpy as np

from .batching import Dataset
from .tokens import SENTENCE_ENDS
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


def sentence_ends(words: list[str]) -> np.ndarray:
    """(len(words),) True for the words that close a sentence (SENTENCE_ENDS)."""
    return np.isin(np.array(words, dtype=object), SENTENCE_ENDS)


def sentences(seq: np.ndarray, is_end: np.ndarray, shortest: int, longest: int) -> list[np.ndarray]:
    """A review's sentences of `shortest` to `longest` tokens: runs of its tokens (ids into `is_end`), each closed
    by a run of sentence ends ("Wow!!" is one sentence), the last one by the review's end."""
    end = is_end[seq]
    cuts = np.flatnonzero(end[:-1] & ~end[1:]) + 1  # after the last end mark of each run of them
    return [s for s in np.split(seq, cuts) if shortest <= len(s) <= longest]


def add_sentences(data: Dataset, vocab: Vocab, share: float, seed: int, shortest: int = 4,
                  longest: int = 40) -> tuple[Dataset, int]:
    """`data` followed by, for each review drawn with probability `share` (seeded) that has a sentence of
    `shortest` to `longest` tokens, one such sentence drawn at random, labelled as its review. Returns the new
    dataset and the number of sentences added."""
    is_end = sentence_ends(vocab.itos)
    rng = np.random.default_rng(seed)
    seqs, labels = [], []
    for seq, label in zip(data.seqs, data.labels):
        if rng.random() >= share:
            continue
        found = sentences(seq, is_end, shortest, longest)
        if found:
            seqs.append(found[rng.integers(len(found))].copy())
            labels.append(label)
    return Dataset(data.seqs + seqs, np.concatenate([data.labels, np.asarray(labels, data.labels.dtype)]),
                   data.pad_id), len(seqs)
