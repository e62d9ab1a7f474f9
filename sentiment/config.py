"""Training configuration and the named presets (`seed`: the tutorial's recipe; `default`: the shipped model's)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from .errors import SettingsError
from .model import ModelConfig

SCHEDULES = ("constant", "cosine")
VALID_SPLITS = ("review", "movie")
KEEP_BEST = ("loss", "accuracy")


@dataclass
class LMConfig:
    """Language-model pretraining on the training part and the unlabelled reviews, before fine-tuning (lm.py)."""

    epochs: int = 0  # 0: none
    lr: float = 2e-3
    batch_size: int = 256
    dropout: float = 0.1  # in place of the model's dropout while pretraining
    max_tokens: int = 400  # each review's first tokens


@dataclass
class AdversarialConfig:
    """Adversarial (AT) and virtual adversarial (VAT) training on the word embeddings (Miyato, Dai and Goodfellow,
    ICLR 2017; adversarial.py). Each perturbation has L2 norm epsilon over a review's whole embedding sequence."""

    at_epsilon: float = 0.0  # AT: the perturbation in the direction that raises the loss most; 0: no AT
    vat_epsilon: float = 0.0  # VAT: the one that changes the prediction most (one power iteration); 0: no VAT
    vat_xi: float = 0.1  # the power iteration's small first step
    unlabelled_batch_size: int = 0  # VAT (and entropy) also on this many unlabelled reviews per step; 0: none
    entropy_weight: float = 0.0  # entropy minimisation on the unlabelled reviews (Sachan et al. 2019); 0: none

    @property
    def active(self) -> bool:
        return bool(self.at_epsilon or self.vat_epsilon or self.entropy_weight)


@dataclass
class DistillConfig:
    """Distillation (distill.py): the teachers' mean probability on the unlabelled reviews as a soft target, on the
    adversarial.unlabelled_batch_size unlabelled reviews that travel with each batch."""

    teachers: list[str] = field(default_factory=list)  # model folders (or Hub repo ids) written by train.py; []: none
    weight: float = 1.0  # of the soft-target cross-entropy, per unlabelled review, against the labelled loss


@dataclass
class TrainConfig:
    """How a model is trained; stored in metrics.json beside the weights."""

    model: ModelConfig = field(default_factory=ModelConfig)  # its vocab_size is set from the vocabulary built
    lm: LMConfig = field(default_factory=LMConfig)
    adversarial: AdversarialConfig = field(default_factory=AdversarialConfig)
    distill: DistillConfig = field(default_factory=DistillConfig)
    max_words: int = 10_000  # vocabulary: the most frequent training words, not counting <unk> and <pad>
    batch_size: int = 30
    epochs: int = 10
    lr: float = 1e-3
    lr_schedule: str = "constant"  # constant, or cosine (decay to 0 over all epochs)
    clip: float = 0.0  # max gradient norm; 0: no clipping
    keep_best: str = "loss"  # the epoch kept: the best by validation loss, or by validation accuracy
    patience: int = 0  # stop after this many epochs without a better validation score (keep_best); 0: never
    valid_fraction: float = 0.1
    valid_split: str = "review"  # review: reviews drawn one by one; movie: whole movies, none on both sides
    train_limit: int = 0  # train (and pretrain) on this many reviews drawn with the seed; 0: all
    # counterfactual substitution: the share of training reviews naming an identity (religion, nationality, race,
    # sexuality) whose identity words are swapped for others of their group (augment.py); 0: none
    identity_substitution: float = 0.0
    # sentences as extra training examples: for this share of the training reviews, one of their sentences (4 to 40
    # tokens, drawn with the seed) is added, labelled as its review (augment.py); 0: none
    sentence_share: float = 0.0
    # training reviews (labelled and unlabelled) cut to this many tokens, fewer than the model reads (model.max_tokens:
    # at validation, test and in the app); 0: model.max_tokens
    train_max_tokens: int = 0
    seed: int = 123
    # the validation split's own seed, so that models of several seeds can share one validation set (to compare or
    # ensemble them); None: the seed
    split_seed: int | None = None
    amp: bool = False  # bfloat16 autocast on CUDA
    # on CUDA, both directions of each LSTM layer as one LSTM of twice the hidden size (packing.py): half the kernel
    # launches per time step, the same states up to rounding; between layers, dropout drawn otherwise than cuDNN's
    fuse_directions: bool = False

    @property
    def training_cut(self) -> ModelConfig:
        """The model's settings with the training reviews' length (train_max_tokens) in place of the one it reads."""
        return replace(self.model, max_tokens=self.train_max_tokens) if self.train_max_tokens else self.model

    @property
    def valid_seed(self) -> int:
        """The seed that draws the validation split."""
        return self.seed if self.split_seed is None else self.split_seed

    def __post_init__(self):
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1, not {getattr(self, name)}.")
        if self.lr_schedule not in SCHEDULES:
            raise SettingsError(f"lr_schedule must be one of {SCHEDULES}, not {self.lr_schedule!r}.")
        if self.keep_best not in KEEP_BEST:
            raise SettingsError(f"keep_best must be one of {KEEP_BEST}, not {self.keep_best!r}.")
        if self.valid_split not in VALID_SPLITS:
            raise SettingsError(f"valid_split must be one of {VALID_SPLITS}, not {self.valid_split!r}.")
        adv = self.adversarial
        for name in ("at_epsilon", "vat_epsilon", "vat_xi", "unlabelled_batch_size", "entropy_weight"):
            if getattr(adv, name) < 0:
                raise SettingsError(f"adversarial.{name} must not be negative, not {getattr(adv, name)}.")
        if adv.entropy_weight and not adv.unlabelled_batch_size:
            raise SettingsError("entropy_weight works on the unlabelled reviews: set unlabelled_batch_size too.")
        if self.distill.weight < 0:
            raise SettingsError(f"distill.weight must not be negative, not {self.distill.weight}.")
        if self.distill.teachers and not adv.unlabelled_batch_size:
            raise SettingsError("distillation works on the unlabelled reviews: set unlabelled_batch_size too.")
        for name in ("identity_substitution", "sentence_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise SettingsError(f"{name} is a share, from 0 to 1, not {getattr(self, name)}.")
        if self.train_max_tokens < 0 or (self.train_max_tokens and 0 < self.model.max_tokens < self.train_max_tokens):
            raise SettingsError(f"train_max_tokens must be from 0 to model.max_tokens ({self.model.max_tokens}), not "
                                f"{self.train_max_tokens}: a model does not learn from tokens it never reads.")
        if not 0 < self.valid_fraction < 1:
            raise SettingsError(f"valid_fraction must be between 0 and 1, not {self.valid_fraction}.")


PRESETS = {
    # The tutorial's recipe exactly (its defects fixed: markup removed, packed sequences, validation split).
    "seed": TrainConfig(),
    # The shipped model's recipe (the README's results say how it was chosen).
    "default": TrainConfig(
        model=ModelConfig(pooling="max+mean", num_layers=1, hidden_size=256, dropout=0.5,
                          max_tokens=800, truncate="head+tail", normalize_embeddings=True),
        adversarial=AdversarialConfig(at_epsilon=5.0),
        max_words=25_000, batch_size=64, epochs=4, lr=2e-3, lr_schedule="cosine", clip=5.0, patience=0,
        keep_best="accuracy", valid_split="movie"),
}


def preset(name: str, *, model: dict | None = None, lm: dict | None = None, adversarial: dict | None = None,
           distill: dict | None = None, **train) -> TrainConfig:
    """A preset with some settings replaced: `model`, `lm`, `adversarial` and `distill` hold those of ModelConfig,
    LMConfig, AdversarialConfig and DistillConfig, the keyword arguments those of TrainConfig (e.g.
    `preset("seed", model={"pooling": "max"}, epochs=3)`)."""
    if name not in PRESETS:
        raise SettingsError(f"Unknown preset {name!r}; choose from {sorted(PRESETS)}.")
    base = PRESETS[name]
    return replace(base, model=replace(base.model, **(model or {})), lm=replace(base.lm, **(lm or {})),
                   adversarial=replace(base.adversarial, **(adversarial or {})),
                   distill=replace(base.distill, **(distill or {})), **train)


def with_new_settings(saved: dict) -> dict:
    """A TrainConfig stored (as a dict) before some settings existed, with those set to their defaults, under which
    a recipe trains as it did before they were added."""
    def fill(stored: dict, defaults: dict) -> dict:
        return {**defaults, **{k: fill(v, defaults[k]) if isinstance(v, dict) and isinstance(defaults.get(k), dict)
                               else v for k, v in stored.items()}}
    return fill(saved, asdict(TrainConfig()))
