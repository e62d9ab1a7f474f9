import pytest

from sentiment import load_model
from sentiment.explain import Explanation
from sentiment.whatif import fewest_to_flip, without


def explanation(text: str, words: list[str]) -> Explanation:
    spans, pos = [], 0
    for w in words:
        start = text.index(w, pos)
        spans.append((start, start + len(w)))
        pos = start + len(w)
    return Explanation(text=text, tokens=[w.lower() for w in words], spans=spans, contributions=[0.0] * len(words),
                       bias=0.0, logit=0.0, probability=0.5)


def test_without_cuts_tokens_and_their_space_and_keeps_the_rest_as_written():
    e = explanation("It was not bad, at all.\nReally.",
                    ["It", "was", "not", "bad", ",", "at", "all", ".", "Really", "."])
    assert without(e.text, e.spans, [2]) == "It was bad, at all.\nReally."
    assert without(e.text, e.spans, [2, 3]) == "It was, at all.\nReally."
    assert without(e.text, e.spans, [0]) == "was not bad, at all.\nReally."
    assert without(e.text, e.spans, [4, 8]) == "It was not bad at all.\n."  # the line break stays
    assert without(e.text, e.spans, []) == e.text


@pytest.fixture(scope="module")
def clf():
    return load_model()


@pytest.mark.parametrize("text", ["A wonderful, moving film with a brilliant cast. I loved it.",
                                  "Dull and boring. The worst film I have seen this year, badly acted too."])
def test_the_flip_search_finds_words_whose_removal_flips_the_verdict(clf, text):
    e = clf.explain(text)
    flip = fewest_to_flip(clf, e)
    assert flip is not None and 1 <= len(flip.removed)
    assert flip.text == without(e.text, e.spans, flip.removed)
    p = clf.predict_proba([flip.text])[0]
    assert p == pytest.approx(flip.probability, abs=1e-6) and (p >= 0.5) != (e.probability >= 0.5)
    if len(flip.removed) > 1:  # and no shorter prefix of the same ranking would have done
        shorter = clf.predict_proba([without(e.text, e.spans, flip.removed[:-1])])[0]
        assert (shorter >= 0.5) == (e.probability >= 0.5)


def test_the_flip_search_says_so_when_nothing_up_to_the_limit_flips(clf):
    e = clf.explain("Great. " * 30)
    assert fewest_to_flip(clf, e, limit=3) is None


@pytest.mark.parametrize("text", ["Great", "Great <br />"])
def test_the_flip_search_skips_removals_that_leave_no_words(clf, text):
    """Removing the one word leaves nothing (or only markup) to score: no flip, rather than an error about an empty
    review that the user did not write."""
    e = clf.explain(text)
    assert e.tokens == ["great"] and fewest_to_flip(clf, e) is None
