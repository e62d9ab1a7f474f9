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
