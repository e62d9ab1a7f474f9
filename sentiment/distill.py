"""Knowledge distillation (Hinton, Vinyals and Dean 2015): trained models (the teachers, one or an ensemble) label
the unlabelled reviews with their mean probability, and a new model (the student) learns to match it, besides the
labelled reviews. Also what tells whether that is worth doing: the teachers' logits on any reviews of the corpus,
each model reading them through its own vocabulary and truncation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from .checkpoint import write_atomically
from .classifier import SentimentClassifier, load_model
from .config import TrainConfig, with_new_settings
from .corpus import Corpus
from .data import encode_rows, vocab_table
from .errors import SettingsError
from .training import evaluate, logits_only


def logits_on(clf: SentimentClassifier, corpus: Corpus, split: str, rows: np.ndarray, device: torch.device,
              batch_size: int = 128) -> np.ndarray:
    """(len(rows),) one model's logit for reviews `rows` of a split of the corpus (labelled or not: nothing is
    scored)."""
    dataset = encode_rows(corpus, split, rows, vocab_table(corpus, clf.vocab), clf.config)
    out = np.zeros(len(rows), dtype=np.float32)
    with torch.no_grad():
        evaluate(clf.model.to(device), dataset, device, batch_size, desc=f"{clf.source} on {split}", logits_out=out,
                 objective=logits_only)
    return out


def mean_probability(logits: list[np.ndarray]) -> np.ndarray:
    """An ensemble's prediction: the mean of its models' probabilities."""
    return np.mean([1 / (1 + np.exp(-x.astype(np.float64))) for x in logits], axis=0).astype(np.float32)


def load_teachers(sources: list[str], cfg: TrainConfig) -> list[SentimentClassifier]:
    """The models `sources` names, each checked against the settings `cfg` of a student (or of the split they are
    compared on): the same lowercasing (they read the student's corpus), and the same validation split, since a
    teacher that trained on the student's validation reviews would pass what it learnt of them on and flatter the
    student's validation figures."""
    teachers = []
    for source in sources:
        clf = load_model(source)
        if clf.config.lowercase != cfg.model.lowercase:
            raise SettingsError(f"The teacher {source} reads {'lower' if clf.config.lowercase else 'mixed'}-case "
                                "tokens and the student does not; train both with the same casing.")
        theirs = validation_split(clf)
        if split_of(theirs) != split_of(cfg):
            raise SettingsError(f"The teacher {source} was validated on another split ({split_of(theirs)}) than "
                                f"the student ({split_of(cfg)}); train the student with the teacher's split "
                                "(its --split-seed), so that no teacher has trained on the student's validation "
                                "reviews.")
        teachers.append(clf)
    return teachers


def validation_split(clf: SentimentClassifier) -> TrainConfig:
    """The settings that drew a trained model's validation split, from its metrics.json (the rest are defaults)."""
    saved = clf.metrics.get("config")
    if saved is None:
        raise SettingsError(f"The model {clf.source} has no metrics.json with its training settings, so its "
                            "validation split is unknown; use a folder written by train.py.")
    return TrainConfig(**{k: v for k, v in with_new_settings(saved).items()
                          if k in ("valid_split", "valid_fraction", "seed", "split_seed")})


def split_of(cfg: TrainConfig) -> str:
    return f"by {cfg.valid_split}, {cfg.valid_fraction:g} of train, seed {cfg.valid_seed}"


def soft_targets(teachers: list[SentimentClassifier], corpus: Corpus, split: str, device: torch.device,
                 log=print) -> np.ndarray:
    """(len(split),) the teachers' mean probability of a positive review for every review of a split."""
    rows = np.arange(len(corpus.splits[split]))
    targets = mean_probability([logits_on(t, corpus, split, rows, device) for t in teachers])
    confident = float(np.mean(np.abs(targets - 0.5) > 0.4))
    log(f"{len(teachers)} teacher(s) labelled {len(rows):,} {split} reviews: {100 * np.mean(targets > 0.5):.1f}% "
        f"positive, {100 * confident:.1f}% with a probability below 0.1 or above 0.9")
    return targets


def run_targets(teachers: list[SentimentClassifier], corpus: Corpus, state_dir: str | Path, resume: bool,
                device: torch.device, log=print) -> np.ndarray:
    """soft_targets on the unlabelled reviews for a training run, stored beside its checkpoints, so that a resumed
    run reads the ones it started with rather than asking the teachers again (minutes a teacher on a CPU)."""
    path = Path(state_dir) / "soft_targets.safetensors"
    if resume and path.is_file():
        targets = load_file(str(path))["unsup"].numpy()
        if len(targets) == len(corpus.splits["unsup"]):
            log(f"the teachers' probabilities on {len(targets):,} unlabelled reviews read from {path}")
            return targets
    targets = soft_targets(teachers, corpus, "unsup", device, log)
    write_atomically(path, {"unsup": torch.from_numpy(targets)})
    return targets
