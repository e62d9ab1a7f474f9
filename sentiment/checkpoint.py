"""Resumable training checkpoints: model, optimizer, schedule and RNG state in safetensors + JSON, no pickle."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file


def rng_state() -> dict[str, torch.Tensor]:
    state = {"rng.cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["rng.cuda"] = torch.cuda.get_rng_state()
    return state


def save(folder: str | Path, model, optimizer, scheduler, progress: dict, rng: dict | None = None) -> None:
    """Write atomically: a crash while saving leaves the previous checkpoint intact.

    `rng`: the random state to store (default: the current one).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().contiguous() for k, v in model.state_dict().items()}
    opt = optimizer.state_dict()
    for idx, state in opt["state"].items():
        for name, value in state.items():
            tensors[f"optim.{idx}.{name}"] = torch.as_tensor(value).contiguous()
    tensors.update(rng or rng_state())
    tensors = {k: v.cpu() for k, v in tensors.items()}
    meta = {"progress": progress, "param_groups": opt["param_groups"],
            "scheduler": scheduler.state_dict() if scheduler is not None else None}
    save_file(tensors, str(folder / "state.safetensors.tmp"))
    (folder / "state.json.tmp").write_text(json.dumps(meta, indent=2))
    os.replace(folder / "state.safetensors.tmp", folder / "state.safetensors")
    os.replace(folder / "state.json.tmp", folder / "state.json")


def exists(folder: str | Path) -> bool:
    return (Path(folder) / "state.json").is_file() and (Path(folder) / "state.safetensors").is_file()


def load(folder: str | Path, model, optimizer, scheduler, device) -> dict:
    """Restore everything `save` wrote; returns the progress dict."""
    folder = Path(folder)
    tensors = load_file(str(folder / "state.safetensors"))
    meta = json.loads((folder / "state.json").read_text())
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


def load_weights(folder: str | Path, model) -> None:
    """Only the model's weights from a checkpoint (the best epoch's, at the end of training)."""
    _load_model(load_file(str(Path(folder) / "state.safetensors")), model)


def _load_model(tensors: dict, model) -> None:
    model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
