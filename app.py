"""The playground: a review's sentiment, and which words moved the BiLSTM, read from its hidden states."""

import argparse
import os
import sys
import tempfile
import time
from html import escape
from pathlib import Path

import gradio as gr

from sentiment import ModelLoadError, SentimentClassifier, load_model, render, reviewfile
from sentiment.explain import label_of
from sentiment.render import FIXED_SCALE, VIEWS
from sentiment.whatif import fewest_to_flip, without
from sentiment.threads import ENV, set_threads

MAX_CHARS = 20_000  # the text box's limit; a longer paste is cut there, and the app says so
FLIP_LIMIT = 20  # the flip search tries removing up to this many words
MAX_LINK = 8_000  # characters of a share link: many servers and proxies refuse longer request lines
WORKERS = 2  # analyses run at once; torch's threads are shared out among them (set_threads)
MAX_UPLOAD = 4 * reviewfile.MAX_BYTES  # Gradio refuses bigger uploads before they reach the disk; the file tab
# explains its own, smaller limit for files between the two
TABLE_CHARS = 300  # characters of each review shown in the file tab's table (the CSV holds them whole)
KEEP_RESULTS_S = 3600  # result files older than this are deleted (at the next scoring, and by Gradio's cache)

EXAMPLES = [
    "What a joy this film is. The two leads have real warmth, the jokes land, and the last twenty minutes had the "
    "whole audience cheering. I walked out grinning and I have already told three friends to go and see it.",
    "Two hours I will never get back. The plot makes no sense, the dialogue is wooden, and the lead looks bored in "
    "every scene. Even the soundtrack is irritating. Avoid.",
    "The first half is gorgeous to look at and the cast is excellent, but the story runs out of ideas halfway "
    "through and the ending drags on far too long.",
    "I expected to hate it, but honestly it was not bad at all.",
    "Oh great, another three-hour superhero movie where the city gets destroyed again. Just what the world needed. "
    "I especially loved checking my watch every ten minutes.",
    "I went in knowing nothing about this little film and came out moved. It opens slowly, with a family packing up "
    "a house by the sea after the father's death, and for a while I wondered where it was going. The script trusts "
    "its audience: nobody explains their feelings, and the silences say more than the words. The mother, played "
    "with enormous restraint, holds the whole thing together; there is a scene in a kitchen, late at night, that I "
    "will remember for a long time. The photography is beautiful without showing off, and the music is used "
    "sparingly. It is not perfect. A subplot about the younger brother's job goes nowhere, and one or two scenes "
    "feel like they belong in a different, broader film. But these are small complaints about a film that is "
    "honest, funny in unexpected places, and deeply felt. Highly recommended.",
]

WEAKNESSES = ("<small>This model is known to misread negation (\"not bad at all\") and sarcasm; two of the "
              "examples show it.</small>")

HOW_TO_READ = """
**How to read this.** Green words push the verdict towards positive, red words towards negative; the stronger the
colour, the bigger the push (in logit units, P(positive) = sigmoid(score); hover or read the list for the numbers).
Two views, each adding up *exactly* to the model's score:

- **Words** (the default): each word's *relevance*, the model's score carried back from its output through both
  LSTM layers and both reading directions down to the words (layer-wise relevance propagation). It answers "which
  words did the model use?", and deleting the words it ranks highest changes the verdict more than for any other
  method we measured.
- **States**: each position's *share* read straight from the top LSTM layer's states. A state at one position
  already summarises the words around it, so this view often credits one word with what its neighbours said.

The curve shows P(positive) after each token, adding the scores in reading order: where it jumps, the model
changed its mind. The hidden-unit view shows what single units of the top LSTM layer respond to.

What these are not: a human rationale, or proof of why a review is good or bad. They show how *this model*
arrived at its number, including its mistakes.
"""

# In the browser: this page's address with the review as ?review=..., copied to the clipboard where the browser
# allows it, and shown either way; a review too long for a link gets a sentence instead.
SHARE_JS = """(text) => {
    const url = new URL(window.location.href);
    url.search = "";
    url.hash = "";
    url.searchParams.set("review", text || "");
    const link = url.toString();
    if (link.length > MAX_LINK) {
        return `This review is too long for a link (${link.length.toLocaleString()} characters once encoded; `
            + `links hold MAX_LINK): share a shorter excerpt.`;
    }
    if (navigator.clipboard) { navigator.clipboard.writeText(link).catch(() => {}); }
    return link;
}"""

# In the browser: a click on a word of the highlighted review strikes it through (or restores it) and sends the
# indices of all the words struck through; the dropdown's picks strike through the same words.
CLICK_JS = """element.addEventListener('click', (event) => {
    const tok = event.target.closest('.review .tok[data-i]');
    if (!tok) { return; }
    tok.classList.toggle('dropped');
    const picked = [...element.querySelectorAll('.review .tok.dropped')].map((t) => Number(t.dataset.i));
    trigger('click', {picked: picked});
});"""
SYNC_JS = """(review, picked, ...settings) => {
    document.querySelectorAll('#highlighted .review .tok[data-i]').forEach(
        (t) => t.classList.toggle('dropped', (picked || []).includes(Number(t.dataset.i))));
    return [review, picked, ...settings];
}"""

CSS = """
.review { line-height: 2.0; font-size: 1.05rem; white-space: pre-wrap; overflow-wrap: anywhere; text-align: left; }
.tok { border-radius: 3px; padding: 1px 3px; }
.review .tok { padding: 1px 0; }  /* no gap between a word and the punctuation after it */
#highlighted .review .tok { cursor: pointer; }
#highlighted .review .tok.dropped { text-decoration: line-through; opacity: 0.45; }
.legend { margin: 0.5rem 0; font-size: 0.9rem; line-height: 2.0; }
.cut { color: #6b7280; font-style: italic; }
.strongest { margin: 0.3rem 0 0.6rem; font-size: 0.95rem; line-height: 2.0; }
.sentences { font-size: 0.92rem; margin-bottom: 0.6rem; }
.sentences ol, .sentences ul { margin: 0.1rem 0 0.4rem 1.2rem; padding: 0; }
.sentences a { text-decoration: none; }
.sentence:target { outline: 2px solid currentColor; outline-offset: 2px; border-radius: 3px; }
.curve-box { overflow-x: auto; }  /* on a phone the curve keeps readable text and scrolls sideways */
.curve { width: 100%; min-width: 460px; max-width: 760px; height: auto; display: block; margin-top: 0.5rem; }
"""
THEME = gr.themes.Soft()


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
    except ValueError:
        return None, "<p><em>Type or paste a movie review, or click an example below.</em></p>", "", "", ""
    fixed = scale == "fixed"
    note = render.notes(e)
    if cut:
        note = f"Only the first {MAX_CHARS:,} characters were analysed. " + note
    elif len(text) == MAX_CHARS:  # the text box stops a paste there, so it may have been longer
        note = f"The text box holds {MAX_CHARS:,} characters; a longer paste is cut there. " + note
    words = (render.legend(e, view, fixed, palette) + render.strongest(e, view, fixed, palette)
             + render.sentence_ranking(e, view, palette) + render.highlight(e, view, fixed, palette))
    return render.verdict(e), words, render.curve(e, view, palette), render.units_view(e), note


def what_if_html(clf: SentimentClassifier, text: str, picked: list[int], view: str = "words", scale: str = "fixed",
                 palette: str = "red/green") -> str:
    """The verdict without the picked tokens, next to the original's, and the shortened review highlighted."""
    if not picked:
        return ""
    e = clf.explain(text)
    shortened = without(e.text, e.spans, picked)
    words = ", ".join(f"<b>{escape(e.tokens[i])}</b>" for i in sorted(picked))
    try:
        after = clf.explain(shortened)
    except ValueError:
        return f"<p>Without {words} no words are left to score.</p>"
    flipped = " The verdict flips." if after.label != e.label else ""
    return (f'<p class="whatif">Without {words}: P(positive) {e.probability:.2f} → {after.probability:.2f}.'
            f"{flipped}</p>" + render.highlight(after, view, scale == "fixed", palette))


def predict(clf: SentimentClassifier, text: str) -> dict:
    """The API's JSON: probabilities, each word's relevance and each token's state share (each set adds up to the
    logit with its bias); gr.Error for text with no words."""
    text, cut = clip(text)
    try:
        e = clf.explain(text)
    except ValueError as err:
        raise gr.Error(str(err)) from None
    return {"label": e.label, "probability_positive": e.probability, "logit": e.logit, "bias": e.bias,
            "tokens": e.tokens, "contributions": e.contributions, "spans": e.spans,
            "state_contributions": e.state_contributions, "state_bias": e.state_bias,
            "truncated": e.truncated or cut}


def what_if_json(clf: SentimentClassifier, text: str, remove: list[int]) -> dict:
    """The API's what-if: the review without the tokens at `remove` (indices into /predict's tokens), and both
    probabilities; gr.Error for text with no words, or with none left."""
    text = clip(text)[0]
    try:
        tokenized = clf.tokenize(text)[0]
    except ValueError as err:
        raise gr.Error(str(err)) from None
    tokens = tokenized.tokens
    bad = [i for i in remove if not 0 <= i < len(tokens)]
    if bad:
        raise gr.Error(f"Token {bad[0]} is not in the review (its tokens are numbered 0 to {len(tokens) - 1}).")
    shortened = without(text, tokenized.spans, remove)
    before, after = clf.score_each([text, shortened])  # one batch
    if after is None:
        raise gr.Error("No words are left to score once those tokens are removed.")
    return {"text": shortened, "removed": [tokens[i] for i in sorted(set(remove))],
            "probability_before": before, "probability_after": after,
            "label_before": label_of(before), "label_after": label_of(after)}


def flip_json(clf: SentimentClassifier, text: str) -> dict:
    """The API's flip search: the fewest top-ranked tokens whose removal flips the verdict, or found: false."""
    try:
        e = clf.explain(clip(text)[0])
    except ValueError as err:
        raise gr.Error(str(err)) from None
    found = fewest_to_flip(clf, e, limit=FLIP_LIMIT)
    if found is None:
        return {"found": False, "limit": FLIP_LIMIT, "probability_before": e.probability}
    return {"found": True, "limit": FLIP_LIMIT, "remove": found.removed,
            "removed": [e.tokens[i] for i in found.removed], "text": found.text,
            "probability_before": e.probability, "probability_after": found.probability}


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
    return summary, render.histogram(scored, palette), table, str(out)


def word_list(clf: SentimentClassifier, review: str | None) -> list[tuple[str, int]]:
    """The review's tokens for the what-if list: (label, index), numbered as they come."""
    try:
        tokens = clf.tokenize(clip(review)[0])[0].tokens
    except ValueError:
        tokens = []
    return [(f"{t} ({i + 1})", i) for i, t in enumerate(tokens)]


def build_demo(clf: SentimentClassifier, notice: str = "") -> gr.Blocks:
    """The page for one model, with its queue: WORKERS analyses at a time, at most 64 waiting. The first visit
    shows the example in the box already analysed (computed here, once)."""
    first = analyze(clf, EXAMPLES[2])
    results = Path(tempfile.mkdtemp(prefix="imdb-bilstm-results-"))  # the file tab's CSVs, pruned as they age
    with gr.Blocks(title="Why did the LSTM say that? IMDB sentiment, token by token", analytics_enabled=False,
                   delete_cache=(KEEP_RESULTS_S, KEEP_RESULTS_S)) as demo:
        gr.Markdown("# Why did the LSTM say that?\nA bidirectional LSTM trained on 25,000 IMDB reviews reads yours, "
                    "and shows which words moved it.")
        if notice:
            gr.Markdown(f"**Note:** {notice}")
        with gr.Tab("One review"):
            with gr.Row():
                with gr.Column(scale=3):
                    text = gr.Textbox(label="Movie review", lines=6, max_length=MAX_CHARS, value=EXAMPLES[2],
                                      placeholder="Paste a review, or click an example below…")
                    button = gr.Button("Analyse", variant="primary")
                    gr.Examples(EXAMPLES, inputs=text, label="Examples (click one)")
                    gr.Markdown(WEAKNESSES)
                with gr.Column(scale=2):
                    label = gr.Label(first[0], label="Verdict", num_top_classes=2)
                    note = gr.Markdown(first[4], label="Notes")
                    view = gr.Radio([(VIEWS[v], v) for v in VIEWS], value="words", label="Colour by")
                    scale = gr.Radio([(f"Fixed: full colour at ±{FIXED_SCALE:g} logit units", "fixed"),
                                      ("Relative: full colour at this review's largest score", "relative")],
                                     value="fixed", label="Colour scale")
                    palette = gr.Radio([("Red / green", "red/green"),
                                        ("Blue / orange (colour-blind safe)", "blue/orange")],
                                       value="red/green", label="Colours")
                    with gr.Row():
                        share = gr.Button("Copy a link to this review", size="sm")
                    link = gr.Textbox(label="Link", show_label=True, visible=True, interactive=False, lines=1,
                                      placeholder="A link that opens this page with the review analysed")
            gr.Markdown("### Which words moved the model")
            highlighted = gr.HTML(first[1], label="Which words moved the model", elem_id="highlighted",
                                  js_on_load=CLICK_JS)
            curve = gr.HTML(first[2], label="P(positive) after each token")
            with gr.Accordion("What if: remove words and watch the verdict", open=True):
                drop = gr.Dropdown(label="Words to remove", multiselect=True, choices=word_list(clf, EXAMPLES[2]),
                                   value=[], info="Click words in the review above, or pick them here (numbered as "
                                                  "they come); the page scores the review without them.")
                find = gr.Button("Find the fewest words that flip the verdict", size="sm")
                whatif = gr.HTML(label="What if")
            with gr.Accordion("Hidden units: what single LSTM units track", open=False):
                units = gr.HTML(first[3], label="Hidden units")
            with gr.Accordion("How to read this", open=False):
                gr.Markdown(HOW_TO_READ)
        with gr.Tab("Score a file"):
            gr.Markdown("Upload a **.txt** file (one review per line) or a **.csv** file with a column named *text* "
                        f"or *review*, up to {reviewfile.MAX_BYTES / 1e6:g} MB and {reviewfile.MAX_REVIEWS:,} reviews. "
                        "The results come back as a table, a histogram and a CSV file to download.")
            upload = gr.File(label="Reviews file", file_types=[".txt", ".csv"], type="filepath")
            score_button = gr.Button("Score the file", variant="primary")
            summary = gr.Markdown()
            spread = gr.HTML(label="Reviews by P(positive)")
            table = gr.Dataframe(headers=["line or row", "P(positive)", "label", "review"], label="Results",
                                 interactive=False, wrap=True, max_height=420)
            download = gr.File(label="Results (CSV)", interactive=False)
        gr.Markdown(f"<small>Model: {clf.describe()}. Both views add up exactly to the model's score; see the "
                    "project's README for the method.</small>")

        def analyze_review(review: str, colour_by: str, colour_scale: str, colours: str):
            return analyze(clf, review, colour_by, colour_scale, colours)

        # One handler for the button, Enter, typing and the settings: a new trigger replaces a run still waiting.
        settings = [view, scale, palette]
        outputs = [label, highlighted, curve, units, note]
        gr.on([button.click, text.submit, text.change, view.change, scale.change, palette.change], analyze_review,
              [text, *settings], outputs, api_name="analyze", trigger_mode="always_last", show_progress="hidden")

        def word_choices(review: str):
            """The review's words for the what-if list, numbered, none picked."""
            return gr.Dropdown(choices=word_list(clf, review), value=[]), ""

        def what_if_page(review: str, picked: list[int], colour_by: str, colour_scale: str, colours: str):
            return what_if_html(clf, clip(review)[0], picked or [], colour_by, colour_scale, colours)

        def flip_page(review: str, colour_by: str, colour_scale: str, colours: str):
            text = clip(review)[0]
            try:
                found = fewest_to_flip(clf, clf.explain(text), limit=FLIP_LIMIT)
            except ValueError:
                return [], ""
            if found is None:
                return [], (f"<p>Removing up to {FLIP_LIMIT} of the words that pushed hardest towards this verdict "
                            "does not flip it.</p>")
            return found.removed, what_if_html(clf, text, found.removed, colour_by, colour_scale, colours)

        for event in (button.click, text.submit, text.change):
            event(word_choices, text, [drop, whatif], api_visibility="private", show_progress="hidden")
        drop.input(what_if_page, [text, drop, *settings], whatif, api_visibility="private", trigger_mode="always_last",
                   show_progress="hidden", js=SYNC_JS)

        def clicked(review: str, colour_by: str, colour_scale: str, colours: str, event: gr.EventData):
            """A click on a word of the review: the picks are the words now struck through."""
            picked = sorted({int(i) for i in getattr(event, "picked", None) or []})
            return picked, what_if_page(review, picked, colour_by, colour_scale, colours)

        highlighted.click(clicked, [text, *settings], [drop, whatif], api_visibility="private",
                          trigger_mode="always_last", show_progress="hidden")
        find.click(flip_page, [text, *settings], [drop, whatif], api_visibility="private").then(
            None, [text, drop], None, js=SYNC_JS)

        def from_link(request: gr.Request):
            """A shared link's review (?review=...) into the box, which analyses it; otherwise nothing changes."""
            shared = request.query_params.get("review") if request is not None else None
            return clip(shared)[0] if shared else gr.skip()

        demo.load(from_link, None, text, api_visibility="private")

        def score_upload(path: str | None, colours: str, progress=gr.Progress()):
            return score_file(clf, path, results, colours,
                              lambda done, total: progress((done, total), desc="Scoring", unit="reviews"))

        score_button.click(score_upload, [upload, palette], [summary, spread, table, download], api_name="score_file",
                           concurrency_limit=1)
        share.click(None, [text], [link], js=SHARE_JS.replace("MAX_LINK", str(MAX_LINK)))

        def predict_api(text: str) -> dict:
            return predict(clf, text)

        gr.api(predict_api, api_name="predict")

        def what_if_api(text: str, remove: list[int]) -> dict:
            return what_if_json(clf, text, remove)

        def flip_api(text: str) -> dict:
            return flip_json(clf, text)

        gr.api(what_if_api, api_name="what_if")
        gr.api(flip_api, api_name="flip")
    demo.queue(default_concurrency_limit=WORKERS, max_size=64)
    return demo


def load_with_fallback(source: str | None, log=print) -> tuple[SentimentClassifier, str]:
    """The asked-for model, or the bundled one with a note for visitors saying so; the full reason, which may
    name the server's paths, goes to the server's log only."""
    if source:
        try:
            return load_model(source), ""
        except ModelLoadError as e:
            log(f"{e} Serving the bundled model instead.")
            name = source if source.count("/") == 1 and not source.startswith((".", "/", "~")) else Path(source).name
            return load_model(), (f"The model {name} could not be loaded (the server's log says why), so this page "
                                  "shows the bundled model.")
    return load_model(), ""


def create_demo(source: str | None) -> gr.Blocks:
    return build_demo(*load_with_fallback(source))


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, share: bool = False) -> int:
    """Serve until interrupted; 2 when the port is taken."""
    try:
        demo.launch(server_name=host, server_port=port, share=share, css=CSS, theme=THEME, quiet=True,
                    prevent_thread_lock=True, max_file_size=MAX_UPLOAD)
    except OSError as e:  # Gradio's own message points to its settings, not to this app's flags
        print(f"error: cannot listen on {host}:{port} ({e.__class__.__name__}); pick another port with --port.")
        return 2
    print(f"Serving on http://{host}:{demo.server_port}" + (f" and {demo.share_url}" if demo.share_url else
                                                            " (--share also opens a public link)"))
    demo.block_thread()
    return 0


# Module level, as in Gradio's own demos: `gradio app.py` (reload mode) and a Space's runner find it here.
demo = create_demo(os.environ.get("SENTIMENT_MODEL"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", default=os.environ.get("SENTIMENT_MODEL"),
                   help="model folder or Hub repo id (default: $SENTIMENT_MODEL, else the bundled model)")
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                   help="address to listen on (0.0.0.0 for every interface; Spaces set GRADIO_SERVER_NAME)")
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)), help="port")
    p.add_argument("--share", action="store_true", help="also open a public share link")
    p.add_argument("--threads", type=int, help=f"torch threads per analysis (default: ${ENV}, else the cores "
                                                f"shared among the {WORKERS} analyses run at once)")
    args = p.parse_args()
    print(f"{set_threads(WORKERS, args.threads)} torch thread(s) per analysis, {WORKERS} analyses at once")
    served = demo if args.model == os.environ.get("SENTIMENT_MODEL") else create_demo(args.model)
    return launch(served, args.host, args.port, args.share)


if __name__ == "__main__":
    sys.exit(main())
