"""Training configuration and the named presets (`seed`: the tutorial's recipe; `default`: the shipped model's)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from .model import ModelConfig


@dataclass
class TrainConfig:
    """How a model is trained; stored in metrics.json beside the weights."""

    model: ModelConfig = field(default_factory=ModelConfig)
    vocab_size: int = 10_000  # words, not counting <unk> and <pad>
    batch_size: int = 30
    epochs: int = 10
    lr: float = 1e-3
    weight_decay: float = 0.0
    lr_schedule: str = "constant"  # constant, or cosine (decay to 0 over all epochs)
    clip: float = 0.0  # max gradient norm; 0: no clipping
    patience: int = 0  # stop after this many epochs without a better validation loss; 0: never
    valid_fraction: float = 0.1
    seed: int = 123
    amp: bool = False  # bfloat16 autocast on CUDA
    freeze_embeddings: bool = False
    # Language-model pretraining on the training part and the unlabelled reviews, before fine-tuning (lm.py).
    lm_epochs: int = 0  # 0: none
    lm_lr: float = 2e-3
    lm_batch_size: int = 256
    lm_dropout: float = 0.1  # in place of the model's dropout while pretraining
    lm_max_tokens: int = 400  # each review's first tokens


PRESETS = {
    # The tutorial's recipe exactly (its defects fixed: markup removed, packed sequences, validation split).
    "seed": TrainConfig(),
    # The shipped model's recipe (the README's results say how it was chosen).
    "default": TrainConfig(
        model=ModelConfig(pooling="max+mean", num_layers=2, hidden_size=256, dropout=0.5,
                          max_tokens=800, truncate="head+tail"),
        vocab_size=25_000, batch_size=64, epochs=5, lr=2e-3, weight_decay=0.0, lr_schedule="cosine",
        clip=5.0, patience=0),
}


def preset(name: str, **overrides) -> TrainConfig:
    """A preset with some fields replaced; model fields may be given by name too (e.g. pooling="max")."""
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}; choose from {sorted(PRESETS)}.")
    base = PRESETS[name]
    # A name of both (vocab_size) is the training setting; the model's copy is set from the vocabulary built.
    model_fields = {f.name for f in fields(ModelConfig)} - {f.name for f in fields(TrainConfig)}
    model_over = {k: v for k, v in overrides.items() if k in model_fields and v is not None}
    train_over = {k: v for k, v in overrides.items() if k not in model_fields and v is not None}
    return replace(base, model=replace(base.model, **model_over), **train_over)
