"""From data and a config to a saved model folder: the steps `train.py` runs, in order."""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import huggingface_hub
import numpy as np
import torch

from . import checkpoint, folder
from .classifier import SentimentClassifier
from .config import TrainConfig
from .corpus import Corpus, load_corpus
from .cpu_lstm import prepare_for_training
from .data import Prepared, prepare
from .adversarial import adversarial_objective
from .batching import Dataset
from .distill import load_teachers, run_targets
from .glove import Coverage, embedding_matrix
from .lm import pretrain
from .model import BiLSTMClassifier
from .training import EpochStats, classify, evaluate, fit, set_seed


@dataclass
class TrainResult:
    model: BiLSTMClassifier  # on the CPU, in eval mode, with the best epoch's weights
    metrics: dict  # what metrics.json holds
    folder: Path


def train_model(cfg: TrainConfig, *, data: str | Path, vectors: str | Path, out: str | Path,
                device: torch.device, cache_dir: str | Path, resume: bool = False, log=print,
                teachers: list[SentimentClassifier] | None = None) -> TrainResult:
    """Read the data, build the model, (pretrain,) fit, test once, save the folder. `teachers`: the models
    cfg.distill.teachers names, if the caller has loaded them already (distill.load_teachers)."""
    started = time.time()
    if device.type == "cpu":
        prepare_for_training()  # first, so that the worker threads torch starts later take the setting (see fit)
    if teachers is None:
        teachers = load_teachers(cfg.distill.teachers, cfg)
    corpus, prepared = read_data(cfg, data, cache_dir, log)
    states = Path(out) / "checkpoints"
    if teachers:  # the unlabelled reviews labelled with the teachers' mean probability
        targets = run_targets(teachers, corpus, states, resume, device, log)
        prepared.unlabelled = Dataset(prepared.unlabelled.seqs, targets, prepared.unlabelled.pad_id)
    cfg = replace(cfg, model=replace(cfg.model, vocab_size=len(prepared.vocab)))  # the model's size, as built
    model, coverage = build_model(cfg, prepared, vectors, device, log)
    model.fused_directions = cfg.fuse_directions
    pretraining = None
    if cfg.lm.epochs:
        log(f"pretraining as two language models on {len(prepared.lm_train):,} reviews "
            f"({int(prepared.lm_train.lengths.sum()):,} tokens) for {cfg.lm.epochs} epochs")
        pretraining = pretrain(model, prepared.lm_train, prepared.lm_valid, cfg, device, states / "lm", resume, log)
        resume = resume and checkpoint.exists(states / "last")  # interrupted while pretraining: fine-tune afresh
    distill = cfg.distill.weight if cfg.distill.teachers else 0.0
    objective = adversarial_objective(cfg.adversarial, distill) if cfg.adversarial.active or distill else classify
    progress = fit(model, prepared.train, prepared.valid, cfg, device, states, resume, log, objective,
                   prepared.unlabelled)
    valid, test = score(model, prepared, device, log)
    metrics = run_record(cfg, corpus=corpus, vectors=vectors, coverage=coverage, progress=progress, valid=valid,
                         test=test, pretraining=pretraining, device=device, seconds=time.time() - started,
                         teachers=teachers)
    saved = folder.save(out, model.cpu(), prepared.vocab, metrics)
    log(f"saved {saved}")
    return TrainResult(model.eval(), metrics, saved)


def read_data(cfg: TrainConfig, data: str | Path, cache_dir: str | Path, log) -> tuple[Corpus, Prepared]:
    """The encoded corpus (cached) and the splits and vocabulary the config asks for."""
    unlabelled = cfg.lm.epochs or cfg.adversarial.unlabelled_batch_size
    splits = ("train", "test", "unsup") if unlabelled else ("train", "test")
    corpus = load_corpus(data, cache_dir, cfg.model.lowercase, splits)
    prepared = prepare(corpus, cfg)
    log(f"{len(prepared.train):,} training, {len(prepared.valid):,} validation, "
        f"{len(prepared.test) if prepared.test else 0:,} test reviews; vocabulary {len(prepared.vocab):,}")
    if cfg.identity_substitution:
        log(f"identity words swapped in {prepared.identity_substituted:,} training reviews")
    if cfg.sentence_share:
        log(f"{prepared.sentences_added:,} sentences of training reviews added as examples")
    return corpus, prepared


def build_model(cfg: TrainConfig, prepared: Prepared, vectors: str | Path, device: torch.device,
                log) -> tuple[BiLSTMClassifier, Coverage]:
    """A seeded model whose embedding starts from GloVe (random rows for words it lacks)."""
    set_seed(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    matrix, coverage = embedding_matrix(vectors, prepared.vocab, cfg.model.embedding_dim,
                                        prepared.train_token_counts, generator)
    log(f"GloVe covers {100 * coverage.vocab_share:.2f}% of the vocabulary and "
        f"{100 * coverage.token_share:.2f}% of training tokens")
    model = BiLSTMClassifier(cfg.model)
    with torch.no_grad():
        model.embedding.weight.copy_(matrix)
        if cfg.model.normalize_embeddings:
            model.word_frequencies.copy_(torch.as_tensor(prepared.train_token_counts, dtype=torch.float32) + 1)
    return model.to(device), coverage


def score(model: BiLSTMClassifier, prepared: Prepared, device: torch.device,
          log) -> tuple[EpochStats, EpochStats | None]:
    """Validation and, once, at the very end, test (when the corpus has a test split)."""
    valid = evaluate(model, prepared.valid, device, desc="validation")
    test = evaluate(model, prepared.test, device, desc="test") if prepared.test is not None else None
    if test is not None:
        log(f"valid accuracy {valid.accuracy:.4f}, test accuracy {test.accuracy:.4f} (loss {test.loss:.4f})")
    return valid, test


def run_record(cfg: TrainConfig, *, corpus: Corpus, vectors: str | Path, coverage: Coverage, progress: dict,
               valid: EpochStats, test: EpochStats | None, pretraining: list | None, device: torch.device,
               seconds: float, teachers: list[SentimentClassifier] | None = None) -> dict:
    """metrics.json: every figure the model card and README quote, and what produced them."""
    history = progress["history"]

    def split(stats: EpochStats) -> dict:
        return {"accuracy": stats.accuracy, "loss": stats.loss, "reviews": stats.examples}

    return {
        "valid": split(valid),
        "test": split(test) if test is not None else None,
        "best_epoch": progress["best_epoch"],
        "epochs_run": len(history),
        "history": history,
        "pretraining": pretraining,
        "seconds_per_epoch": float(np.mean([r["seconds"] for r in history])) if history else None,
        "tokens_per_second": float(np.mean([r["tokens_per_second"] for r in history])) if history else None,
        "total_seconds": seconds,
        "device": device_name(device),
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__,
                     "spacy (encoding)": corpus.manifest.get("spacy"),
                     "huggingface_hub": huggingface_hub.__version__, "numpy": np.__version__},
        "data": {"sha256": corpus.manifest.get("data_sha256"), "reviews": corpus.manifest.get("reviews"),
                 "train_limit": cfg.train_limit or None},
        "vocab_size": cfg.model.vocab_size,
        "glove": {"file": Path(vectors).name, **asdict(coverage)},
        "config": asdict(cfg),
        # config names the teachers by path or repo id, which can later hold other weights: these say which
        "teachers": [{"source": t.source, "sha256": folder.weights_sha256(t.location),
                      "test_accuracy": (t.metrics.get("test") or {}).get("accuracy")} for t in teachers or []] or None,
        "command": " ".join(sys.argv),
    }


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads, {platform.machine()})"
