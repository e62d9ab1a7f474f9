from sentiment.explain import Explanation, Unit
from sentiment.render import (NEGATIVE, POSITIVE, _ticks, curve, highlight, legend, score_color, sentence_ranking,
                              sentences, strongest, units_view, verdict)


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
    assert "<b>" not in units_view(e) and "&lt;b&gt;" in units_view(e)
    assert "<b>" not in curve(e) and "<b>" not in strongest(e)
    assert "0.70 logit units" in legend(e, fixed=False) and "±2.00 logit units" in legend(e)
    assert verdict(e) == {"positive": 0.5, "negative": 0.5}


def test_unit_legend_does_not_speak_of_sentiment():
    """Unit activations are drawn blue/orange; their legend must not call them positive or negative."""
    e = explanation("great bad", ["great", "bad"], [(0, 5), (6, 9)], [0.5, -0.5])
    key = units_view(e).split('<div class="unit">')[0]
    assert "high (+1)" in key and "low (-1)" in key and "negative" not in key and "positive" not in key


def test_units_view_keeps_punctuation_where_it_was_written():
    text = "The land, the father's house."
    tokens = ["the", "land", ",", "the", "father", "'s", "house", "."]
    spans = [(0, 3), (4, 8), (8, 9), (10, 13), (14, 20), (20, 22), (23, 28), (28, 29)]
    e = explanation(text, tokens, spans, [0.1] * 8)
    e.units = [Unit(1, "forward", 0.3, [0.5] * 8)]
    row = units_view(e).split('<div class="unit">')[1]
    assert "land</span>," not in row and "land</span><span" in row  # no space put before the comma
    assert "father</span><span" in row and "father</span> <span" not in row


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
