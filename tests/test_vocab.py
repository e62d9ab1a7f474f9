from collections import Counter

from sentiment.vocab import Vocab


def test_most_frequent_words_with_unk_and_pad_first(tmp_path):
    counts = Counter("a a a b b c d d d d".split())
    vocab = Vocab.build(counts, max_size=2)
    assert vocab.itos == ["<unk>", "<pad>", "d", "a"]
    assert vocab.encode(["a", "zzz", "d"]) == [3, 0, 2]
    vocab.save(tmp_path / "vocab.json")
    assert Vocab.load(tmp_path / "vocab.json").itos == vocab.itos


def test_ties_are_broken_alphabetically():
    assert Vocab.build(Counter({"b": 1, "a": 1, "c": 1}), 10).itos[2:] == ["a", "b", "c"]
