import base64
import re
import struct
import zlib

from sentiment.explain import Explanation, Unit
from sentiment.charts import _ticks, curve, histogram, sentence_ends, top_words, units_view
from sentiment.render import (NEGATIVE, POSITIVE, SHORT, UNIT_HIGH, UNIT_LOW, highlight, legend, notes, score_color,
                              sentence_ranking, sentences, strongest, verdict)


def explanation(text, tokens, spans, contributions):
    return Explanation(text=text, tokens=tokens, spans=spans, contributions=contributions, bias=0.1,
                       logit=0.1 + sum(contributions), probability=0.5, state_contributions=contributions,
                       state_bias=0.1, step_bias=[0.0] * len(tokens),
                       units=[Unit(3, "forward", 0.5, [0.9, -0.4][:len(tokens)])])


def test_colours_by_sign_and_size():
    assert score_color(1.0, 1.0) == f"rgba({POSITIVE[0]}, {POSITIVE[1]}, {POSITIVE[2]}, 0.850)"
    assert score_color(-0.5, 1.0) == f"rgba({NEGATIVE[0]}, {NEGATIVE[1]}, {NEGATIVE[2]}, 0.485)"
    assert score_color(5.0, 1.0).endswith("0.850)")  # capped
    assert score_color(0.03, 1.0).endswith("0.142)")  # faint, but never below 0.12: visible on a dark page
    assert score_color(0.0, 1.0) == score_color(1.0, 0.0) == score_color(0.01, 1.0) == "transparent"


def test_curve_has_whole_token_ticks_and_marks_sentence_ends():
    e = explanation("Good. Bad!", ["good", ".", "bad", "!"], [(0, 4), (4, 5), (6, 9), (9, 10)], [1.0, 0.0, -2.0, 0.0])
    svg = curve(e)
    ticks = [t.split(">")[1].split("<")[0] for t in svg.split('text-anchor="middle" fill="currentColor"')[1:]]
    assert ticks == ["1", "2", "3", "4"]  # never 1.5
    assert svg.count('stroke-dasharray="1 3"') == 1  # the "." inside the review; not the final "!"
    assert svg.count("<title>") == 4 and "#3 bad: P(positive) 0." in svg
    assert _ticks(250) == [1, 50, 100, 150, 200, 250] and _ticks(7) == [1, 2, 3, 4, 5, 6, 7]


def test_curves_mark_the_same_sentence_ends_as_the_sentence_ranking():
    text = "Wow!! Dull... Bad<br />Fine"
    tokens, spans = ["wow", "!", "!", "dull", "...", "bad", "fine"], [(0, 3), (3, 4), (4, 5), (6, 10), (10, 13),
                                                                      (14, 17), (23, 27)]
    e = explanation(text, tokens, spans, [0.0] * 7)
    assert sentences(e) == [range(0, 3), range(3, 5), range(5, 6), range(6, 7)]
    assert sentence_ends(e) == [3, 5, 6]  # once after "!!", after "...", at the line break
    assert curve(e).count('stroke-dasharray="1 3"') == 3


def test_strongest_words_are_listed_with_their_numbers():
    e = explanation("great awful fine", ["great", "awful", "fine"], [(0, 5), (6, 11), (12, 16)], [1.5, -2.5, 0.2])
    html = strongest(e)
    assert "Strongest towards positive: " in html and "great</span> +1.50" in html and "awful</span> -2.50" in html
    assert html.index("great") < html.index("fine")  # the larger push first


def test_review_text_is_escaped():
    text = "<script>alert(1)</script> great"
    e = explanation(text, ["great"], [(27, 32)], [1.0])
    html = highlight(e)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'title="great: +1.000"' in html and "rgba(22, 163, 74" in html


def test_token_markup_is_escaped_in_units_and_legend():
    e = explanation('"<b>" bad', ["<b>", "bad"], [(1, 4), (6, 9)], [0.2, -0.7])
    units = units_view(e)
    assert "<b><b>" not in units and "<b>&lt;b&gt;</b>" in units and "#1 &lt;b&gt;: unit 3" in units
    assert "<b>" not in curve(e) and "<b>" not in strongest(e)
    assert "0.70 logit units" in legend(e, fixed=False) and "±2.00 logit units" in legend(e)
    assert verdict(e) == {"positive": 0.5, "negative": 0.5}


def test_unit_legend_does_not_speak_of_sentiment():
    """Unit activations are drawn violet/slate; their legend must not call them positive or negative."""
    e = explanation("great bad", ["great", "bad"], [(0, 5), (6, 9)], [0.5, -0.5])
    key = units_view(e).split("<svg")[0]
    assert "high (+1)" in key and "low (-1)" in key and "negative" not in key and "positive" not in key


def decode_png(data: bytes) -> list[list[tuple[int, ...]]]:
    """The RGBA rows of a PNG written by _png (filter 0 on every row), read back with zlib alone."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    length = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    raw = zlib.decompress(data[41:41 + length])
    rows = [raw[r * (4 * w + 1):(r + 1) * (4 * w + 1)] for r in range(h)]
    assert all(row[0] == 0 for row in rows)
    return [[tuple(row[1 + 4 * i:5 + 4 * i]) for i in range(w)] for row in rows]


def test_units_view_is_one_heat_map_units_by_tokens():
    """One row of pixels per unit, one column per token, coloured by the activation; one hover column per token
    listing every unit's value; the words each unit is highest at."""
    tokens = ["a", "fine", "film", ".", "sad", "end"]
    text = "a fine film. sad end"
    spans = [(0, 1), (2, 6), (7, 11), (11, 12), (13, 16), (17, 20)]
    e = explanation(text, tokens, spans, [0.1] * 6)
    e.units = [Unit(4, "forward", 0.6, [0.0, 0.9, 0.5, 0.1, -1.0, -0.3]),
               Unit(300, "backward", -0.2, [-0.5, 0.2, 0.0, 0.0, 0.8, 1.0])]
    html = units_view(e)
    assert html.count("<svg") == 1 and "unit 4 → +0.60" in html and "unit 300 ← -0.20" in html
    png = base64.b64decode(re.search(r'href="data:image/png;base64,([^"]+)"', html).group(1))
    rows = decode_png(png)
    assert len(rows) == 2 and len(rows[0]) == 6
    assert rows[0][0][3] == 0  # zero: transparent
    assert rows[0][1][:3] == UNIT_HIGH and rows[0][4][:3] == UNIT_LOW and rows[0][4][3] == round(255 * 0.85)
    assert rows[0][1][3] > rows[0][2][3] > rows[0][3][3]  # stronger activation, more opaque
    titles = re.findall(r"<title>(.*?)</title>", html)
    assert titles[1] == "#2 fine: unit 4 +0.90, unit 300 +0.20" and len(titles) == 6
    assert html.count('stroke-dasharray="1 3"') == 1  # the sentence end after "."
    assert "<li>unit 4: <b>fine</b>, <b>film</b>, <b>.</b></li>" in html  # highest first
    assert "<li>unit 300: <b>end</b>, <b>sad</b>, <b>fine</b></li>" in html


def test_top_words_are_different_words_highest_first():
    assert top_words(["good", "film", "good", "end"], [0.9, 0.1, 0.95, 0.5]) == ["good", "end", "film"]


def test_units_view_stops_at_its_token_limit_and_says_so():
    n = 30
    e = explanation(" ".join(["w"] * n), ["w"] * n, [(2 * i, 2 * i + 1) for i in range(n)], [0.0] * n)
    e.units = [Unit(1, "forward", 0.3, [0.5] * n)]
    html = units_view(e, max_tokens=10)
    assert len(re.findall(r"<title>", html)) == 10 and "the first 10 of 30 tokens" in html
    assert len(decode_png(base64.b64decode(re.search(r"base64,([^\"]+)", html).group(1)))[0]) == 10


def test_sentences_are_ranked_by_their_summed_scores_and_link_to_the_text():
    text = "Great cast. Dull plot!<br /><br />The end works Awful songs. Fine"
    tokens = ["great", "cast", ".", "dull", "plot", "!", "the", "end", "works", "awful", "songs", ".", "fine"]
    spans, pos = [], 0
    for t in ["Great", "cast", ".", "Dull", "plot", "!", "The", "end", "works", "Awful", "songs", ".", "Fine"]:
        start = text.index(t, pos)
        spans.append((start, start + len(t)))
        pos = start + len(t)
    values = [2.0, 0.5, 0.0, -1.0, -0.5, 0.0, 0.1, 0.1, 0.3, -2.0, -0.2, 0.0, 0.05]
    e = explanation(text, tokens, spans, values)
    assert [list(g) for g in sentences(e)] == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9, 10, 11], [12]]  # <br /> ends one
    html = sentence_ranking(e)
    positive, negative = html.split("towards negative")
    assert positive.index("Great cast.") < positive.index("Fine") and "+2.50" in positive
    assert negative.index("The end works Awful songs.") < negative.index("Dull plot!") and "-1.70" in negative
    review = highlight(e)
    assert review.count('<span class="sentence"') == 4 and 'id="sentence-0"><span class="tok"' in review
    assert review.count("<span") == review.count("</span>")  # every sentence closed
    assert sentence_ranking(explanation("Good.", ["good", "."], [(0, 4), (4, 5)], [1.0, 0.0])) == ""


def test_histogram_counts_each_bin_and_colours_each_side():
    svg = histogram([0.0, 0.05, 0.45, 0.5, 0.97, 1.0, 1.0], palette="blue/orange")
    titles = re.findall(r"<title>(.*?)</title>", svg)
    assert len(titles) == 10 and "(7 in all)" in svg
    assert titles[0] == "P(positive) 0.0 to 0.1: 2 reviews" and titles[4] == "P(positive) 0.4 to 0.5: 1 review"
    assert titles[5].endswith(": 1 review") and titles[9].endswith(": 3 reviews")  # 0.5 counts as positive; 1.0 too
    bars = re.findall(r'fill="rgb\((\d+), (\d+), (\d+)\)"', svg)
    assert bars[0] == ("234", "88", "12") and bars[9] == ("37", "99", "235")  # orange below 0.5, blue above
    assert "(0 in all)" in histogram([])


def test_notes_warn_of_short_texts_and_unknown_words_once():
    short = explanation("Not bad.", ["not", "bad", "."], [(0, 3), (4, 7), (7, 8)], [0.5, -1.0, 0.0])
    assert "this short" in notes(short)
    n = SHORT
    long = explanation("a " * n, ["a"] * n, [(2 * i, 2 * i + 1) for i in range(n)], [0.0] * n)
    assert notes(long) == ""
    short.unknown_share = 0.6  # the unknown words are the stronger reason to doubt it: one caveat, not two
    assert notes(short).startswith("60% of the words are unknown") and "short" not in notes(short)
