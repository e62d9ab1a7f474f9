from sentiment.explain import Explanation, Unit
from sentiment.render import NEGATIVE, POSITIVE, highlight, legend, score_color, units_view, verdict


def explanation(text, tokens, spans, contributions):
    return Explanation(text=text, tokens=tokens, spans=spans, contributions=contributions, bias=0.1,
                       logit=0.1 + sum(contributions), probability=0.5, reading_curve=[0.5] * len(tokens),
                       units=[Unit(3, "forward", 0.5, [0.9, -0.4][:len(tokens)])])


def test_colours_by_sign_and_size():
    assert score_color(1.0, 1.0) == f"rgba({POSITIVE[0]}, {POSITIVE[1]}, {POSITIVE[2]}, 0.850)"
    assert score_color(-0.5, 1.0) == f"rgba({NEGATIVE[0]}, {NEGATIVE[1]}, {NEGATIVE[2]}, 0.425)"
    assert score_color(5.0, 1.0).endswith("0.850)")  # capped
    assert score_color(0.0, 1.0) == score_color(1.0, 0.0) == "transparent"


def test_review_text_is_escaped():
    text = "<script>alert(1)</script> great"
    e = explanation(text, ["great"], [(27, 32)], [1.0])
    html = highlight(e)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'title="great: +1.000"' in html and "rgba(22, 163, 74" in html


def test_token_markup_is_escaped_in_units_and_legend():
    e = explanation('"<b>" bad', ["<b>", "bad"], [(1, 4), (6, 9)], [0.2, -0.7])
    assert "<b>" not in units_view(e) and "&lt;b&gt;" in units_view(e)
    assert "0.70 logit units" in legend(e)
    assert verdict(e) == {"positive": 0.5, "negative": 0.5}


def test_unit_legend_does_not_speak_of_sentiment():
    """Unit activations are drawn blue/orange; their legend must not call them positive or negative."""
    e = explanation("great bad", ["great", "bad"], [(0, 5), (6, 9)], [0.5, -0.5])
    key = units_view(e).split('<div class="unit">')[0]
    assert "high (+1)" in key and "low (-1)" in key and "negative" not in key and "positive" not in key
