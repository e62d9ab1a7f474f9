"""The encoded corpus: every review as token ids, cached on disk so that a second run starts in seconds."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .errors import DataError
from .imdb import Review, checksum, read_imdb
from .tokens import Tokenizer
from .vocab import PAD, UNK, Vocab

FORMAT = "imdb-bilstm-corpus/3"  # 2: without the star ratings, which nothing read; 3: with each review's movie
FIELDS = ("ids", "offsets", "labels", "movies")


@dataclass
class Split:
    """One split's reviews as a flat id array cut by `offsets` (review i is ids[offsets[i]:offsets[i+1]])."""

    ids: np.ndarray  # (N_tokens,) uint32, indices into Corpus.types
    offsets: np.ndarray  # (N + 1,) int64
    labels: np.ndarray  # (N,) int8: 1 positive, 0 negative, -1 unlabelled
    movies: np.ndarray  # (N,) int64: IMDb title number of each review's movie, 0 where unknown

    def __len__(self) -> int:
        return len(self.labels)

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def review(self, i: int) -> np.ndarray:
        return self.ids[self.offsets[i]:self.offsets[i + 1]]


@dataclass
class Corpus:
    """Token types ranked by training frequency, and each split's reviews encoded as indices into them."""

    types: list[str]
    splits: dict[str, Split]
    manifest: dict

    def type_counts(self, train_rows: np.ndarray) -> np.ndarray:
        """(len(types),) how often each type occurs in the given training reviews."""
        train = self.splits["train"]
        ids = np.concatenate([train.review(i) for i in train_rows]) if len(train_rows) else np.zeros(0, np.uint32)
        return np.bincount(ids, minlength=len(self.types))

    def vocab(self, max_size: int, counts: np.ndarray) -> tuple[Vocab, np.ndarray]:
        """The vocabulary of the `max_size` most frequent types (by `counts`), and the type -> vocabulary id table."""
        # Most frequent first; ties in the order of `types`, which is alphabetical within a count.
        ranked = np.lexsort((np.arange(len(counts)), -counts))
        kept = [int(t) for t in ranked[:max_size] if counts[t] > 0]
        vocab = Vocab([UNK, PAD] + [self.types[t] for t in kept])
        table = np.full(len(self.types), Vocab.unk_id, dtype=np.int64)
        table[kept] = np.arange(2, 2 + len(kept))
        return vocab, table

    def save(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {f"{name}.{field}": getattr(s, field)
                  for name, s in self.splits.items() for field in FIELDS}
        np.savez_compressed(folder / "corpus.npz", **arrays)
        (folder / "types.json").write_text(json.dumps(self.types, ensure_ascii=False), encoding="utf-8")
        # Written last: its presence marks a complete corpus.
        (folder / "manifest.json").write_text(json.dumps(self.manifest, indent=2))

    @classmethod
    def load(cls, folder: str | Path) -> "Corpus":
        folder = Path(folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            raise DataError(f"{folder} is not an encoded corpus of format {FORMAT}; encode it again from the "
                            "IMDB archive.")
        types = json.loads((folder / "types.json").read_text(encoding="utf-8"))
        with np.load(folder / "corpus.npz", allow_pickle=False) as z:
            splits = {name: Split(*(z[f"{name}.{f}"] for f in FIELDS))
                      for name in manifest["splits"]}
        return cls(types, splits, manifest)


def is_corpus(path: str | Path) -> bool:
    return (Path(path) / "manifest.json").is_file()


def encode(reviews: dict[str, list[Review]], tokenizer: Tokenizer, manifest: dict) -> Corpus:
    """Tokenize every review; rank types by their count in "train" (then alphabetically)."""
    tokenized = {}
    for name, rs in reviews.items():
        texts = (r.text for r in rs)
        tokenized[name] = list(tqdm(tokenizer.pipe(texts), total=len(rs), desc=f"tokenizing {name}", unit="review"))
    counts: dict[str, int] = {}
    for toks in tokenized.get("train", []):
        for t in toks:
            counts[t] = counts.get(t, 0) + 1
    seen = set(counts)
    unseen = {t for toks_list in tokenized.values() for toks in toks_list for t in toks if t not in seen}
    types = sorted(counts, key=lambda t: (-counts[t], t)) + sorted(unseen)
    index = {t: i for i, t in enumerate(types)}
    splits = {}
    for name, toks_list in tokenized.items():
        lengths = np.array([len(t) for t in toks_list], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        ids = np.fromiter((index[t] for toks in toks_list for t in toks), dtype=np.uint32, count=int(offsets[-1]))
        labels = np.array([r.label for r in reviews[name]], dtype=np.int8)
        movies = np.array([r.movie for r in reviews[name]], dtype=np.int64)
        splits[name] = Split(ids, offsets, labels, movies)
    manifest = {**manifest, "format": FORMAT, "splits": list(splits),
                "reviews": {n: len(s) for n, s in splits.items()},
                "tokens": {n: int(s.offsets[-1]) for n, s in splits.items()}}
    return Corpus(types, splits, manifest)


def load_corpus(data: str | Path, cache_dir: str | Path, lowercase: bool = True,
                splits=("train", "test")) -> Corpus:
    """The encoded corpus for an IMDB archive or folder, from the cache when it was encoded before.

    `data` may also be a corpus folder written by this function (to train where the raw data is not).
    """
    if is_corpus(data):
        return Corpus.load(data)
    tokenizer = Tokenizer(lowercase)
    digest = checksum(data)
    settings = {"format": FORMAT, "data_sha256": digest, "splits": list(splits), **tokenizer.settings}
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    folder = Path(cache_dir) / f"corpus-{key}"
    if is_corpus(folder):
        return Corpus.load(folder)
    corpus = encode(read_imdb(data, splits), tokenizer, settings)
    corpus.save(folder)
    return corpus
