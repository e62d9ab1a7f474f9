"""The playground's events as pure functions of the model and the page's inputs (a review, picked words, a file);
`app.py` lays out the page and wires each event to one of them."""

import os
import tempfile
import time
from html import escape
from pathlib import Path

from . import charts, render, reviewfile
from .classifier import SentimentClassifier
from .errors import ReviewError
from .explain import Explanation, label_of
from .whatif import fewest_to_flip, without

MAX_CHARS = 20_000  # the text box's limit; a longer paste is cut there, and the page says so
FLIP_LIMIT = 20  # the flip search tries removing up to this many words
TABLE_CHARS = 300  # characters of each review shown in the file tab's table (the CSV holds them whole)
KEEP_RESULTS_S = 3600  # result files older than this are deleted (at the next scoring, and by Gradio's cache)
EMPTY = "<p><em>Type or paste a movie review, or click an example below.</em></p>"


def clip(text: str | None) -> tuple[str, bool]:
    """The page's limit, applied on the server for every entry point: the text as analysed, and whether it was cut."""
    text = text or ""
    return text[:MAX_CHARS], len(text) > MAX_CHARS


def analyze(clf: SentimentClassifier, text: str | None, view: str = "words", scale: str = "fixed",
            palette: str = "red/green"):
    """One review -> the verdict, highlighted text, reading curve, unit heat map and notes for the page."""
    text, cut = clip(text)
    try:
        e = clf.explain(text)
    except ReviewError:
        return None, EMPTY, "", "", ""
    fixed = scale == "fixed"
    note = render.notes(e)
    if cut:
        note = f"Only the first {MAX_CHARS:,} characters were analysed. " + note
    elif len(text) == MAX_CHARS:  # the text box stops a paste there, so it may have been longer
        note = f"The text box holds {MAX_CHARS:,} characters; a longer paste is cut there. " + note
    words = (render.legend(e, view, fixed, palette) + render.strongest(e, view, fixed, palette)
             + render.sentence_ranking(e, view, palette) + render.highlight(e, view, fixed, palette))
    return render.verdict(e), words, charts.curve(e, view, palette), charts.units_view(e), note


def what_if_html(clf: SentimentClassifier, text: str | None, picked: list[int] | None, view: str = "words",
                 scale: str = "fixed", palette: str = "red/green") -> str:
    """The verdict without the picked tokens, next to the original's, and the shortened review highlighted."""
    if not picked:
        return ""
    return what_if_of(clf, clf.explain(clip(text)[0]), picked, view, scale, palette)


def what_if_of(clf: SentimentClassifier, e: Explanation, picked: list[int], view: str = "words", scale: str = "fixed",
               palette: str = "red/green") -> str:
    """what_if_html for a review already explained (`e`), so that a caller holding it does not explain it again."""
    shortened = without(e.text, e.spans, picked)
    words = ", ".join(f"<b>{escape(e.tokens[i])}</b>" for i in sorted(picked))
    try:
        after = clf.explain(shortened)
    except ReviewError:
        return f"<p>Without {words} no words are left to score.</p>"
    flipped = " The verdict flips." if after.label != e.label else ""
    return (f'<p class="whatif">Without {words}: P(positive) {e.probability:.2f} → {after.probability:.2f}.'
            f"{flipped}</p>" + render.highlight(after, view, scale == "fixed", palette))


def flip_html(clf: SentimentClassifier, text: str | None, view: str = "words", scale: str = "fixed",
              palette: str = "red/green") -> tuple[list[int], str]:
    """The flip search for the page: the fewest top-ranked tokens whose removal flips the verdict, and the what-if
    for them; none and a sentence when removing FLIP_LIMIT does not flip it; none and nothing for an empty review."""
    try:
        e = clf.explain(clip(text)[0])
    except ReviewError:
        return [], ""
    found = fewest_to_flip(clf, e, limit=FLIP_LIMIT)
    if found is None:
        return [], (f"<p>Removing up to {FLIP_LIMIT} of the words that pushed hardest towards this verdict does not "
                    "flip it.</p>")
    return found.removed, what_if_of(clf, e, found.removed, view, scale, palette)


def predict(clf: SentimentClassifier, text: str | None) -> dict:
    """The API's JSON: probabilities, each word's relevance and each token's state share (each set adds up to the
    logit with its bias); ReviewError for text with no words."""
    text, cut = clip(text)
    e = clf.explain(text)
    return {"label": e.label, "probability_positive": e.probability, "logit": e.logit, "bias": e.bias,
            "tokens": e.tokens, "contributions": e.contributions, "spans": e.spans,
            "state_contributions": e.state_contributions, "state_bias": e.state_bias,
            "truncated": e.truncated or cut}


def what_if_json(clf: SentimentClassifier, text: str | None, remove: list[int]) -> dict:
    """The API's what-if: the review without the tokens at `remove` (indices into predict's tokens), and both
    probabilities; ReviewError for text with no words, for an index outside it, or with no words left."""
    text = clip(text)[0]
    tokenized = clf.tokenize(text)[0]
    tokens = tokenized.tokens
    bad = [i for i in remove if not 0 <= i < len(tokens)]
    if bad:
        raise ReviewError(f"Token {bad[0]} is not in the review (its tokens are numbered 0 to {len(tokens) - 1}).")
    shortened = without(text, tokenized.spans, remove)
    before, after = clf.score_each([text, shortened])  # one batch
    if after is None:
        raise ReviewError("No words are left to score once those tokens are removed.")
    return {"text": shortened, "removed": [tokens[i] for i in sorted(set(remove))],
            "probability_before": before, "probability_after": after,
            "label_before": label_of(before), "label_after": label_of(after)}


def flip_json(clf: SentimentClassifier, text: str | None) -> dict:
    """The API's flip search: the fewest top-ranked tokens whose removal flips the verdict, or found: false."""
    e = clf.explain(clip(text)[0])
    found = fewest_to_flip(clf, e, limit=FLIP_LIMIT)
    if found is None:
        return {"found": False, "limit": FLIP_LIMIT, "probability_before": e.probability}
    return {"found": True, "limit": FLIP_LIMIT, "remove": found.removed,
            "removed": [e.tokens[i] for i in found.removed], "text": found.text,
            "probability_before": e.probability, "probability_after": found.probability}


def word_list(clf: SentimentClassifier, review: str | None) -> list[tuple[str, int]]:
    """The review's tokens for the what-if list: (label, index), numbered as they come."""
    try:
        tokens = clf.tokenize(clip(review)[0])[0].tokens
    except ReviewError:
        tokens = []
    return [(f"{t} ({i + 1})", i) for i, t in enumerate(tokens)]


def score_file(clf: SentimentClassifier, path: str | None, folder: Path, palette: str = "red/green",
               on_progress=None):
    """An uploaded file -> a summary, a histogram, the results table and the results CSV's path; a bad file gets one
    sentence and nothing else. `on_progress(done, total)` after each batch of reviews."""
    if not path:
        return "Upload a .txt file (one review per line) or a .csv file with a text column.", "", None, None
    try:
        reviews = reviewfile.read_reviews(path)
    except reviewfile.ReviewFileError as e:
        return str(e), "", None, None
    done = 0

    def advance(n: int):
        nonlocal done
        done += n
        if on_progress is not None:
            on_progress(done, len(reviews.texts))

    probabilities = reviewfile.score(clf, reviews, on_batch=advance)
    for old in folder.glob("*.csv"):  # results an earlier visitor has had time to download
        if time.time() - old.stat().st_mtime > KEEP_RESULTS_S:
            old.unlink(missing_ok=True)
    name = Path(path).stem[:60] or "reviews"
    handle, target = tempfile.mkstemp(".csv", f"{name}-scored-", folder)
    os.close(handle)
    out = reviewfile.results_csv(reviews, probabilities, target)
    scored = [p for p in probabilities if p is not None]
    positive = sum(p >= 0.5 for p in scored)
    summary = (f"Scored {len(scored):,} reviews: {positive:,} positive, {len(scored) - positive:,} negative.")
    if len(scored) < len(probabilities):
        summary += f" {len(probabilities) - len(scored):,} had no words to read (marked \"no words\")."
    if reviews.skipped == 1:
        summary += f" 1 blank {reviews.place} was skipped."
    elif reviews.skipped:
        summary += f" {reviews.skipped:,} blank {reviews.place}s were skipped."
    rows = [[place, None if p is None else round(p, 4), reviewfile.label(p),
             text if len(text) <= TABLE_CHARS else text[:TABLE_CHARS] + " …"]
            for place, p, text in zip(reviews.places, probabilities, reviews.texts)]
    table = {"headers": [reviews.place, "P(positive)", "label", "review"], "data": rows}
    return summary, charts.histogram(scored, palette), table, str(out)
