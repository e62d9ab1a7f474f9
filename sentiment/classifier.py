"""The public API: `load_model`, then `predict_proba` for many reviews and `explain` for one."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from . import folder, hub
from .batching import Dataset, kept_ranges, truncate
from .errors import ReviewError
from .explain import Explanation, Unit, shares, unit_contributions
from .model import BiLSTMClassifier
from .relevance import word_relevance
from .tokens import Tokenized, Tokenizer
from .vocab import Vocab

MAX_CHARS = 100_000  # longer input is cut before tokenizing (a pasted book would otherwise take seconds)


class SentimentClassifier:
    """A trained model with its vocabulary and tokenizer; everything runs in eval mode, without gradients."""

    def __init__(self, model: BiLSTMClassifier, vocab: Vocab, source: str = "", metrics: dict | None = None,
                 device: str | torch.device = "cpu", max_chars: int = MAX_CHARS, location: Path | None = None):
        self.model = model.to(device).eval()
        self.vocab, self.source, self.metrics = vocab, source, metrics or {}
        self.location = location  # the model folder it was read from (a Hub download's local copy), if any
        self.device = torch.device(device)
        self.config = model.config
        self.tokenizer = Tokenizer(lowercase=self.config.lowercase)
        self.max_chars = max_chars

    def tokenize(self, text: str) -> tuple[Tokenized, bool]:
        """The tokens the model sees (spans in `text`), and whether the text was cut to fit."""
        if not isinstance(text, str) or not text.strip():
            raise ReviewError("The review is empty: write or paste some text to score.")
        mode = self.config.truncate
        cut = len(text) > self.max_chars
        tokens, spans = [], []
        for offset, end in kept_ranges(len(text), self.max_chars, mode):  # characters cut as tokens are below
            part = self.tokenizer.tokenize(text[offset:end])
            tokens += part.tokens
            spans += [(a + offset, b + offset) for a, b in part.spans]
        if not tokens:  # only markup, which cleaning removes
            raise ReviewError("The review has no words to read once markup is removed: write some text.")
        keep = truncate(np.arange(len(tokens)), self.config.max_tokens, mode)
        if len(keep) < len(tokens):
            cut = True
            tokens, spans = [tokens[i] for i in keep], [spans[i] for i in keep]
        return Tokenized(tokens, spans), cut

    def encode(self, text: str) -> np.ndarray:
        """The vocabulary ids the model reads for `text`; ReviewError (a ValueError) when it has no words."""
        return np.array(self.vocab.encode(self.tokenize(text)[0].tokens), dtype=np.int64)

    def predict_proba(self, texts: list[str], batch_size: int = 64) -> list[float]:
        """P(positive) for each review, batched by length; the same as scoring each alone."""
        if isinstance(texts, str):
            raise TypeError("predict_proba takes a list of reviews; for one review, pass [text].")
        seqs = []
        for i, text in enumerate(texts):
            try:
                seqs.append(self.encode(text))
            except ReviewError as e:
                raise ReviewError(f"Review {i}: {e}") from None
        return self.probabilities(seqs, batch_size)

    def score_each(self, texts: list[str], batch_size: int = 64, on_batch=None, on_skip=None) -> list[float | None]:
        """P(positive) for each review, None for one with no words once markup is removed (`on_skip(text,
        message)` hears of each), batched by length. `on_batch(n)` after each batch of n reviews, the reviews with
        no words counting as one batch, first."""
        seqs, kept = [], []
        for i, text in enumerate(texts):
            try:
                seqs.append(self.encode(text))
                kept.append(i)
            except ReviewError as e:
                if on_skip is not None:
                    on_skip(text, str(e))
        if on_batch is not None and len(kept) < len(texts):
            on_batch(len(texts) - len(kept))
        out: list[float | None] = [None] * len(texts)
        for i, p in zip(kept, self.probabilities(seqs, batch_size, on_batch)):
            out[i] = p
        return out

    @torch.no_grad()
    def probabilities(self, seqs: list[np.ndarray], batch_size: int = 64, on_batch=None) -> list[float]:
        """P(positive) for reviews already encoded (`encode`), batched by length; `on_batch(n)` after each batch
        of n reviews (a progress bar's update)."""
        data = Dataset(seqs, np.zeros(len(seqs), np.float32), self.vocab.pad_id)
        out = np.zeros(len(seqs))
        for batch in data.batches(batch_size, shuffle=False):
            out[batch.rows] = torch.sigmoid(self.model(batch.ids.to(self.device), batch.lengths)).cpu().numpy()
            if on_batch is not None:
                on_batch(len(batch.rows))
        return out.tolist()

    @torch.no_grad()
    def explain(self, text: str, top_units: int = 8) -> Explanation:
        """Probability, word relevance, state shares and top hidden units, from one forward pass and one sweep back
        through it."""
        tok, truncated = self.tokenize(text)
        ids = self.vocab.encode(tok.tokens)
        n = len(ids)
        lengths = torch.tensor([n])
        r = word_relevance(self.model, torch.tensor([ids], device=self.device), lengths)
        d = shares(self.model, r.states, lengths)
        logit = float(r.logits[0])
        per_unit = unit_contributions(self.model, d.features[0])  # (2H,)
        H = self.config.hidden_size
        units = [Unit(int(j), "forward" if j < H else "backward", float(per_unit[j]), d.states[0, :n, j].cpu().tolist())
                 for j in per_unit.abs().argsort(descending=True)[:top_units]]
        return Explanation(
            text=text, tokens=tok.tokens, spans=tok.spans, contributions=r.words[0].tolist(), bias=float(r.bias[0]),
            logit=logit, probability=1 / (1 + math.exp(-logit)),
            state_contributions=d.contributions[0].cpu().tolist(), state_bias=d.bias,
            step_bias=r.step_bias[0].tolist(), units=units, truncated=truncated,
            unknown_share=sum(i == self.vocab.unk_id for i in ids) / n)

    def describe(self) -> str:
        """One line: which model this is and how well it scored."""
        acc = (self.metrics.get("test") or {}).get("accuracy")
        return f"{self.source}" + (f" (IMDB test accuracy {100 * acc:.2f}%)" if acc is not None else "")


def load_model(source: str | Path | None = None, device: str | torch.device = "cpu") -> SentimentClassifier:
    """The bundled model (no argument), a model folder written by train.py, or a Hugging Face Hub repo id."""
    location = Path(hub.resolve(source))
    model, vocab, metrics = folder.load(location)
    return SentimentClassifier(model, vocab, "bundled model" if source is None else str(source), metrics, device,
                               location=location)
