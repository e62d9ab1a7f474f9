import numpy as np

from conftest import write_imdb
from sentiment.config import preset
from sentiment.corpus import Corpus, load_corpus
from sentiment.data import prepare, split_rows
from sentiment.vocab import Vocab


def test_most_frequent_types_with_unk_and_pad_first(tmp_path):
    """Corpus.vocab, the builder training uses: ranked by count, ties in type order, unseen types left out."""
    corpus = Corpus(types=["a", "b", "c", "d", "e"], splits={}, manifest={})
    vocab, table = corpus.vocab(3, np.array([3, 2, 0, 4, 2]))
    assert vocab.itos == ["<unk>", "<pad>", "d", "a", "b"]
    assert table.tolist() == [3, 4, Vocab.unk_id, 2, Vocab.unk_id]
    assert vocab.encode(["a", "zzz", "d"]) == [3, 0, 2]
    vocab.save(tmp_path / "vocab.json")
    assert Vocab.load(tmp_path / "vocab.json").itos == vocab.itos
    assert corpus.vocab(10, np.array([1, 1, 0, 1, 1]))[0].itos[2:] == ["a", "b", "d", "e"]


def test_vocabulary_comes_from_the_training_rows_only(tmp_path):
    folder = write_imdb(tmp_path / "data")
    (folder / "test" / "pos" / "3_8.txt").write_text("A zyzzyva of a film.")  # a word only the test split has
    corpus = load_corpus(folder, tmp_path / "cache")
    cfg = preset("seed")
    prepared = prepare(corpus, cfg)
    train_rows, valid_rows = split_rows(len(corpus.splits["train"]), cfg.valid_fraction, cfg.seed)

    def words(split, rows):
        return {corpus.types[t] for i in rows for t in corpus.splits[split].review(i)}

    seen = words("train", train_rows)
    assert set(prepared.vocab.itos[2:]) == seen
    elsewhere = words("train", valid_rows) | words("test", range(len(corpus.splits["test"])))
    assert "zyzzyva" in elsewhere - seen
