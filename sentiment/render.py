"""HTML for the playground: a review coloured by token contributions, a legend, and the hidden-unit rows."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for annotations only: rendering needs neither torch nor the Hub client
    from .explain import Explanation

POSITIVE = (22, 163, 74)  # green: pushes towards positive
NEGATIVE = (220, 38, 38)  # red: pushes towards negative
UNIT_HIGH = (37, 99, 235)  # blue: unit activation above zero
UNIT_LOW = (234, 88, 12)  # orange: below zero


def score_color(score: float, scale: float, positive=POSITIVE, negative=NEGATIVE) -> str:
    """Background for a score: green or red by sign, more opaque as |score| nears `scale`."""
    if scale <= 0 or score == 0:
        return "transparent"
    r, g, b = positive if score > 0 else negative
    alpha = min(abs(score) / scale, 1.0) * 0.85
    return f"rgba({r}, {g}, {b}, {alpha:.3f})"


def _scale(values: list[float]) -> float:
    return max((abs(v) for v in values), default=0.0)


def highlight(e: Explanation) -> str:
    """The review as written (every character escaped), each token on its contribution's colour."""
    scale = _scale(e.contributions)
    parts, pos = [], 0
    for token, (start, end), c in zip(e.tokens, e.spans, e.contributions):
        if start < pos:  # a token that shares characters with the last one (an entity split in two)
            continue
        parts.append(escape(e.text[pos:start]))
        parts.append(f'<span class="tok" style="background:{score_color(c, scale)}" '
                     f'title="{escape(token)}: {c:+.3f}">{escape(e.text[start:end])}</span>')
        pos = end
    parts.append(escape(e.text[pos:]))
    if e.truncated:  # what was cut shows without colour: the middle or the end, as the model truncates
        parts.append('<span class="cut"> [text without colour was not read: the review is longer than the model '
                     "reads]</span>")
    return f'<div class="review">{"".join(parts)}</div>'


def legend(e: Explanation) -> str:
    """What the colours mean, in the units they are measured in."""
    scale = _scale(e.contributions)
    return (
        '<div class="legend">'
        f'<span class="tok" style="background:{score_color(scale, scale)}">towards positive</span> '
        f'<span class="tok" style="background:{score_color(-scale, scale)}">towards negative</span> '
        f"Full colour = {scale:.2f} logit units (the largest share in this review). "
        f"Shares plus bias ({e.bias:+.2f}) = the model's score ({e.logit:+.2f}); "
        f"P(positive) = sigmoid(score) = {e.probability:.3f}.</div>")


def units_view(e: Explanation, max_tokens: int = 400) -> str:
    """One row per top hidden unit: the review's tokens coloured by that unit's activation (-1 to 1)."""
    rows = []
    for u in e.units:
        cells = "".join(
            f'<span class="tok" style="background:{score_color(a, 1.0, UNIT_HIGH, UNIT_LOW)}" '
            f'title="{escape(t)}: {a:+.2f}">{escape(t)}</span> '
            for t, a in zip(e.tokens[:max_tokens], u.activations[:max_tokens]))
        more = " …" if len(e.tokens) > max_tokens else ""
        rows.append(f'<div class="unit"><div class="unit-name">unit {u.index} ({u.direction} LSTM)'
                    f" · share of score {u.contribution:+.2f}</div><div>{cells}{more}</div></div>")
    key = (f'<div class="legend"><span class="tok" style="background:{score_color(1, 1, UNIT_HIGH, UNIT_LOW)}">'
           f'high (+1)</span> <span class="tok" style="background:{score_color(-1, 1, UNIT_HIGH, UNIT_LOW)}">'
           "low (-1)</span> A unit's activation, not sentiment. Each row is one unit of the top LSTM layer, the ones "
           "that weigh most in this "
           "prediction (|output weight x pooled activation|).</div>")
    return key + "".join(rows)


def verdict(e: Explanation) -> dict[str, float]:
    """For gr.Label: both classes' probabilities."""
    return {"positive": e.probability, "negative": 1.0 - e.probability}


def notes(e: Explanation) -> str:
    """Caveats a reader should see next to the verdict (Markdown)."""
    out = []
    if e.truncated:
        out.append(f"The review was cut to the {len(e.tokens):,} tokens the model reads.")
    if e.unknown_share >= 0.5:
        out.append(f"{100 * e.unknown_share:.0f}% of the words are unknown to the model (it knows English movie "
                   "reviews), so this verdict means little.")
    return " ".join(out)
