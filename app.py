"""The playground: a review's sentiment, and which words moved the BiLSTM, read from its hidden states."""

import argparse
import os
import sys
import tempfile
from pathlib import Path

import gradio as gr

from sentiment import ModelLoadError, ReviewError, SentimentClassifier, load_model, reviewfile
from sentiment.playground import (KEEP_RESULTS_S, MAX_CHARS, analyze, clip, flip_html, flip_json, predict,
                                  score_file, what_if_html, what_if_json, word_list)
from sentiment.render import FIXED_SCALE, VIEWS
from sentiment.threads import ENV, set_threads

MAX_LINK = 8_000  # characters of a share link: many servers and proxies refuse longer request lines
WORKERS = 2  # analyses run at once; torch's threads are shared out among them (set_threads)
MAX_UPLOAD = 4 * reviewfile.MAX_BYTES  # Gradio refuses bigger uploads before they reach the disk; the file tab
# explains its own, smaller limit for files between the two

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


def answer(event, *args) -> dict:
    """An API event's JSON; a review it cannot score becomes gr.Error with the reason, for the client to show."""
    try:
        return event(*args)
    except ReviewError as e:
        raise gr.Error(str(e)) from None


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
            return what_if_html(clf, review, picked, colour_by, colour_scale, colours)

        def flip_page(review: str, colour_by: str, colour_scale: str, colours: str):
            return flip_html(clf, review, colour_by, colour_scale, colours)

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

        # The API's errors reach the client as gr.Error, whose message the client shows as it is.
        def predict_api(text: str) -> dict:
            return answer(predict, clf, text)

        def what_if_api(text: str, remove: list[int]) -> dict:
            return answer(what_if_json, clf, text, remove)

        def flip_api(text: str) -> dict:
            return answer(flip_json, clf, text)

        gr.api(predict_api, api_name="predict")
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
