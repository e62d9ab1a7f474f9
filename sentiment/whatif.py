"""What if some words were gone: the review without them, and the fewest of its highest-ranked words whose removal
flips the verdict (a live check of the highlights: if they are faithful, few words suffice)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from .explain import Explanation

if TYPE_CHECKING:
    from .classifier import SentimentClassifier


def without(text: str, spans: list[tuple[int, int]], drop: Iterable[int]) -> str:
    """`text` with the tokens at indices `drop` cut out (`spans`: each token's characters, as the tokenizer gives
    them), each with the spaces before it; the rest as written."""
    drop = set(drop)
    parts, pos = [], 0
    for i, (start, end) in enumerate(spans):
        if i not in drop or start < pos:
            continue
        parts.append(text[pos:start].rstrip(" "))  # "was not bad" without "not" is "was bad"
        pos = end
    parts.append(text[pos:])
    return "".join(parts).lstrip(" ") if 0 in drop else "".join(parts)


@dataclass
class Flip:
    removed: list[int]  # token indices, the strongest first
    text: str  # the review without them
    probability: float  # P(positive) of that text


def fewest_to_flip(clf: SentimentClassifier, e: Explanation, limit: int = 20) -> Flip | None:
    """Remove the words that pushed hardest towards the verdict, 1, 2, ... up to `limit` of them (by
    `e.contributions`), and return the first set whose removal flips it; None if none up to `limit` does. All the
    shortened reviews are scored in one batch."""
    sign = 1 if e.probability >= 0.5 else -1
    ranked = sorted((i for i, c in enumerate(e.contributions) if sign * c > 0),
                    key=lambda i: -sign * e.contributions[i])
    candidates = [(ranked[:k], without(e.text, e.spans, ranked[:k])) for k in range(1, min(limit, len(ranked)) + 1)]
    probabilities = clf.score_each([text for _, text in candidates])  # None where no words are left
    for (removed, text), p in zip(candidates, probabilities):
        if p is not None and (p >= 0.5) != (e.probability >= 0.5):
            return Flip(removed, text, p)
    return None
