"""The model folder, written by training and read by everything else: config.json and model.safetensors (the
Hub mixin's layout), vocab.json, metrics.json and the model card (README.md). This module alone writes, reads and
checks it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file

from . import modelcard
from .errors import ModelLoadError, reason
from .imdb import checksum
from .model import BiLSTMClassifier, ModelConfig
from .vocab import Vocab

FILES = ("config.json", "model.safetensors", "vocab.json", "metrics.json", "README.md")
REQUIRED = FILES[:3]


def save(folder: str | Path, model: BiLSTMClassifier, vocab: Vocab, metrics: dict) -> Path:
    """Write the whole folder; the card is built from `metrics` only."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # The card goes first: save_pretrained only writes its own generic card where none exists.
    (folder / "README.md").write_text(modelcard.render(metrics))
    model.save_pretrained(folder)
    (folder / "model.safetensors").chmod(0o644)  # written as a private temporary file; readable like the others
    vocab.save(folder / "vocab.json")
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return folder


def write_card(folder: str | Path, repo_id: str | None = None) -> None:
    """The card again, from the folder's metrics.json, naming the Hub repo it goes to."""
    folder = Path(folder)
    (folder / "README.md").write_text(modelcard.render(json.loads((folder / "metrics.json").read_text()), repo_id))


def weights_sha256(folder: str | Path) -> str:
    """The hex sha256 of the folder's model.safetensors: which weights a record speaks of, wherever they lie."""
    return checksum(Path(folder) / "model.safetensors")


def load(folder: str | Path) -> tuple[BiLSTMClassifier, Vocab, dict]:
    """The model (CPU, eval mode), its vocabulary and its metrics; ModelLoadError naming the file at fault."""
    folder = Path(folder)
    for name in REQUIRED:
        if not (folder / name).is_file():
            raise ModelLoadError(f"{folder} has no {name}; a model folder holds {', '.join(REQUIRED)}.")
    try:
        model = BiLSTMClassifier(_config(folder / "config.json"))
    except ValueError as e:  # a setting out of range
        raise ModelLoadError(f"{folder / 'config.json'}: {e}") from e
    path = folder / "model.safetensors"
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as e:
        raise ModelLoadError(f"{path} is not a readable safetensors file ({reason(e)}).") from e
    expected = model.state_dict()
    for key, value in expected.items():
        if key not in tensors:
            raise ModelLoadError(f"{path} lacks the tensor {key}; it was not written for this model.")
        if tensors[key].shape != value.shape:
            raise ModelLoadError(f"{path} holds {key} of shape {tuple(tensors[key].shape)}, but "
                                 f"{folder / 'config.json'} asks for {tuple(value.shape)}; the folder mixes files "
                                 "of different models.")
    unexpected = sorted(set(tensors) - set(expected))
    if unexpected:
        raise ModelLoadError(f"{path} holds tensors this model does not have ({', '.join(unexpected[:3])}).")
    model.load_state_dict(tensors)
    try:
        vocab = Vocab.load(folder / "vocab.json")
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelLoadError(f"{folder / 'vocab.json'} is not a vocabulary file: {reason(e)}") from e
    if len(vocab) != model.config.vocab_size:
        raise ModelLoadError(f"{folder / 'vocab.json'} has {len(vocab)} tokens but the model expects "
                             f"{model.config.vocab_size}; the folder mixes files of different models.")
    metrics_path = folder / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    return model.eval(), vocab, metrics


def _config(path: Path) -> ModelConfig:
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelLoadError(f"{path} is not valid JSON ({reason(e)}).") from e
    known = {f.name for f in dataclasses.fields(ModelConfig)}
    if not isinstance(values, dict) or set(values) - known:
        extra = sorted(set(values) - known) if isinstance(values, dict) else []
        raise ModelLoadError(f"{path} is not a model config of this project" +
                             (f" (unknown settings: {', '.join(extra)})." if extra else "."))
    try:
        return ModelConfig(**values)
    except TypeError as e:
        raise ModelLoadError(f"{path} is not a model config of this project ({reason(e)}).") from e
