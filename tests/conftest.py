"""Shared fixtures: a tiny aclImdb corpus and GloVe file made in the test, and a tiny trained model folder."""

import os
import tarfile
from pathlib import Path

import numpy as np
import pytest

POS = ["A wonderful, moving film.<br /><br />The acting is great and the story is brilliant.",
       "I loved it. Great fun, superb cast, a brilliant ending.", "Brilliant! One of the best films of the year.",
       "Great script and wonderful music; I would see it again.", "Superb. The best thing I have seen in ages.",
       "What a wonderful surprise, great and funny and moving."]
NEG = ["A dull, boring film.<br /><br />The acting is awful and the story is terrible.",
       "I hated it. Boring, awful cast, a terrible ending.", "Awful! One of the worst films of the year.",
       "Terrible script and dull music; I would never see it again.", "Boring. The worst thing I have seen in ages.",
       "What an awful waste, dull and boring and stupid."]


def write_imdb(root: Path) -> Path:
    """An aclImdb/ tree with the real layout: train and test, pos and neg, <id>_<rating>.txt, and train/unsup."""
    for split in ("train", "test"):
        for polarity, texts, rating in (("pos", POS, 9), ("neg", NEG, 2)):
            folder = root / "aclImdb" / split / polarity
            folder.mkdir(parents=True)
            for i, text in enumerate(texts if split == "train" else texts[:3]):
                (folder / f"{i}_{rating}.txt").write_text(text)
    unsup = root / "aclImdb" / "train" / "unsup"
    unsup.mkdir()
    for i, text in enumerate(POS[3:] + NEG[3:]):
        (unsup / f"{i}_0.txt").write_text(text)
    return root / "aclImdb"


@pytest.fixture
def imdb_dir(tmp_path):
    return write_imdb(tmp_path)


@pytest.fixture
def imdb_tar(tmp_path):
    folder = write_imdb(tmp_path / "src")
    path = tmp_path / "aclImdb_v1.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(folder, arcname="aclImdb")
    return path


@pytest.fixture
def glove_txt(tmp_path):
    """GloVe-format vectors for some of the tiny corpus's words (seeded random numbers)."""
    rng = np.random.default_rng(0)
    words = ["the", "film", "great", "awful", "brilliant", "boring", ".", ",", "a", "is"]
    path = tmp_path / "glove.6B.100d.txt"
    path.write_text("".join(w + " " + " ".join(f"{x:.5f}" for x in rng.normal(size=100)) + "\n" for w in words))
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A model folder written by train.py after one epoch on the tiny corpus."""
    import train

    root = tmp_path_factory.mktemp("tiny")
    data = write_imdb(root / "data")
    glove = root / "glove.txt"
    rng = np.random.default_rng(0)
    glove.write_text("".join(w + " " + " ".join(f"{x:.4f}" for x in rng.normal(size=100)) + "\n"
                             for w in ["great", "awful", "film"]))
    out = root / "model"
    args = ["--data", str(data), "--vectors", str(glove), "--out", str(out), "--preset", "seed", "--epochs", "1",
            "--hidden-size", "16", "--batch-size", "4", "--cache-dir", str(root / "cache"), "--device", "cpu"]
    assert train.main(args) == 0
    return out


@pytest.fixture
def interrupt_step(monkeypatch):
    """`interrupt_step(n)`: at the n-th optimizer step from now, send this process Ctrl-C (SIGINT, or the signal
    given) just as the step starts, then let the step run; `interrupt_step(None)` puts the real step back."""
    import signal

    import torch

    real_step = torch.optim.Adam.step

    def arm(n: int | None, sig=signal.SIGINT):
        calls = {"n": 0}

        def step(self, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] == n:
                os.kill(os.getpid(), sig)
            return real_step(self, *args, **kwargs)

        monkeypatch.setattr(torch.optim.Adam, "step", real_step if n is None else step)

    return arm


def real_data(name: str) -> Path:
    """A file of ../shared/data (or $IMDB_BILSTM_DATA); skips the test, saying why, when it is absent."""
    base = Path(os.environ.get("IMDB_BILSTM_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    path = base / name
    if not path.exists():
        pytest.skip(f"real data {path} is absent (set IMDB_BILSTM_DATA to the folder holding imdb/ and glove/)")
    return path
