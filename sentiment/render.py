"""HTML for the playground: a review coloured by its token scores, a legend, the strongest words and sentences, the
verdict and its caveats (charts.py draws the curves). Two views of the scores (`VIEWS`): word relevance, and the top
layer's state shares."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from .tokens import SENTENCE_ENDS

if TYPE_CHECKING:  # for annotations only: rendering needs neither torch nor the Hub client
    from .explain import Explanation

POSITIVE = (22, 163, 74)  # green: pushes towards positive
NEGATIVE = (220, 38, 38)  # red: pushes towards negative
# (towards positive, towards negative): red/green, or blue/orange, which readers with the common red-green colour
# blindness tell apart
PALETTES = {"red/green": (POSITIVE, NEGATIVE), "blue/orange": ((37, 99, 235), (234, 88, 12))}
UNIT_HIGH = (124, 58, 237)  # violet: unit activation above zero (no sentiment colour: it is not a sentiment)
UNIT_LOW = (100, 116, 139)  # slate: below zero
FIXED_SCALE = 2.0  # logit units drawn in full colour on the fixed scale: alone, such a word multiplies the odds by 7.4
FAINTEST = 0.12  # the least opacity of a coloured token, so that faint tints stay visible on a dark page
BLANK_BELOW = 0.02  # scores under this share of the scale stay uncoloured
SHORT = 20  # tokens: 99.98% of IMDB's training reviews are at least this long; shorter texts get a caveat
VIEWS = {"words": "Words: each word's relevance, carried down through the whole LSTM",
         "states": "States: each position's share, read from the top layer's states"}


def opacity(share: float) -> float:
    """How opaque a colour is drawn for a score at `share` (0..1) of the full-colour scale: 0 below BLANK_BELOW,
    else from FAINTEST up to 0.85."""
    share = min(share, 1.0)
    return 0.0 if share < BLANK_BELOW else FAINTEST + (0.85 - FAINTEST) * share


def score_color(score: float, scale: float, positive=POSITIVE, negative=NEGATIVE) -> str:
    """Background for a score: green or red by sign, more opaque as |score| nears `scale`."""
    alpha = opacity(abs(score) / scale) if scale > 0 else 0.0
    if not alpha:
        return "transparent"
    r, g, b = positive if score > 0 else negative
    return f"rgba({r}, {g}, {b}, {alpha:.3f})"


def scores(e: Explanation, view: str = "words") -> tuple[list[float], float]:
    """The view's token scores and the bias they add up with to the logit."""
    return (e.state_contributions, e.state_bias) if view == "states" else (e.contributions, e.bias)


def color_scale(e: Explanation, view: str = "words", fixed: bool = True) -> float:
    """Logit units drawn in full colour: FIXED_SCALE, or this review's largest score."""
    return FIXED_SCALE if fixed else max((abs(v) for v in scores(e, view)[0]), default=0.0)


def coloured_text(e: Explanation, values: list[float], scale: float, title: str = "{:+.3f}", limit: int | None = None,
                  colors=(POSITIVE, NEGATIVE), groups: list[range] | None = None) -> str:
    """The review as written (every character escaped), each token on its value's colour; text between tokens as it
    is, so that punctuation stays where the writer put it. Past `limit` tokens the text stops with an ellipsis.
    `groups` (token ranges, e.g. `sentences(e)`) wraps each range in a span with the id sentence-<k>. Each token's
    span carries its index as data-i (the page's what-if clicks)."""
    opens = {g.start: k for k, g in enumerate(groups or []) if len(g)}
    closes = {g.stop - 1 for g in groups or [] if len(g)}
    parts, pos = [], 0
    for n, (token, (start, end), v) in enumerate(zip(e.tokens, e.spans, values)):
        if limit is not None and n == limit:
            return "".join(parts) + " …"
        if start >= pos:  # else a token that shares characters with the last one (a character split in two)
            parts.append(escape(e.text[pos:start]))
            if n in opens:
                parts.append(f'<span class="sentence" id="sentence-{opens[n]}">')
            parts.append(f'<span class="tok" data-i="{n}" style="background:{score_color(v, scale, *colors)}" '
                         f'title="{escape(token)}: {title.format(v)}">{escape(e.text[start:end])}</span>')
            pos = end
        elif n in opens:
            parts.append(f'<span class="sentence" id="sentence-{opens[n]}">')
        if n in closes:
            parts.append("</span>")
    parts.append(escape(e.text[pos:]))
    return "".join(parts)


def each_way(values: list[float], n: int) -> list[tuple[str, list[int]]]:
    """("towards positive", the indices of the n largest positive values, largest first), and the same towards
    negative."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    return [("towards positive", [i for i in sorted(order, key=lambda i: -values[i]) if values[i] > 0][:n]),
            ("towards negative", [i for i in order if values[i] < 0][:n])]


def sentences(e: Explanation) -> list[range]:
    """The review's sentences as token ranges: one ends after a run of ., ! or ?, and where the text between two
    tokens breaks the line (a newline, or IMDB's <br />)."""
    out, start, n = [], 0, len(e.tokens)
    for i, token in enumerate(e.tokens):
        last = i == n - 1
        gap = "" if last else e.text[e.spans[i][1]:e.spans[i + 1][0]]
        end_mark = token in SENTENCE_ENDS and (last or e.tokens[i + 1] not in SENTENCE_ENDS)
        if last or end_mark or "\n" in gap or "<br" in gap.lower():
            out.append(range(start, i + 1))
            start = i + 1
    return out


def sentence_ranking(e: Explanation, view: str = "words", palette: str = "red/green", n: int = 3) -> str:
    """For a review of several sentences: those that pushed most each way, by the sum of their scores, each a link
    to the sentence in the highlighted review."""
    groups = sentences(e)
    if len(groups) < 3:
        return ""
    values, _ = scores(e, view)
    sums = [sum(values[i] for i in g) for g in groups]
    colors = PALETTES[palette]
    rows = []
    for name, picked in each_way(sums, n):
        items = []
        for k in picked:
            g = groups[k]
            text = e.text[e.spans[g.start][0]:e.spans[g.stop - 1][1]]
            text = text if len(text) <= 120 else text[:117] + "…"
            items.append(f'<li><a href="#sentence-{k}"><span class="tok" style="background:'
                         f'{score_color(sums[k], FIXED_SCALE, *colors)}">{sums[k]:+.2f}</span></a> '
                         f"{escape(text)}</li>")
        if items:
            rows.append(f"<div>Sentences that pushed most {name}:</div><ol>{''.join(items)}</ol>")
    return f'<div class="sentences">{"".join(rows)}</div>'


def highlight(e: Explanation, view: str = "words", fixed: bool = True, palette: str = "red/green") -> str:
    """The review coloured by the view's scores."""
    values, _ = scores(e, view)
    out = coloured_text(e, values, color_scale(e, view, fixed), colors=PALETTES[palette], groups=sentences(e))
    if e.truncated:  # what was cut shows without colour: the middle or the end, as the model truncates
        out += ('<span class="cut"> [text without colour was not read: the review is longer than the model '
                "reads]</span>")
    return f'<div class="review">{out}</div>'


def legend(e: Explanation, view: str = "words", fixed: bool = True, palette: str = "red/green") -> str:
    """What the colours mean, in the units they are measured in, and how the scores add up."""
    values, bias = scores(e, view)
    scale = color_scale(e, view, fixed)
    colors = PALETTES[palette]
    chips = (f'<span class="tok" style="background:{score_color(1, 1, *colors)}">towards positive</span> '
             f'<span class="tok" style="background:{score_color(-1, 1, *colors)}">towards negative</span> ')
    if fixed:
        how = f"Full colour at ±{scale:.2f} logit units or more (fixed scale, the same for every review). "
    else:
        how = f"Full colour = {scale:.2f} logit units, this review's largest score (relative scale). "
    if view == "states":
        total = f"State shares plus bias ({bias:+.2f}) = the model's score ({e.logit:+.2f}); "
    else:
        total = (f"Word scores plus bias terms ({bias:+.2f}: the output layer's and the LSTM's own biases) = the "
                 f"model's score ({e.logit:+.2f}); ")
    return f'<div class="legend">{chips}{how}{total}P(positive) = sigmoid(score) = {e.probability:.3f}.</div>'


def strongest(e: Explanation, view: str = "words", fixed: bool = True, palette: str = "red/green",
              n: int = 5) -> str:
    """The words that pushed most each way, with their numbers on the page (hover does not work on a phone)."""
    values, _ = scores(e, view)
    colors = PALETTES[palette]
    scale = color_scale(e, view, fixed)
    rows = []
    for name, picked in each_way(values, n):
        words = ", ".join(f'<span class="tok" style="background:{score_color(values[i], scale, *colors)}">'
                          f"{escape(e.tokens[i])}</span> {values[i]:+.2f}" for i in picked)
        rows.append(f"<div>Strongest {name}: {words or 'none'}</div>")
    return f'<div class="strongest">{"".join(rows)}</div>'


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
    elif len(e.tokens) < SHORT:
        out.append(f"The model learned from whole reviews, nearly all of them {SHORT} tokens or longer; on a text "
                   "this short its probability is often extreme, and less often right.")
    return " ".join(out)
