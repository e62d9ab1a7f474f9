import gzip
import lzma
import zipfile

import numpy as np
import pytest
import torch

from sentiment import DataError
from sentiment.glove import embedding_matrix, read_vectors
from sentiment.vocab import Vocab


@pytest.mark.parametrize("fmt", ["txt", "gz", "xz", "zip"])
def test_every_format_reads_the_same(fmt, glove_txt, tmp_path):
    text = glove_txt.read_bytes()
    path = {"txt": glove_txt, "gz": tmp_path / "g.txt.gz", "xz": tmp_path / "g.txt.xz",
            "zip": tmp_path / "glove.6B.zip"}[fmt]
    if fmt == "gz":
        path.write_bytes(gzip.compress(text))
    elif fmt == "xz":
        path.write_bytes(lzma.compress(text))
    elif fmt == "zip":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("glove.6B.50d.txt", "the " + " ".join(["0"] * 50) + "\n")
            z.writestr("glove.6B.100d.txt", text)
    vectors = read_vectors(path, {"film", "great", "nope"}, 100)
    assert set(vectors) == {"film", "great"}
    first = glove_txt.read_text().splitlines()[1].split(" ")
    assert first[0] == "film"
    np.testing.assert_allclose(vectors["film"], np.array(first[1:], dtype=np.float32))


def test_matrix_rows_and_coverage(glove_txt):
    vocab = Vocab(["<unk>", "<pad>", "film", "great", "zzz", "qqq"])
    counts = np.array([5, 0, 10, 3, 1, 1])  # unk, pad, film, great, zzz, qqq
    matrix, cov = embedding_matrix(glove_txt, vocab, 100, counts, torch.Generator().manual_seed(0))
    assert matrix.shape == (6, 100)
    assert torch.all(matrix[0] == 0) and torch.all(matrix[1] == 0)
    vecs = read_vectors(glove_txt, {"film"}, 100)
    assert torch.allclose(matrix[2], torch.from_numpy(vecs["film"]))
    assert cov.found == 2 and cov.vocab_share == 0.5
    assert cov.token_share == pytest.approx(13 / 20)


def test_wrong_dimension_and_path(glove_txt, tmp_path):
    with pytest.raises(ValueError, match="expected 50 numbers"):
        read_vectors(glove_txt, {"film"}, 50)
    with pytest.raises(DataError, match="No GloVe file"):
        read_vectors(tmp_path / "missing.txt", {"film"}, 100)
