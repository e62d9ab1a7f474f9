"""The training loop: one epoch function for training and evaluation, and `fit` with best-validation weights."""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import random
import signal
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from . import checkpoint
from .batching import Dataset
from .config import TrainConfig, with_new_settings
from .cpu_lstm import prepare_for_training
from .errors import SettingsError
from .model import BiLSTMClassifier


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    # Repeatable runs on CUDA too, at little cost for an LSTM; cuBLAS needs this workspace setting for it.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise SettingsError(f"Device {name} was asked for, but torch sees no CUDA device; use the CPU.")
    return torch.device(name)


@dataclass
class EpochStats:
    loss: float  # mean over predictions
    accuracy: float
    examples: int  # reviews
    tokens: int  # real tokens read
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / max(self.seconds, 1e-9)


class Progress:
    """How many batches of the running epoch are done, and the RNG state before the next; read on interruption."""

    def __init__(self):
        self.batches = 0
        self.rng = None


class StopRequests:
    """While active, Ctrl-C (SIGINT) and SIGTERM only note a request to stop, which the training loop honours at
    the next batch boundary, so that a checkpoint never holds a half-applied optimizer step. A second signal
    stops at once (KeyboardInterrupt). Signals can be caught only in the main thread; elsewhere this does nothing.
    """

    def __init__(self):
        self.requested: str | None = None  # the name of the signal received
        self._saved = {}

    def __enter__(self) -> "StopRequests":
        if threading.current_thread() is threading.main_thread():
            self._saved = {sig: signal.signal(sig, self._note) for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _note(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = signal.Signals(signum).name

    def __exit__(self, *exc) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)


@dataclass
class Step:
    """What an objective returns for one batch."""

    loss_sum: torch.Tensor  # summed over its predictions
    correct: torch.Tensor | int  # a tensor on the batch's device, so that counting needs no wait for the GPU
    predictions: int
    logits: torch.Tensor | None = None  # (B,) for a classifier


def count_correct(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """How many of the (B,) logits fall on the side of their 0/1 label, as a tensor on their device."""
    return ((logits > 0).float() == labels).sum()


def classify(model: nn.Module, batch, packed: bool | None = None) -> Step:
    """The sentiment objective: one logit per review, binary cross-entropy (`packed`: see the model's forward)."""
    logits = model(batch.ids, batch.lengths, packed=packed).float()
    loss = nn.functional.binary_cross_entropy_with_logits(logits, batch.labels, reduction="sum")
    return Step(loss, count_correct(logits, batch.labels), len(batch.labels), logits)


def logits_only(model: nn.Module, batch) -> Step:
    """The logits and nothing scored: for reviews whose labels are placeholders (the unlabelled ones)."""
    logits = model(batch.ids, batch.lengths).float()
    return Step(logits.new_zeros(()), 0, 0, logits)


def run_epoch(model: nn.Module, batches, device: torch.device, optimizer=None, scheduler=None,
              clip: float = 0.0, amp: bool = False, total: int | None = None, desc: str = "",
              progress: Progress | None = None, logits_out: np.ndarray | None = None,
              objective=classify, stop: StopRequests | None = None) -> EpochStats:
    """Train on `batches` when an optimizer is given, else evaluate; returns mean loss and accuracy.

    `objective(model, batch) -> Step`: what is predicted and scored (`classify`, or the language models' in lm.py);
    it may run the backward pass of a part of its loss itself, divided by its predictions as here, and return
    that part detached (adversarial.py's does).
    `logits_out`: an array with a slot per example of the dataset, filled with each example's logit.
    `stop`: ends the epoch early, between two batches, once it holds a request.

    Nothing in the loop waits for the device: loss and accuracy add up on it, the progress bar reads them at most
    once a second, and logits come back at the end, so that on a GPU the Python loop runs ahead of the kernels.
    """
    training = optimizer is not None
    model.train(training)
    loss_sum, correct = torch.zeros((), dtype=torch.float64, device=device), 0
    predictions, examples, tokens = 0, 0, 0
    logits, rows = [], []
    start = shown = time.perf_counter()
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if amp and device.type == "cuda"
                else contextlib.nullcontext())
    bar = tqdm(batches, total=total, desc=desc, unit="batch", leave=False, mininterval=1.0)
    with torch.set_grad_enabled(training):
        for batch in bar:
            if progress is not None:  # so that a resumed run draws the same dropout masks
                progress.rng = checkpoint.rng_state()
            if stop is not None and stop.requested:
                break
            batch = batch.to(device)
            if training:
                optimizer.zero_grad(set_to_none=True)  # before the objective, which may run a backward pass
            with autocast:
                step = objective(model, batch)
            if training:
                (step.loss_sum / max(step.predictions, 1)).backward()
                if clip:
                    nn.utils.clip_grad_norm_(model.parameters(), clip)
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
            if logits_out is not None:
                logits.append(step.logits.detach())
                rows.append(batch.rows)
            loss_sum += step.loss_sum.detach()
            correct += step.correct
            predictions += step.predictions
            examples += len(batch.rows)
            tokens += int(batch.lengths.sum())  # the lengths stay on the CPU
            if progress is not None:
                progress.batches += 1
            if predictions and time.perf_counter() - shown >= 1.0:  # nothing to show for logits_only
                shown = time.perf_counter()
                bar.set_postfix(loss=f"{float(loss_sum) / max(predictions, 1):.4f}",
                                acc=f"{int(correct) / max(predictions, 1):.4f}", refresh=False)
    if logits:
        logits_out[np.concatenate(rows)] = torch.cat(logits).float().cpu().numpy()
    loss, correct = float(loss_sum), int(correct)  # these wait for the device to finish
    return EpochStats(loss / max(predictions, 1), correct / max(predictions, 1), examples, tokens,
                      time.perf_counter() - start)


def evaluate(model, dataset: Dataset, device, batch_size: int = 128, desc: str = "eval",
             logits_out: np.ndarray | None = None, objective=classify) -> EpochStats:
    return run_epoch(model, dataset.batches(batch_size, shuffle=False), device,
                     total=dataset.num_batches(batch_size), desc=desc, logits_out=logits_out, objective=objective)


def make_optimizer(model: nn.Module, lr: float, schedule: str, total_steps: int, capturable: bool = False):
    """Adam over the model's parameters, with a learning-rate `schedule` over `total_steps`. `capturable`: its
    state and learning rate held as tensors on the model's device, so that a CUDA graph can hold its step."""
    if capturable:
        lr = torch.tensor(lr, device=next(model.parameters()).device)  # the schedule fills it in place
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, capturable=capturable)
    scheduler = None
    if schedule == "cosine":
        total = max(total_steps, 1)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total) / total)))
    elif schedule != "constant":
        raise ValueError(f"lr_schedule must be 'constant' or 'cosine', not {schedule!r}.")
    return optimizer, scheduler


def changed_settings(saved: dict | None, now: dict, prefix: str = "") -> list[str]:
    """'name: A there, B now' for each setting whose saved value A differs from B (nested ones as model.hidden_size)."""
    out = []
    for key in sorted(set(saved or {}) | set(now)):
        a, b = (saved or {}).get(key), now.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += changed_settings(a, b, f"{prefix}{key}.")
        elif a != b and saved is not None:
            out.append(f"{prefix}{key}: {a} there, {b} now")
    return out


def save_interrupted(state_dir: Path, model, optimizer, scheduler, progress: dict, done: Progress, epoch: int,
                     log) -> None:
    progress["batch"] += done.batches
    checkpoint.save(state_dir / "last", model, optimizer, scheduler, progress, rng=done.rng)
    log(f"\ninterrupted in epoch {epoch} after {progress['batch']} batches; checkpoint saved, resume to continue")


def epoch_batches(train: Dataset, cfg: TrainConfig, epoch: int, unlabelled: Dataset | None = None):
    """The training batches of one epoch, shuffled with the seed and the epoch; with `unlabelled`, each carries a
    batch of unlabelled reviews, drawn from seeded passes over them, so that a resumed epoch gets the same ones."""
    seed = cfg.seed * 1000 + epoch
    batches = train.batches(cfg.batch_size, shuffle=True, seed=seed)
    if unlabelled is None:
        return batches
    size = cfg.adversarial.unlabelled_batch_size
    pool = itertools.chain.from_iterable(unlabelled.batches(size, shuffle=True, seed=seed * 1000 + n)
                                         for n in itertools.count())
    return (replace(batch, unlabelled=extra) for batch, extra in zip(batches, pool))


def fit(model: BiLSTMClassifier, train: Dataset, valid: Dataset, cfg: TrainConfig, device: torch.device,
        state_dir: str | Path, resume: bool = False, log=print, objective=classify,
        unlabelled: Dataset | None = None) -> dict:
    """Train for cfg.epochs, keeping the weights of the best epoch (by validation loss, or by validation accuracy
    with ties broken by loss, as cfg.keep_best says); resumable from `state_dir`. `objective`: what each batch
    minimises (`classify`, or adversarial.py's); `unlabelled`: reviews without labels to pair with each batch.

    A checkpoint is written after every epoch and when training is interrupted (Ctrl-C, SIGTERM or an error),
    with the number of batches done, so that `resume=True` continues from the same batch of the same epoch.
    Ctrl-C and SIGTERM stop at the next batch boundary and then raise KeyboardInterrupt.
    """
    state_dir = Path(state_dir)
    if device.type == "cpu":
        log(prepare_for_training())
    steps = train.num_batches(cfg.batch_size)
    optimizer, scheduler = make_optimizer(model, cfg.lr, cfg.lr_schedule, cfg.epochs * steps)
    progress = {"epoch": 0, "batch": 0, "history": [], "best_score": None, "best_epoch": None}
    progress["config"] = asdict(cfg)  # a resumed run must go on with the same settings
    if resume:
        if not checkpoint.exists(state_dir / "last"):
            raise SettingsError(f"No checkpoint to resume from in {state_dir / 'last'}; start afresh.")
        saved = checkpoint.read_progress(state_dir / "last").get("config")
        differences = changed_settings(with_new_settings(saved) if saved else None, progress["config"])
        if differences:
            raise SettingsError(f"The checkpoint in {state_dir / 'last'} was written with other settings "
                                f"({'; '.join(differences)}); resume with the same settings, or start afresh.")
        progress = checkpoint.load(state_dir / "last", model, optimizer, scheduler, device)
        log(f"resumed at epoch {progress['epoch'] + 1}, batch {progress['batch']}")
    while progress["epoch"] < cfg.epochs:
        if out_of_patience(progress, cfg.patience):  # checked here, so that a resumed run counts earlier epochs
            log(f"no better validation {cfg.keep_best} for {cfg.patience} epochs; stopping early")
            break
        epoch = progress["epoch"] + 1
        done = Progress()
        batches = itertools.islice(epoch_batches(train, cfg, epoch, unlabelled), progress["batch"], None)
        with StopRequests() as stop:
            try:
                stats = run_epoch(model, batches, device, optimizer, scheduler, cfg.clip, cfg.amp,
                                  total=steps - progress["batch"], desc=f"epoch {epoch}", progress=done,
                                  objective=objective, stop=stop)
            except BaseException:
                if not stop.requested:  # an error (after a second signal, the last checkpoint stays as it is)
                    save_interrupted(state_dir, model, optimizer, scheduler, progress, done, epoch, log)
                raise
        if stop.requested:
            save_interrupted(state_dir, model, optimizer, scheduler, progress, done, epoch, log)
            raise KeyboardInterrupt(stop.requested)
        val = evaluate(model, valid, device, desc="validation")
        row = {"epoch": epoch, "train_loss": stats.loss, "train_accuracy": stats.accuracy,
               "valid_loss": val.loss, "valid_accuracy": val.accuracy, "seconds": stats.seconds,
               "tokens_per_second": stats.tokens_per_second}
        if progress["batch"]:  # a resumed epoch: its train figures cover only the batches run after resuming
            row["resumed_at_batch"] = progress["batch"]
        progress["history"].append(row)
        score = [val.loss] if cfg.keep_best == "loss" else [-val.accuracy, val.loss]  # lower is better
        improved = progress["best_score"] is None or score < progress["best_score"]
        if improved:
            progress["best_score"], progress["best_epoch"] = score, epoch
            checkpoint.save(state_dir / "best", model, optimizer, scheduler, progress)
        progress["epoch"], progress["batch"] = epoch, 0
        checkpoint.save(state_dir / "last", model, optimizer, scheduler, progress)
        log(f"epoch {epoch:2d} | train loss {stats.loss:.4f} acc {stats.accuracy:.4f} | valid loss {val.loss:.4f} "
            f"acc {val.accuracy:.4f} | {stats.tokens_per_second:,.0f} tokens/s | {stats.seconds:.0f} s"
            + (" *" if improved else ""))
    checkpoint.load_weights(state_dir / "best", model)
    return progress


def out_of_patience(progress: dict, patience: int) -> bool:
    """Whether `patience` epochs (0: no limit) have passed since the best one, by the run's saved progress."""
    best = progress["best_epoch"]
    return bool(patience) and best is not None and progress["epoch"] - best >= patience
