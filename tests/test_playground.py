"""The playground's events (sentiment/playground.py) on the bundled model and the page's own examples."""

from pathlib import Path

import pytest

from app import EXAMPLES
from sentiment import ReviewError, load_model, playground, render
from sentiment.whatif import fewest_to_flip, without


@pytest.fixture(scope="module")
def clf():
    return load_model()


def test_empty_input_gets_a_friendly_message(clf):
    label, html, curve, units, note = playground.analyze(clf, "   ")
    assert label is None and "Type or paste a movie review" in html and curve == units == ""  # no empty chart box
    with pytest.raises(ReviewError, match="The review is empty"):
        playground.predict(clf, "")


def test_analyze_outputs(clf):
    label, html, curve, units, note = playground.analyze(clf, EXAMPLES[3])
    e = clf.explain(EXAMPLES[3])
    assert set(label) == {"positive", "negative"} and abs(sum(label.values()) - 1) < 1e-9
    assert "logit units" in html and "Word scores plus bias terms" in html and "Strongest towards negative" in html
    review = html[html.index('<div class="review">'):]
    assert review.count('class="tok"') == len(e.tokens) == curve.count("<title>")
    assert f"P(positive) {e.probability:.3f}</title>" in curve.split("<title>")[-1]  # the curve ends at the verdict
    assert "unit" in units
    assert "on a text this short" in note and playground.analyze(clf, EXAMPLES[1])[4] == ""  # 15 tokens; 36
    states = playground.analyze(clf, EXAMPLES[3], view="states")[1]
    assert "State shares plus bias" in states and states != html


def test_what_if_shows_the_probability_of_the_shortened_review(clf):
    text = "I expected to hate it, but honestly it was not bad at all."
    e = clf.explain(text)
    picked = [e.tokens.index("not"), e.tokens.index("bad")]
    html = playground.what_if_html(clf, text, picked)
    after = clf.predict_proba([without(e.text, e.spans, picked)])[0]
    assert f"P(positive) {e.probability:.2f} → {after:.2f}" in html and "<b>not</b>, <b>bad</b>" in html
    assert '<div class="review">' in html and playground.what_if_html(clf, text, []) == ""
    assert "no words are left" in playground.what_if_html(clf, "Bad.", [0, 1])


def test_what_if_and_flip_json_match_predict_proba(clf):
    text = "I expected to hate it, but honestly it was not bad at all."
    e = clf.explain(text)
    i = e.tokens.index("not")
    out = playground.what_if_json(clf, text, [i])
    assert out["text"] == without(e.text, e.spans, [i]) and out["removed"] == ["not"]
    assert out["probability_before"] == pytest.approx(e.probability, abs=1e-6)
    assert out["probability_after"] == pytest.approx(clf.predict_proba([without(e.text, e.spans, [i])])[0], abs=1e-6)
    with pytest.raises(ReviewError, match="Token 99 is not in the review"):
        playground.what_if_json(clf, text, [99])
    with pytest.raises(ReviewError, match="No words are left"):
        playground.what_if_json(clf, "Bad.", [0, 1])
    flip = playground.flip_json(clf, EXAMPLES[0])
    found = fewest_to_flip(clf, clf.explain(EXAMPLES[0]), limit=playground.FLIP_LIMIT)
    assert flip["found"] and flip["remove"] == found.removed and flip["text"] == found.text
    assert (flip["probability_after"] >= 0.5) != (flip["probability_before"] >= 0.5)


def test_flip_html_gives_the_picks_and_the_what_if_or_says_why_not(clf):
    """The page's flip search: the same words as the API's, struck through in the what-if; a sentence when no
    FLIP_LIMIT words flip it; nothing for an empty review."""
    removed, html = playground.flip_html(clf, EXAMPLES[0])
    assert removed == playground.flip_json(clf, EXAMPLES[0])["remove"]
    assert html == playground.what_if_html(clf, EXAMPLES[0], removed) and "The verdict flips." in html
    long = EXAMPLES[0] + " " + " ".join(["A wonderful, brilliant, moving film."] * 12)
    assert playground.flip_html(clf, long) == (
        [], f"<p>Removing up to {playground.FLIP_LIMIT} of the words that pushed hardest towards this verdict does "
            "not flip it.</p>")
    assert playground.flip_html(clf, "  ") == ([], "")


def test_score_file_gives_a_summary_histogram_table_and_csv(clf, tmp_path):
    texts = [EXAMPLES[0], "", EXAMPLES[1], "<br />", "x" * 400]
    path = tmp_path / "my reviews.txt"
    path.write_text("\n".join(texts))
    seen = []
    summary, histogram, table, out = playground.score_file(clf, str(path), tmp_path,
                                                           on_progress=lambda d, t: seen.append((d, t)))
    assert summary.startswith("Scored 3 reviews: ") and "1 had no words" in summary and "1 blank line was" in summary
    assert seen[-1] == (4, 4) and "<svg" in histogram and "(3 in all)" in histogram
    rows = table["data"]
    assert table["headers"][0] == "line" and [r[0] for r in rows] == [1, 3, 4, 5]
    assert rows[2][1] is None and rows[2][2] == "no words"
    assert rows[3][3].endswith(" …") and len(rows[3][3]) == playground.TABLE_CHARS + 2  # the CSV keeps all
    assert Path(out).name.startswith("my reviews-scored-") and Path(out).parent == tmp_path
    assert "x" * 400 in Path(out).read_text()
    bad = tmp_path / "photo.png"
    bad.write_bytes(b"\x89PNG")
    assert playground.score_file(clf, str(bad), tmp_path) == (
        "photo.png is not a .txt or .csv file: upload a .txt file with one review per line, or a .csv file with a "
        "text column.", "", None, None)
    assert playground.score_file(clf, None, tmp_path)[0].startswith("Upload a .txt file")


def test_views_colour_by_their_own_scores(clf):
    """Words and states views colour each token by its own number, on the fixed or the relative scale."""
    e = clf.explain(EXAMPLES[2])
    for view, values in (("words", e.contributions), ("states", e.state_contributions)):
        for scale, full in (("fixed", 2.0), ("relative", max(abs(v) for v in values))):
            html = playground.analyze(clf, EXAMPLES[2], view, scale)[1]
            review = html[html.index('<div class="review">'):]
            titles = [float(t.split(": ")[-1].split('"')[0]) for t in review.split('title="')[1:]]
            assert titles == pytest.approx(values, abs=1e-3)
            assert (f"±{full:.2f} logit units" if scale == "fixed" else f"Full colour = {full:.2f}") in html


def test_a_weak_score_stays_visible_and_a_meh_is_not_full_colour(clf):
    """On the fixed scale (2 logit units in full colour) "Meh. So so. Meh." (about 79% positive, every token's
    score under 1) is a faint tint, not full green; each token is tinted by its own score, and faint tints keep an
    opacity that still shows on a dark page."""
    text = "Meh. So so. Meh."
    e = clf.explain(text)
    assert 0.4 < e.probability < 0.8 and max(abs(c) for c in e.contributions) < 1.0  # the premise, for this model
    html = playground.analyze(clf, text)[1]
    review = html[html.index('<div class="review">'):]
    alphas = [float(a.split(")")[0]) for a in review.split("rgba(")[1:] for a in [a.split(", ")[3]]]
    expected = [a for a in (render.opacity(abs(c) / 2.0) for c in e.contributions) if a]  # blank ones uncoloured
    assert alphas == pytest.approx(expected, abs=1e-3)
    assert alphas and max(alphas) < 0.5 and min(alphas) >= 0.12
    relative = playground.analyze(clf, text, scale="relative")[1]
    assert "0.850)" in relative  # the relative scale draws the largest score in full colour


def test_huge_paste_is_cut_on_the_server_and_says_so_only_then(clf):
    label, html, curve, units, note = playground.analyze(clf, "a fine film " * 5000)  # 60,000 characters, via API
    assert "Only the first 20,000 characters were analysed" in note and "cut to the" in note
    assert len(html) < 20_000 * 40 and "a fine film" in html
    assert playground.predict(clf, "a fine film " * 5000)["truncated"]
    assert "characters" not in playground.analyze(clf, "a fine film " * 1000)[4]  # 12,000 characters: none cut
