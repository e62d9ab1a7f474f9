"""SVG charts for the playground: the reading curve, the hidden-unit heat map (a PNG inside an SVG, so that a long
review stays light) and the file tab's histogram, in the page's text colour so that they read in dark mode too."""

from __future__ import annotations

import base64
import struct
import zlib
from html import escape
from typing import TYPE_CHECKING

from .render import PALETTES, UNIT_HIGH, UNIT_LOW, opacity, score_color, sentences

if TYPE_CHECKING:  # for annotations only: charts need neither torch nor the Hub client
    from .explain import Explanation


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


def sentence_ends(e: Explanation) -> list[int]:
    """1-based token numbers that end a sentence of `sentences(e)`, the last one excepted (where the curves draw
    dotted lines)."""
    return [r.stop for r in sentences(e)[:-1]]


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
