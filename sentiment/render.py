"""HTML for the playground: a review coloured by its token scores, a legend, the strongest words, the reading curve,
the hidden-unit heat map, and the file tab's histogram. Two views of the scores (`VIEWS`): word relevance, and the
top layer's state shares."""

from __future__ import annotations

import base64
import struct
import zlib
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


def _ticks(n: int, most: int = 8) -> list[int]:
    """Whole token numbers for the curve's axis: 1 and multiples of a round step, at most about `most` of them."""
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000) if n / s <= most)
    return sorted({1, *range(step, n + 1, step)})


def curve(e: Explanation, view: str = "words", palette: str = "red/green", width: int = 560, height: int = 170) -> str:
    """The reading curve as an SVG: P(positive) after each token, whole-number token ticks, sentence ends marked,
    each token's value on hover; drawn in the page's text colour, so that it reads in dark mode too."""
    p = e.curve(view)
    n = len(p)
    above, below = PALETTES[palette]
    left, right, top, bottom = 34, 10, 24, 22
    pw, ph = width - left - right, height - top - bottom

    def x(i: int) -> float:  # token i, 1..n
        return left + (pw * (i - 1) / (n - 1) if n > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph * (1 - v)

    out = [f'<div class="curve-box"><svg class="curve" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="P(positive) after each token">',
           f'<text x="{left}" y="14" font-size="12" fill="currentColor">P(positive) after each token'
           f'{" (dotted: sentence ends)" if n > 1 else ""}</text>',
           f'<rect x="{left}" y="{y(1):.1f}" width="{pw}" height="{ph / 2:.1f}" fill="rgb{above}" '
           'fill-opacity="0.08"/>',
           f'<rect x="{left}" y="{y(0.5):.1f}" width="{pw}" height="{ph / 2:.1f}" fill="rgb{below}" '
           'fill-opacity="0.08"/>']
    for v in (0, 0.5, 1):
        dash = ' stroke-dasharray="4 3"' if v == 0.5 else ""
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="currentColor" '
                   f'stroke-opacity="0.3"{dash}/><text x="{left - 4}" y="{y(v) + 4:.1f}" font-size="11" '
                   f'text-anchor="end" fill="currentColor">{v:g}</text>')
    for i in sentence_ends(e):
        out.append(f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{top}" y2="{top + ph}" stroke="currentColor" '
                   'stroke-opacity="0.35" stroke-dasharray="1 3"/>')
    for i in _ticks(n):
        out.append(f'<text x="{x(i):.1f}" y="{height - 6}" font-size="11" text-anchor="middle" '
                   f'fill="currentColor">{i}</text>')
    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(p, start=1))
    out.append(f'<polyline points="{points}" fill="none" stroke="currentColor" stroke-width="1.6"/>')
    half = pw / max(n - 1, 1) / 2
    for i, (token, v) in enumerate(zip(e.tokens, p), start=1):  # hover targets, one column per token
        dot = f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="currentColor"/>' if n <= 60 else ""
        out.append(f'<g><rect x="{x(i) - half:.1f}" y="{top}" width="{2 * half:.1f}" height="{ph}" '
                   f'fill="transparent"/>{dot}<title>#{i} {escape(token)}: P(positive) {v:.3f}</title></g>')
    out.append("</svg></div>")
    return "".join(out)


def _png(rows: list[list[tuple[int, int, int, int]]]) -> bytes:
    """An RGBA PNG from rows of (r, g, b, alpha) pixels: a few hundred bytes for a unit heat map, where one SVG
    rectangle per cell would take hundreds of kilobytes for a long review."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\0" + bytes(v for px in row for v in px) for row in rows)
    header = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _cell(v: float) -> tuple[int, int, int, int]:
    """A unit activation (-1..1) as an RGBA pixel: violet above zero, slate below, as opaque as score_color draws it."""
    alpha = opacity(abs(v))
    if not alpha:
        return (0, 0, 0, 0)
    return (*(UNIT_HIGH if v > 0 else UNIT_LOW), round(255 * alpha))


def sentence_ends(e: Explanation) -> list[int]:
    """1-based token numbers that end a sentence of `sentences(e)`, the last one excepted (where the curves draw
    dotted lines)."""
    return [r.stop for r in sentences(e)[:-1]]


def units_view(e: Explanation, max_tokens: int = 800, width: int = 560, row: int = 16) -> str:
    """The top hidden units as one heat map, units by tokens (an image, so that a long review stays light), with
    each token's activations on hover and sentence ends marked; under it, the words each unit is highest on."""
    if not e.units:
        return ""
    n = min(len(e.tokens), max_tokens)
    left, right, top, bottom = 96, 10, 6, 22
    pw, ph = width - left - right, row * len(e.units)
    height = top + ph + bottom
    png = _png([[_cell(v) for v in u.activations[:n]] for u in e.units])
    step = pw / n

    def x(i: int) -> float:  # the left edge of token i, 1..n
        return left + step * (i - 1)

    out = [f'<div class="curve-box"><svg class="curve heatmap" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="Activation of the top hidden units at each token">',
           f'<image x="{left}" y="{top}" width="{pw}" height="{ph}" preserveAspectRatio="none" '
           f'style="image-rendering:pixelated" href="data:image/png;base64,{base64.b64encode(png).decode()}"/>']
    for k, u in enumerate(e.units):
        arrow = "→" if u.direction == "forward" else "←"
        out.append(f'<text x="{left - 6}" y="{top + row * k + row * 0.72:.1f}" font-size="11" text-anchor="end" '
                   f'fill="currentColor">unit {u.index} {arrow} {u.contribution:+.2f}</text>')
    for i in sentence_ends(e):
        if i < n:
            out.append(f'<line x1="{x(i + 1):.1f}" x2="{x(i + 1):.1f}" y1="{top}" y2="{top + ph}" '
                       'stroke="currentColor" stroke-opacity="0.35" stroke-dasharray="1 3"/>')
    for i in _ticks(n):
        out.append(f'<text x="{x(i) + step / 2:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" '
                   f'fill="currentColor">{i}</text>')
    for i, token in enumerate(e.tokens[:n], start=1):  # hover targets, one column per token
        values = ", ".join(f"unit {u.index} {u.activations[i - 1]:+.2f}" for u in e.units)
        out.append(f'<rect x="{x(i):.1f}" y="{top}" width="{step:.2f}" height="{ph}" fill="transparent">'
                   f"<title>#{i} {escape(token)}: {values}</title></rect>")
    out.append("</svg></div>")
    cut = f" The map shows the first {n:,} of {len(e.tokens):,} tokens." if n < len(e.tokens) else ""
    key = (f'<div class="legend"><span class="tok" style="background:{score_color(1, 1, UNIT_HIGH, UNIT_LOW)}">'
           f'high (+1)</span> <span class="tok" style="background:{score_color(-1, 1, UNIT_HIGH, UNIT_LOW)}">'
           "low (-1)</span> A unit's activation, not sentiment. Each row is one unit of the top LSTM layer (→ reads "
           "forward, ← backward), the ones that weigh most in this prediction, with its share of the score "
           f"(output weight x pooled activation). Hover for a token's values.{cut}</div>")
    highest = "".join(
        f"<li>unit {u.index}: " + ", ".join(f"<b>{escape(w)}</b>" for w in top_words(e.tokens, u.activations[:n]))
        + "</li>" for u in e.units)
    return key + "".join(out) + f'<div class="sentences">Each unit is highest at:<ul>{highest}</ul></div>'


def top_words(tokens: list[str], values: list[float], k: int = 3) -> list[str]:
    """The k different words at the highest values, highest first."""
    out: list[str] = []
    for i in sorted(range(len(values)), key=lambda i: -values[i]):
        if tokens[i] not in out:
            out.append(tokens[i])
            if len(out) == k:
                break
    return out


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


def histogram(probabilities: list[float], palette: str = "red/green", bins: int = 10, width: int = 560,
              height: int = 170) -> str:
    """An SVG bar chart of P(positive) in `bins` equal bins from 0 to 1, bars left of 0.5 in the negative colour,
    each bar's count on hover and above it."""
    counts = [0] * bins
    for p in probabilities:
        counts[min(int(p * bins), bins - 1)] += 1
    above, below = PALETTES[palette]
    left, right, top, bottom = 34, 10, 32, 22  # room above the tallest bar for its count, under the title
    pw, ph = width - left - right, height - top - bottom
    most = max(counts, default=0) or 1
    w = pw / bins
    out = [f'<div class="curve-box"><svg class="curve histogram" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="How many reviews got each P(positive)">',
           f'<text x="{left}" y="14" font-size="12" fill="currentColor">Reviews by P(positive) '
           f"({len(probabilities):,} in all)</text>",
           f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="currentColor" '
           'stroke-opacity="0.4"/>']
    for k, c in enumerate(counts):
        lo, hi = k / bins, (k + 1) / bins
        h = ph * c / most
        x, y = left + w * k, top + ph - h
        out.append(f'<g><rect x="{x + 1:.1f}" y="{y:.1f}" width="{w - 2:.1f}" height="{h:.1f}" '
                   f'fill="rgb{below if hi <= 0.5 else above}" fill-opacity="0.75"/>'
                   f"<title>P(positive) {lo:.1f} to {hi:.1f}: {c:,} review{'' if c == 1 else 's'}</title></g>")
        if c:
            out.append(f'<text x="{x + w / 2:.1f}" y="{y - 3:.1f}" font-size="10" text-anchor="middle" '
                       f'fill="currentColor">{c:,}</text>')
    for k in range(0, bins + 1, max(1, bins // 5)):
        out.append(f'<text x="{left + w * k:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" '
                   f'fill="currentColor">{k / bins:g}</text>')
    out.append("</svg></div>")
    return "".join(out)
