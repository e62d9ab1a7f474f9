"""Counterfactual substitution of identity terms: only identity words change, each within its group, labels kept,
seeded, at the share asked for."""

import numpy as np
import pytest

from sentiment.augment import identity_groups, substitute_identities
from sentiment.batching import Dataset
from sentiment.config import preset
from sentiment.errors import SettingsError
from sentiment.vocab import Vocab

WORDS = ["the", "film", "muslim", "christian", "jewish", "french", "german", "gay", "good", "zulu"]


def vocab() -> Vocab:
    return Vocab(["<unk>", "<pad>", *WORDS])


def test_groups_hold_the_vocabulary_words_of_groups_with_two_or_more():
    v = vocab()
    groups = [sorted(v.itos[i] for i in g) for g in identity_groups(v)]
    assert groups == [["christian", "jewish", "muslim"], ["french", "german"]]  # "gay" alone: no swap possible


def test_substitution_swaps_identity_words_within_their_group_only():
    v = vocab()
    ids = {w: v.stoi[w] for w in WORDS}
    seqs = [np.array([ids["the"], ids["muslim"], ids["film"], ids["french"], ids["muslim"], ids["gay"]]),
            np.array([ids["good"], ids["film"]])]
    data = Dataset(seqs, np.array([1.0, 0.0]), Vocab.pad_id)
    out, changed = substitute_identities(data, v, probability=1.0, seed=0)
    assert changed == 1 and out.labels.tolist() == [1.0, 0.0]
    a = [v.itos[i] for i in out.seqs[0]]
    assert a[0] == "the" and a[2] == "film" and a[5] == "gay"  # the rest as it was
    assert a[1] in ("christian", "jewish") and a[4] in ("christian", "jewish") and a[3] == "german"
    assert out.seqs[1].tolist() == seqs[1].tolist() and seqs[0][1] == ids["muslim"]  # the input is not modified
    again, _ = substitute_identities(data, v, probability=1.0, seed=0)
    assert [s.tolist() for s in again.seqs] == [s.tolist() for s in out.seqs]  # seeded


def test_substitution_touches_about_the_share_asked_for():
    v = vocab()
    data = Dataset([np.array([v.stoi["the"], v.stoi["jewish"]])] * 1000, np.zeros(1000), Vocab.pad_id)
    assert substitute_identities(data, v, probability=0.0, seed=1)[1] == 0
    assert 430 < substitute_identities(data, v, probability=0.5, seed=1)[1] < 570


def test_the_share_is_checked():
    assert preset("default", identity_substitution=0.5).identity_substitution == 0.5
    with pytest.raises(SettingsError, match="identity_substitution is a share"):
        preset("default", identity_substitution=1.5)
