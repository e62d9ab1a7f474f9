"""Pretraining the classifier's embedding and LSTM as two language models on unlabelled reviews, before `fit`.

The forward LSTM learns to predict each next word and the backward LSTM each previous word (as in ELMo, Peters
et al. 2018; Dai and Le 2015 pretrained LSTMs on IMDB's unlabelled reviews the same way). While pretraining, a
layer above the first reads only its own direction's states (`separate_directions`), so neither stack ever sees
the word it predicts. `join_directions` then zeroes the weights that read the other direction, so that the
classifier starts fine-tuning computing exactly the pretrained stacks and learns from there how to mix them.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import torch
from torch import nn

from . import checkpoint
from .batching import Dataset, to_device
from .config import TrainConfig
from .model import BiLSTMClassifier
from .training import Step, make_optimizer, run_epoch


class BiLM(nn.Module):
    """A classifier's embedding and LSTM (shared, not copied) with a next-word and a previous-word output layer.

    The output layers are adaptive softmaxes (Grave et al. 2017): exact log-probabilities over the whole
    vocabulary, computed cluster by cluster of frequency (vocabulary ids are in frequency order), so that most
    words cost a 2,000-way softmax instead of a 25,000-way one, in time and in memory.
    """

    def __init__(self, encoder: BiLSTMClassifier):
        super().__init__()
        self.encoder = encoder
        H, V = encoder.config.hidden_size, encoder.config.vocab_size
        cutoffs = [c for c in (2_000, 10_000) if c < V - 1] or [V // 2]
        self.next_word = nn.AdaptiveLogSoftmaxWithLoss(H, V, cutoffs, div_value=4.0)  # reads the forward states
        self.previous_word = nn.AdaptiveLogSoftmaxWithLoss(H, V, cutoffs, div_value=4.0)  # the backward states


def predict_words(lm: BiLM, batch) -> Step:
    """The objective for run_epoch: cross-entropy of every next word (forward) and previous word (backward).

    Its `correct` is 0: the most likely word would need the full softmax, which the adaptive one avoids.
    """
    encoder = lm.encoder
    H = encoder.config.hidden_size
    ids, lengths = batch.ids, batch.lengths.cpu()
    states = encoder.states_from_embeddings(encoder.embed(ids), lengths, separate_directions=True)
    states = encoder.dropout(states)  # (B, T, 2H)
    # Position t < length - 1 has a next word (t + 1); position t + 1 has that previous word (t). The pairs are
    # listed on the CPU from the lengths, so that selecting them on a GPU needs no wait for it.
    pairs = torch.arange(ids.shape[1] - 1)[None, :] < (lengths[:, None] - 1)  # (B, T-1)
    n = int(pairs.sum())
    if n == 0:  # only one-word reviews
        return Step(states.sum() * 0, 0, 0)
    rows, cols = (to_device(i, ids.device) for i in pairs.nonzero(as_tuple=True))  # (N,) each, row by row
    forward = lm.next_word(states[rows, cols, :H].float(), ids[rows, cols + 1])  # mean loss over N next words
    backward = lm.previous_word(states[rows, cols + 1, H:].float(), ids[rows, cols])  # ... N previous words
    return Step((forward.loss + backward.loss) * n, 0, 2 * n)


@torch.no_grad()
def join_directions(model: BiLSTMClassifier) -> None:
    """Zero the input weights by which layers above the first read the other direction's states."""
    H = model.config.hidden_size
    for layer in range(1, model.config.num_layers):
        getattr(model.lstm, f"weight_ih_l{layer}")[:, H:] = 0  # forward reads [forward, backward]
        getattr(model.lstm, f"weight_ih_l{layer}_reverse")[:, :H] = 0


@contextlib.contextmanager
def dropout_rate(model: BiLSTMClassifier, p: float):
    """Run with every dropout of the model at rate p (embeddings, between layers, outputs), then restore it."""
    saved = model.dropout.p, model.lstm.dropout
    model.dropout.p, model.lstm.dropout = p, p if model.config.num_layers > 1 else 0.0
    try:
        yield
    finally:
        model.dropout.p, model.lstm.dropout = saved


def pretrain(model: BiLSTMClassifier, texts: Dataset, valid: Dataset, cfg: TrainConfig, device: torch.device,
             state_dir: str | Path, resume: bool = False, log=print) -> list[dict]:
    """cfg.lm.epochs of language modelling on `texts`, scored on `valid`; leaves `model` ready to fine-tune.

    A checkpoint is written after every epoch; `resume=True` continues after the last finished one.
    Returns one row per epoch (losses are per predicted word; perplexity is exp(loss)).
    """
    state_dir = Path(state_dir)
    lm = BiLM(model).to(device)
    steps = texts.num_batches(cfg.lm.batch_size)
    optimizer, scheduler = make_optimizer(lm, cfg.lm.lr, cfg.lr_schedule, cfg.lm.epochs * steps)
    progress = {"epoch": 0, "history": []}
    if resume and checkpoint.exists(state_dir):
        progress = checkpoint.load(state_dir, lm, optimizer, scheduler, device)
        log(f"language model: resumed after epoch {progress['epoch']}")
    with dropout_rate(model, cfg.lm.dropout):
        while progress["epoch"] < cfg.lm.epochs:
            epoch = progress["epoch"] + 1
            batches = texts.batches(cfg.lm.batch_size, shuffle=True, seed=cfg.seed * 1000 + 500 + epoch)
            stats = run_epoch(lm, batches, device, optimizer, scheduler, cfg.clip, cfg.amp, total=steps,
                              desc=f"LM epoch {epoch}", objective=predict_words)
            val = run_epoch(lm, valid.batches(cfg.lm.batch_size, shuffle=False), device, desc="LM validation",
                            objective=predict_words)
            row = {"epoch": epoch, "train_loss": stats.loss, "valid_loss": val.loss,
                   "valid_perplexity": math.exp(val.loss),
                   "reviews": stats.examples, "tokens": stats.tokens, "seconds": stats.seconds,
                   "tokens_per_second": stats.tokens_per_second}
            progress = {"epoch": epoch, "history": progress["history"] + [row]}
            checkpoint.save(state_dir, lm, optimizer, scheduler, progress)
            log(f"LM epoch {epoch} | train loss {stats.loss:.3f} | valid loss {val.loss:.3f}, perplexity "
                f"{row['valid_perplexity']:.1f} | {stats.tokens_per_second:,.0f} tokens/s | {stats.seconds:.0f} s")
    join_directions(model)
    model.lstm.flatten_parameters()  # on CUDA: one weight buffer again for cuDNN (the one-way runs split it)
    return progress["history"]
