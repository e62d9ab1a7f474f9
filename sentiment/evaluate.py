"""Re-score a model folder on the IMDB test split: accuracy, precision, recall, F1, loss, confusion matrix."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from . import download
from .batching import Dataset
from .classifier import SentimentClassifier, load_model
from .corpus import Corpus, load_corpus
from .data import encode_rows, vocab_table
from .errors import UserError
from .threads import ENV, set_threads
from .training import evaluate, resolve_device


def test_dataset(clf: SentimentClassifier, corpus: Corpus) -> Dataset:
    """The test split in the model's vocabulary, truncated as the model was trained."""
    rows = np.arange(len(corpus.splits["test"]))
    return encode_rows(corpus, "test", rows, vocab_table(corpus, clf.vocab), clf.config)


def scores(labels: np.ndarray, logits: np.ndarray, loss: float) -> dict:
    """Binary classification figures, positive = 1."""
    pred = (logits > 0).astype(int)
    labels = labels.astype(int)
    tp, tn = int(((pred == 1) & (labels == 1)).sum()), int(((pred == 0) & (labels == 0)).sum())
    fp, fn = int(((pred == 1) & (labels == 0)).sum()), int(((pred == 0) & (labels == 1)).sum())
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return {"accuracy": (tp + tn) / len(labels), "precision": precision, "recall": recall,
            "f1": 2 * precision * recall / max(precision + recall, 1e-12), "loss": loss, "reviews": len(labels),
            "confusion": {"true_negative": tn, "false_positive": fp, "false_negative": fn, "true_positive": tp}}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m sentiment.evaluate", description=__doc__)
    p.add_argument("--model", help="model folder or Hub repo id (default: the bundled model)")
    p.add_argument("--data", help="aclImdb_v1.tar.gz, its aclImdb/ folder, or an encoded corpus folder "
                                  "(default: download the archive into the cache folder)")
    p.add_argument("--out", help="write the figures here as JSON (default: print only)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda ...")
    p.add_argument("--batch-size", type=int, default=128, help="reviews per batch")
    p.add_argument("--cache-dir", default=str(download.cache_dir()), help="downloads and encoded corpora")
    p.add_argument("--threads", type=int, help=f"torch threads (default: ${ENV}, else every core)")
    args = p.parse_args(argv)
    set_threads(1, args.threads)
    try:
        device = resolve_device(args.device)
        clf = load_model(args.model, device=device)
        data = args.data or download.fetch(download.IMDB_URL, args.cache_dir)
        corpus = load_corpus(data, args.cache_dir, clf.config.lowercase)
    except UserError as e:  # anything else is a bug, and keeps its traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
    dataset = test_dataset(clf, corpus)
    logits = np.zeros(len(dataset), dtype=np.float32)
    with torch.no_grad():
        stats = evaluate(clf.model, dataset, device, args.batch_size, desc="test", logits_out=logits)
    result = {"model": clf.source, "device": str(device), **scores(dataset.labels, logits, stats.loss)}
    c = result["confusion"]
    print(f"model      {clf.source}\nreviews    {result['reviews']:,}\naccuracy   {result['accuracy']:.4f}\n"
          f"precision  {result['precision']:.4f}\nrecall     {result['recall']:.4f}\nF1         {result['f1']:.4f}\n"
          f"loss       {result['loss']:.4f}\n\n               predicted neg  predicted pos\n"
          f"actual neg     {c['true_negative']:>13,}  {c['false_positive']:>13,}\n"
          f"actual pos     {c['false_negative']:>13,}  {c['true_positive']:>13,}")
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))
    return 0


def console() -> None:
    """The installed command (imdb-bilstm-evaluate): the same as `python -m sentiment.evaluate`."""
    sys.exit(main())


if __name__ == "__main__":
    console()
