"""Many reviews at once, from a file a visitor uploads: a .txt file (one review per line) or a .csv file with a
text column, read with limits, scored in batches, and the results written back as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UserError
from .explain import label_of

if TYPE_CHECKING:
    from .classifier import SentimentClassifier

MAX_BYTES = 5_000_000  # about 4,000 IMDB reviews of average length (1,300 characters)
MAX_REVIEWS = 5_000  # a minute or two of scoring on two CPU cores
# Reviews scored at once: the LSTM's activations for a batch of 64 long reviews take hundreds of MB on the CPU; with
# 16, benchmarks/load.py's server peaked at 865 MB instead of 1,353 MB scoring 1,000 reviews, in 29 s instead of 35
BATCH = 16
TEXT_COLUMNS = ("text", "review")  # a CSV's column of reviews, by name (any case); else its only column


class ReviewFileError(UserError, ValueError):
    """An uploaded file that cannot be read as reviews; the message says what to change."""


@dataclass
class Reviews:
    """The reviews of one file, each with where it was: its line (.txt) or its row under the header (.csv)."""

    texts: list[str]
    places: list[int]
    place: str  # "line" or "row"
    skipped: int = 0  # blank lines or cells


def read_reviews(path: str | Path, max_bytes: int = MAX_BYTES, max_reviews: int = MAX_REVIEWS) -> Reviews:
    """The reviews in a .txt or .csv file; ReviewFileError, in one sentence, for anything else."""
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in (".txt", ".csv"):
        raise ReviewFileError(f"{path.name} is not a .txt or .csv file: upload a .txt file with one review per line, "
                              "or a .csv file with a text column.")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ReviewFileError(f"{path.name} is {_size(size)}; files of up to {_size(max_bytes)} can be scored "
                                  "here: split it, or score it with predict_proba in Python.")
        data = path.read_bytes()
    except OSError as e:
        raise ReviewFileError(f"{path.name} could not be read ({e.strerror or e}).") from None
    if b"\0" in data:
        raise ReviewFileError(f"{path.name} is not a text file (it holds binary data): save the reviews as plain "
                              "text or CSV.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReviewFileError(f"{path.name} is not UTF-8 text: save it with the UTF-8 encoding and upload it "
                              "again.") from None
    reviews = _from_csv(text, path.name) if kind == ".csv" else _from_lines(text)
    if not reviews.texts:
        raise ReviewFileError(f"{path.name} holds no reviews: it is empty or blank.")
    if len(reviews.texts) > max_reviews:
        raise ReviewFileError(f"{path.name} holds {len(reviews.texts):,} reviews; up to {max_reviews:,} can be "
                              "scored at once here: split it.")
    return reviews


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def _from_lines(text: str) -> Reviews:
    texts, places = [], []
    lines = text.splitlines()
    for n, line in enumerate(lines, start=1):
        if line.strip():
            texts.append(line)
            places.append(n)
    return Reviews(texts, places, "line", skipped=len(lines) - len(texts))


def _from_csv(text: str, name: str) -> Reviews:
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise ReviewFileError(f"{name} is not valid CSV ({e}).") from None
    if not rows:
        return Reviews([], [], "row")
    header = [h.strip() for h in rows[0]]
    named = [i for i, h in enumerate(header) if h.lower() in TEXT_COLUMNS]
    if named:
        column = named[0]
    elif len(header) == 1:
        column = 0
    else:
        shown = ", ".join(f'"{h}"' for h in header[:8]) + (", ..." if len(header) > 8 else "")
        raise ReviewFileError(f"{name} has no column named text or review (its columns: {shown}): name the "
                              "column of reviews text.")
    texts, places = [], []
    for n, row in enumerate(rows[1:], start=1):
        cell = row[column] if column < len(row) else ""
        if cell.strip():
            texts.append(cell)
            places.append(n)
    return Reviews(texts, places, "row", skipped=len(rows) - 1 - len(texts))


def score(clf: SentimentClassifier, reviews: Reviews, batch_size: int = BATCH, on_batch=None) -> list[float | None]:
    """P(positive) for each review (None for one with no words once markup is removed), batched by length:
    the model's memory grows with one batch, not with the file. `on_batch(n)` after each batch of n reviews (the
    reviews with no words count as one batch, first)."""
    return clf.score_each(reviews.texts, batch_size, on_batch)


def results_csv(reviews: Reviews, probabilities: list[float | None], path: str | Path) -> Path:
    """The results as CSV: where each review was, P(positive), the label and the review."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([reviews.place, "p_positive", "label", "text"])
        for place, p, text in zip(reviews.places, probabilities, reviews.texts):
            w.writerow([place, "" if p is None else f"{p:.6f}", label(p), text])
    return path


def label(p: float | None) -> str:
    return "no words" if p is None else label_of(p)
