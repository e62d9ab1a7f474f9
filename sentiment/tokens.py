"""Cleaning and tokenizing reviews, keeping each token's character span in the original text."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# HTML tags (IMDB reviews use `<br />` for line breaks, a few use <i>, <b>) and character entities.
_MARKUP = re.compile(r"</?[A-Za-z][^<>]{0,40}>|&(?:#\d{1,6}|#x[0-9A-Fa-f]{1,5}|[A-Za-z]{2,8});")


SENTENCE_ENDS = (".", "!", "?", "...", "…")  # tokens that close a sentence


@dataclass(frozen=True)
class Tokenized:
    """A review's tokens (lower-cased, as the model sees them) and their spans in the original text."""

    tokens: list[str]
    spans: list[tuple[int, int]]


def clean(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Replace markup by a space and entities by their character; return the text and, per character, the span of
    the original text it came from (all of "&lt;" for the "<" it became), plus one empty span past the end."""
    out: list[str] = []
    sources: list[tuple[int, int]] = []
    pos = 0
    for m in _MARKUP.finditer(text):
        out.append(text[pos:m.start()])
        sources.extend((i, i + 1) for i in range(pos, m.start()))
        piece = m.group()
        replacement = " " if piece.startswith("<") else html.unescape(piece)
        out.append(replacement)
        sources.extend([m.span()] * len(replacement))
        pos = m.end()
    out.append(text[pos:])
    sources.extend((i, i + 1) for i in range(pos, len(text)))
    sources.append((len(text), len(text)))
    return "".join(out), sources


class Tokenizer:
    """spaCy's rule-based English tokenizer (`spacy.blank("en")`, no model download) after cleaning."""

    def __init__(self, lowercase: bool = True):
        # Imported here, not at the top: training from an encoded corpus (on a GPU machine) needs no spaCy.
        import spacy

        self.lowercase = lowercase
        self._nlp = spacy.blank("en")
        self._spacy_version = spacy.__version__

    @property
    def settings(self) -> dict:
        """What changes the token stream; part of the corpus cache key."""
        return {"tokenizer": "spacy.blank(en)", "spacy": self._spacy_version, "lowercase": self.lowercase,
                "markup": _MARKUP.pattern, "version": 1}

    def tokenize(self, text: str) -> Tokenized:
        """One review (inference): its tokens and their spans in `text`."""
        cleaned, sources = clean(text)
        kept = self._kept(self._nlp.make_doc(cleaned))
        return Tokenized([self._text(t) for t in kept],
                         [(sources[t.idx][0], sources[t.idx + len(t.text) - 1][1]) for t in kept])

    def pipe(self, texts, batch_size: int = 500):
        """Token lists for many texts (the corpus); faster than one by one, and the same tokens as `tokenize`."""
        cleaned = (clean(t)[0] for t in texts)
        for doc in self._nlp.tokenizer.pipe(cleaned, batch_size=batch_size):
            yield [self._text(t) for t in self._kept(doc)]

    @staticmethod
    def _kept(doc) -> list:
        """The spaCy tokens the model reads: all but whitespace."""
        return [t for t in doc if not t.is_space]

    def _text(self, token) -> str:
        return token.lower_ if self.lowercase else token.text
