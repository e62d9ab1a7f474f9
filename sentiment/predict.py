"""Score reviews from a file (one per line) or stdin; print CSV rows `probability,label,text`."""

from __future__ import annotations

import argparse
import csv
import sys

from tqdm.auto import tqdm

from .classifier import load_model
from .errors import UserError
from .explain import label_of
from .threads import ENV, set_threads


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m sentiment.predict", description=__doc__)
    p.add_argument("file", help="a text file with one review per line, or - for standard input")
    p.add_argument("--model", help="model folder or Hub repo id (default: the bundled model)")
    p.add_argument("--batch-size", type=int, default=64, help="reviews scored together")
    p.add_argument("--threads", type=int, help=f"torch threads (default: ${ENV}, else every core)")
    args = p.parse_args(argv)
    set_threads(1, args.threads)
    try:
        clf = load_model(args.model)
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
    except (UserError, OSError) as e:  # anything else is a bug, and keeps its traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
    with stream:
        try:
            lines = [line.rstrip("\n") for line in stream]
        except UnicodeDecodeError:
            print(f"error: {args.file} is not UTF-8 text; save it as UTF-8 and try again.", file=sys.stderr)
            return 2
    reviews = [line for line in lines if line.strip()]  # blank lines carry no review
    writer = csv.writer(sys.stdout)
    writer.writerow(["probability", "label", "text"])
    chunk = args.batch_size * 16
    with tqdm(total=len(reviews), unit="review", disable=len(reviews) < 1000, file=sys.stderr) as bar:
        def skipped(text, message):  # a line with no words (markup only): say so, score the others
            print(f"skipped {text[:40]!r}: {message}", file=sys.stderr)

        for start in range(0, len(reviews), chunk):
            texts = reviews[start:start + chunk]
            for text, prob in zip(texts, clf.score_each(texts, args.batch_size, bar.update, skipped)):
                if prob is not None:
                    writer.writerow([f"{prob:.4f}", label_of(prob), text])
    return 0


def console() -> None:
    """The installed command (imdb-bilstm-predict): the same as `python -m sentiment.predict`."""
    sys.exit(main())


if __name__ == "__main__":
    console()
