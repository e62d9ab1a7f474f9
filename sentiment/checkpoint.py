"""Resumable training checkpoints: model, optimizer, schedule and RNG state in one safetensors file, no pickle."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from .errors import SettingsError

FILE = "state.safetensors"  # tensors, with the progress and optimizer settings as JSON in its header


def rng_state() -> dict[str, torch.Tensor]:
    state = {"rng.cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["rng.cuda"] = torch.cuda.get_rng_state()
    return state


def save(folder: str | Path, model, optimizer, scheduler, progress: dict, rng: dict | None = None) -> None:
    """Write atomically: everything goes into one file, written beside the old one and then renamed over it, so
    that a crash while saving leaves the previous checkpoint whole (weights and progress always belong together).

    `rng`: the random state to store (default: the current one).
    """
    tensors = {f"model.{k}": v.detach().contiguous() for k, v in model.state_dict().items()}
    opt = optimizer.state_dict()
    for idx, state in opt["state"].items():
        for name, value in state.items():
            tensors[f"optim.{idx}.{name}"] = torch.as_tensor(value).contiguous()
    tensors.update(rng or rng_state())
    tensors = {k: v.cpu() for k, v in tensors.items()}
    meta = {"progress": progress, "param_groups": opt["param_groups"],
            "scheduler": scheduler.state_dict() if scheduler is not None else None}
    write_atomically(Path(folder) / FILE, tensors, metadata={"meta": json.dumps(meta)})


def write_atomically(path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict | None = None) -> None:
    """A safetensors file written beside `path` and then renamed over it: a crash leaves the old file whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path) + ".tmp", metadata=metadata)
    os.replace(str(path) + ".tmp", path)


def exists(folder: str | Path) -> bool:
    return (Path(folder) / FILE).is_file()


def read_progress(folder: str | Path) -> dict:
    """The progress dict of a checkpoint, without loading its tensors."""
    return _meta(Path(folder) / FILE)["progress"]


def load(folder: str | Path, model, optimizer, scheduler, device) -> dict:
    """Restore everything `save` wrote; returns the progress dict."""
    path = Path(folder) / FILE
    meta, tensors = _meta(path), load_file(str(path))
    _load_model(tensors, model)
    state: dict = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = value.to(device) if name != "step" else value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    if scheduler is not None and meta["scheduler"] is not None:
        scheduler.load_state_dict(meta["scheduler"])
    torch.set_rng_state(tensors["rng.cpu"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    return meta["progress"]


def _meta(path: Path) -> dict:
    with safe_open(str(path), "pt") as f:
        meta = f.metadata() or {}
    if "meta" not in meta:  # earlier versions kept the progress in a state.json beside the tensors
        raise SettingsError(f"{path} was written by an earlier version of this project and cannot be resumed; "
                            "start afresh.")
    return json.loads(meta["meta"])


def load_weights(folder: str | Path, model) -> None:
    """Only the model's weights from a checkpoint (the best epoch's, at the end of training)."""
    _load_model(load_file(str(Path(folder) / FILE)), model)


def _load_model(tensors: dict, model) -> None:
    model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
