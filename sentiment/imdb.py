"""Reading the IMDB Large Movie Review Dataset from its `aclImdb/` folder or the `.tar.gz` as downloaded."""

from __future__ import annotations

import hashlib
import re
import tarfile
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import DataError

SPLITS = ("train", "test", "unsup")
_MEMBER = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg|unsup)/(\d+)_(\d+)\.txt$")
_URLS = re.compile(r"(?:^|/)aclImdb/(train|test)/urls_(pos|neg|unsup)\.txt$")  # line i: the movie of review id i
_TITLE = re.compile(r"/title/tt(\d+)")


@dataclass(frozen=True)
class Review:
    """One review: its text, label (1 positive, 0 negative, -1 unlabelled), star rating (0 when unrated), and the
    IMDb title number of its movie (0 when the archive lacks its urls_*.txt file)."""

    text: str
    label: int
    rating: int
    id: int
    movie: int = 0


def read_imdb(path: str | Path, splits=("train", "test")) -> dict[str, list[Review]]:
    """Read the named splits ("train", "test", "unsup") from `aclImdb/`, its parent folder, or `aclImdb_v1.tar.gz`."""
    path = Path(path)
    unknown = set(splits) - set(SPLITS)
    if unknown:
        raise ValueError(f"Unknown split(s) {sorted(unknown)}; choose from {SPLITS}.")
    if not path.exists():
        raise DataError(f"No IMDB data at {path}: pass the aclImdb/ folder or aclImdb_v1.tar.gz.")
    items = _tar_items(path) if path.is_file() else _folder_items(path)
    out: dict[str, list[Review]] = {s: [] for s in splits}
    movies: dict[tuple[str, str], list[int]] = {}
    for name, read in items:
        u = _URLS.search(name)
        if u:
            lines = read().decode("utf-8").splitlines()
            movies[u.groups()] = [int(t.group(1)) if (t := _TITLE.search(line)) else 0 for line in lines]
            continue
        m = _MEMBER.search(name)
        if not m:
            continue
        split, polarity, rid, rating = m.groups()
        split = "unsup" if polarity == "unsup" else split
        if split in out:
            label = {"pos": 1, "neg": 0, "unsup": -1}[polarity]
            out[split].append(Review(read().decode("utf-8"), label, int(rating), int(rid)))
    for split, reviews in out.items():
        for i, r in enumerate(reviews):
            folder = "train" if split == "unsup" else split
            titles = movies.get((folder, {1: "pos", 0: "neg", -1: "unsup"}[r.label]), [])
            if r.id < len(titles):
                reviews[i] = replace(r, movie=titles[r.id])
        if not reviews:
            example = "train/unsup/0_0.txt" if split == "unsup" else f"{split}/pos/0_9.txt"
            raise DataError(f"{path} holds no reviews for the '{split}' split: expected files like aclImdb/{example}.")
        # Archive order differs between copies of the dataset; a fixed order makes runs repeatable.
        reviews.sort(key=lambda r: (-r.label, r.id))
    return out


def checksum(path: str | Path) -> str:
    """sha256 of an archive, or of a folder's review files (names and bytes); the corpus cache is keyed by it."""
    path = Path(path)
    h = hashlib.sha256()
    if path.is_file():
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    else:
        for name, read in sorted(_folder_items(path)):
            if _MEMBER.search(name) or _URLS.search(name):
                h.update(name.encode())
                h.update(read())
    return h.hexdigest()


def _tar_items(path: Path):
    try:
        tar = tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError) as e:
        raise DataError(f"{path} is not a readable .tar.gz archive of aclImdb ({e}).") from e
    with tar:
        for member in tar:
            if member.isfile():
                yield member.name, tar.extractfile(member).read


def _folder_items(path: Path):
    root = path if path.name == "aclImdb" or not (path / "aclImdb").is_dir() else path / "aclImdb"
    for f in [*root.glob("*/*/*.txt"), *root.glob("*/urls_*.txt")]:
        yield "aclImdb/" + f.relative_to(root).as_posix(), f.read_bytes
