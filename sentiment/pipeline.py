"""From data and a config to a saved model folder: the steps `train.py` runs, in order."""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import huggingface_hub
import numpy as np
import torch

from . import checkpoint, hub
from .config import TrainConfig
from .corpus import load_corpus
from .data import prepare
from .glove import embedding_matrix
from .lm import pretrain
from .model import BiLSTMClassifier
from .training import evaluate, fit, set_seed


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads, {platform.machine()})"


def train_model(cfg: TrainConfig, data: str | Path, vectors: str | Path, out: str | Path, device: torch.device,
                cache_dir: str | Path, resume: bool = False, train_limit: int = 0, log=print):
    """Encode (or reuse) the corpus, build the vocabulary and GloVe embedding, train, test once, save the folder.

    Returns the trained model (on the CPU, in eval mode) and its metrics.
    """
    started = time.time()
    out = Path(out)
    splits = ("train", "test", "unsup") if cfg.lm_epochs else ("train", "test")
    corpus = load_corpus(data, cache_dir, cfg.model.lowercase, splits)
    prepared = prepare(corpus, cfg)
    if train_limit:  # quick experiments on a fixed subset of the training part
        prepared.train = prepared.train.sample(train_limit, cfg.seed)
        if prepared.lm_train is not None:
            prepared.lm_train = prepared.lm_train.sample(train_limit, cfg.seed)
    log(f"{len(prepared.train):,} training, {len(prepared.valid):,} validation, "
        f"{len(prepared.test) if prepared.test else 0:,} test reviews; vocabulary {len(prepared.vocab):,}")

    set_seed(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    matrix, coverage = embedding_matrix(vectors, prepared.vocab, cfg.model.embedding_dim,
                                        prepared.train_token_counts, generator)
    log(f"GloVe covers {100 * coverage.vocab_share:.2f}% of the vocabulary and "
        f"{100 * coverage.token_share:.2f}% of training tokens")
    cfg = replace(cfg, model=replace(cfg.model, vocab_size=len(prepared.vocab)))  # recorded as trained
    model = BiLSTMClassifier(cfg.model)
    with torch.no_grad():
        model.embedding.weight.copy_(matrix)
    if cfg.freeze_embeddings:
        model.embedding.weight.requires_grad_(False)
    model.to(device)

    states = out / "checkpoints"
    pretraining = None
    if cfg.lm_epochs:
        log(f"pretraining as two language models on {len(prepared.lm_train):,} reviews "
            f"({int(prepared.lm_train.lengths.sum()):,} tokens) for {cfg.lm_epochs} epochs")
        pretraining = pretrain(model, prepared.lm_train, prepared.lm_valid, cfg, device, states / "lm", resume, log)
        # Interrupted while pretraining: fine-tuning starts afresh after it.
        resume = resume and checkpoint.exists(states / "last")
    progress = fit(model, prepared.train, prepared.valid, cfg, device, states, resume, log)
    valid = evaluate(model, prepared.valid, device, desc="validation")
    test = evaluate(model, prepared.test, device, desc="test") if prepared.test is not None else None
    if test is not None:
        log(f"best epoch {progress['best_epoch']}: valid accuracy {valid.accuracy:.4f}, "
            f"test accuracy {test.accuracy:.4f} (loss {test.loss:.4f})")
    history = progress["history"]
    metrics = {
        "valid": {"accuracy": valid.accuracy, "loss": valid.loss, "reviews": valid.examples},
        "test": {"accuracy": test.accuracy, "loss": test.loss, "reviews": test.examples} if test else None,
        "best_epoch": progress["best_epoch"],
        "epochs_run": len(history),
        "history": history,
        "pretraining": pretraining,
        "seconds_per_epoch": float(np.mean([r["seconds"] for r in history])) if history else None,
        "tokens_per_second": float(np.mean([r["tokens_per_second"] for r in history])) if history else None,
        "total_seconds": time.time() - started,
        "device": device_name(device),
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__, "spacy (encoding)": corpus.manifest.get("spacy"),
                     "huggingface_hub": huggingface_hub.__version__, "numpy": np.__version__},
        "data": {"sha256": corpus.manifest.get("data_sha256"), "reviews": corpus.manifest.get("reviews"),
                 "train_limit": train_limit or None},
        "vocab_size": len(prepared.vocab),
        "glove": {"file": Path(vectors).name, **asdict(coverage)},
        "config": asdict(cfg),
        "command": " ".join(sys.argv),
    }
    hub.save_folder(out, model.cpu(), prepared.vocab, metrics)
    log(f"saved {out}")
    return model.eval(), metrics
