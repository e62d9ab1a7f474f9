"""Counterfactual substitution of identity terms: only identity words change, each within its group, labels kept,
seeded, at the share asked for. Sentences as extra examples: whole sentences of the reviews, cut where a sentence
ends, of the lengths asked for, after the reviews, with their reviews' labels."""

import numpy as np
import pytest

from sentiment.augment import add_sentences, identity_groups, sentences, substitute_identities
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


def encode(v: Vocab, text: str) -> np.ndarray:
    return np.array(v.encode(text.split()), dtype=np.int64)


def test_sentences_end_after_a_run_of_end_marks_and_keep_the_lengths_asked_for():
    v = Vocab(["<unk>", "<pad>", "a", "b", "c", ".", "!", "?", "..."])
    is_end = np.isin(np.array(v.itos, dtype=object), [".", "!", "?", "..."])
    seq = encode(v, "a b ! ! c a b . a ... b c a b c")
    words = [" ".join(v.itos[i] for i in s) for s in sentences(seq, is_end, 1, 100)]
    assert words == ["a b ! !", "c a b .", "a ...", "b c a b c"]  # the last: ended by the review's end
    assert [" ".join(v.itos[i] for i in s) for s in sentences(seq, is_end, 3, 4)] == ["a b ! !", "c a b ."]
    assert sentences(encode(v, ""), is_end, 1, 5) == []


def test_added_sentences_follow_the_reviews_with_their_labels():
    v = Vocab(["<unk>", "<pad>", "a", "b", "c", "d", "."])
    reviews = [encode(v, "a a a a . b b b b . a b"), encode(v, "c c c c c . d d d d ."), encode(v, "a b")]
    data = Dataset(reviews, np.array([1.0, 0.0, 1.0], dtype=np.float32), Vocab.pad_id)
    out, added = add_sentences(data, v, share=1.0, seed=0, shortest=4, longest=10)
    assert added == 2 and len(out) == 5  # the third review has no sentence of 4 tokens or more
    assert [s.tolist() for s in out.seqs[:3]] == [r.tolist() for r in reviews]
    assert out.labels.tolist() == [1.0, 0.0, 1.0, 1.0, 0.0] and out.labels.dtype == np.float32
    assert " ".join(v.itos[i] for i in out.seqs[3]) in ("a a a a .", "b b b b .")
    assert " ".join(v.itos[i] for i in out.seqs[4]) in ("c c c c c .", "d d d d .")
    again, _ = add_sentences(data, v, share=1.0, seed=0, shortest=4, longest=10)
    assert [s.tolist() for s in again.seqs] == [s.tolist() for s in out.seqs]  # seeded
    assert add_sentences(data, v, share=0.0, seed=0)[1] == 0


def test_sentences_are_added_for_about_the_share_asked_for():
    v = Vocab(["<unk>", "<pad>", "a", "."])
    data = Dataset([encode(v, "a a a a .")] * 1000, np.zeros(1000, dtype=np.float32), Vocab.pad_id)
    assert 430 < add_sentences(data, v, share=0.5, seed=1)[1] < 570
    with pytest.raises(SettingsError, match="sentence_share is a share"):
        preset("default", sentence_share=-0.1)


def test_train_py_adds_sentences_and_records_the_share(imdb_dir, glove_txt, tmp_path, capsys):
    import json

    import train

    args = ["--data", str(imdb_dir), "--vectors", str(glove_txt), "--preset", "seed", "--epochs", "1",
            "--hidden-size", "4", "--batch-size", "4", "--cache-dir", str(tmp_path / "cache"), "--device", "cpu",
            "--out", str(tmp_path / "m"), "--sentence-share", "1"]
    assert train.main(args) == 0
    added = [line for line in capsys.readouterr().out.splitlines() if "sentences of training reviews" in line]
    assert added and int(added[0].split()[0].replace(",", "")) > 0
    assert json.loads((tmp_path / "m" / "metrics.json").read_text())["config"]["sentence_share"] == 1.0
