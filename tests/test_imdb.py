import shutil
import pytest

from sentiment.imdb import DataError, checksum, read_imdb

from conftest import real_data


@pytest.mark.parametrize("which", ["imdb_dir", "imdb_tar"])
def test_reads_folder_and_archive_alike(which, request):
    data = read_imdb(request.getfixturevalue(which))
    assert [len(data[s]) for s in ("train", "test")] == [12, 6]
    train = data["train"]
    assert sum(r.label for r in train) == 6
    assert {r.rating for r in train if r.label == 1} == {9} and {r.rating for r in train if r.label == 0} == {2}
    assert train[0].text.startswith("A wonderful, moving film.")


def test_parent_folder_is_accepted(imdb_dir):
    assert len(read_imdb(imdb_dir.parent)["train"]) == 12


def test_wrong_path_and_missing_split_are_clear(tmp_path, imdb_dir):
    with pytest.raises(DataError, match="No IMDB data at"):
        read_imdb(tmp_path / "nope")
    assert len(read_imdb(imdb_dir, splits=("unsup",))["unsup"]) == 6
    shutil.rmtree(imdb_dir / "train" / "unsup")
    with pytest.raises(DataError, match="no reviews for the 'unsup' split"):
        read_imdb(imdb_dir, splits=("unsup",))
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tar")
    with pytest.raises(DataError, match="not a readable"):
        read_imdb(tmp_path / "junk.tar.gz")


def test_checksum_of_folder_changes_with_content(imdb_dir):
    before = checksum(imdb_dir)
    (imdb_dir / "train" / "pos" / "0_9.txt").write_text("changed")
    assert checksum(imdb_dir) != before


def test_real_archive_counts():
    data = read_imdb(real_data("imdb/aclImdb_v1_noBoW.tar.gz"))
    counts = {(s, lab): sum(r.label == lab for r in data[s]) for s in ("train", "test") for lab in (0, 1)}
    assert set(counts.values()) == {12_500}
    assert any(r.text.startswith("Bromwell High is a cartoon comedy.") for r in data["train"] if r.id == 0)


def write_movie_pages(folder, reviews_per_movie: int) -> None:
    """train/urls_*.txt for the six reviews of each polarity written by write_imdb: movies 10, 11, ... for the
    positive ones and 20, 21, ... for the negative ones, `reviews_per_movie` reviews each."""
    for polarity, offset in (("pos", 10), ("neg", 20)):
        (folder / "train" / f"urls_{polarity}.txt").write_text("".join(
            f"http://www.imdb.com/title/tt{offset + i // reviews_per_movie:07d}/usercomments\n" for i in range(6)))


def test_validation_split_by_movie_keeps_each_movie_on_one_side(tmp_path):
    """urls_*.txt line i is review id i's movie page; split by movie, no movie has reviews on both sides."""
    import pytest

    from conftest import write_imdb
    from sentiment import DataError
    from sentiment.corpus import load_corpus
    from sentiment.data import split_rows

    folder = write_imdb(tmp_path / "data")
    without = load_corpus(folder, tmp_path / "c1")
    assert not without.splits["train"].movies.any()
    with pytest.raises(DataError, match="needs every training review's movie"):
        split_rows(12, 0.25, 0, without.splits["train"].movies)
    write_movie_pages(folder, reviews_per_movie=2)
    movies = load_corpus(folder, tmp_path / "c2").splits["train"].movies
    assert sorted(set(movies.tolist())) == [10, 11, 12, 20, 21, 22]
    for seed in range(5):
        train, valid = split_rows(len(movies), 0.25, seed, movies)
        assert not set(movies[train]) & set(movies[valid])
        assert sorted([*train, *valid]) == list(range(12)) and len(valid) >= 3
    again = [a.tolist() for a in split_rows(12, 0.25, 3, movies)]
    assert [a.tolist() for a in split_rows(12, 0.25, 3, movies)] == again  # seeded: the same split every time


def test_the_split_seed_draws_the_validation_split_apart_from_the_seed(tmp_path):
    """--split-seed: models of several seeds can share one validation set; without it the seed draws the split."""
    from conftest import write_imdb
    from sentiment.config import preset
    from sentiment.corpus import load_corpus
    from sentiment.data import split_rows, train_valid_rows

    folder = write_imdb(tmp_path / "data")
    write_movie_pages(folder, reviews_per_movie=1)  # twelve movies
    corpus = load_corpus(folder, tmp_path / "cache")
    movies = corpus.splits["train"].movies

    def rows(**settings):
        return [a.tolist() for a in train_valid_rows(corpus, preset("default", valid_fraction=0.25, **settings))]

    assert rows(seed=1) == [a.tolist() for a in split_rows(12, 0.25, 1, movies)]
    assert rows(seed=1) != rows(seed=2)  # these two seeds draw other movies
    assert rows(seed=2, split_seed=1) == rows(seed=1) == rows(seed=7, split_seed=1)
    assert rows(seed=1, split_seed=2) == rows(seed=2)
