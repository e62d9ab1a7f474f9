"""A "model soup" (Wortsman et al. 2022): one model whose weights are the mean of several trained models' weights.
Models trained from the same initialisation (the same seed and flags) may lie in one basin, where their average is
a single BiLSTM, explained exactly as any, that can score like their ensemble; models of another initialisation
do not, and their average fails. This writes the averaged model's folder (weights, config and vocabulary of the
first model, the ingredients' hashes in metrics.json); `python ensemble.py FIRST SOUP` then compares it with the
first on validation. Every ingredient must have the same architecture, vocabulary and validation split."""

import argparse
import json
import shutil
from dataclasses import replace
from pathlib import Path

import torch

from common import ROOT  # noqa: F401  (puts the project on the path)
from sentiment.classifier import SentimentClassifier, load_model
from sentiment.distill import split_of, validation_split
from sentiment.errors import SettingsError, UserError
from sentiment.folder import weights_sha256


def ingredients(folders: list[str]) -> list[SentimentClassifier]:
    """The models, checked to be averageable: one validation split (read as `--teacher` reads it), one architecture
    (reading length aside: the first model's is kept), one vocabulary."""
    models = [load_model(f) for f in folders]
    first = models[0]
    split = split_of(validation_split(first))
    for folder, clf in zip(folders[1:], models[1:]):
        if split_of(validation_split(clf)) != split:
            raise SettingsError(f"{folder} was validated on another split than {folders[0]}.")
        if replace(clf.config, max_tokens=0) != replace(first.config, max_tokens=0):
            raise SettingsError(f"{folder} has another architecture than {folders[0]}; only like models average.")
        if clf.vocab.itos != first.vocab.itos:
            raise SettingsError(f"{folder} has another vocabulary than {folders[0]}; only like models average.")
    return models


def average(models) -> dict[str, torch.Tensor]:
    """The mean of the models' tensors (in float64, stored in each tensor's own type)."""
    states = [m.state_dict() for m in models]
    return {k: (sum(s[k].double() for s in states) / len(states)).to(v.dtype) for k, v in states[0].items()}


def distance(a: torch.nn.Module, b: torch.nn.Module) -> float:
    """How far apart two models' trained weights are: |a - b| / |a| over the parameters (buffers left out)."""
    pa, pb = {k: v.detach() for k, v in a.named_parameters()}, {k: v.detach() for k, v in b.named_parameters()}
    num = sum(float((pa[k] - pb[k]).double().pow(2).sum()) for k in pa)
    return (num / sum(float(p.double().pow(2).sum()) for p in pa.values())) ** 0.5


def _metrics(folder: Path) -> dict:
    try:
        return json.loads((folder / "metrics.json").read_text())
    except (OSError, ValueError):
        return {}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("models", nargs="+", help="model folders written by train.py; the first gives config and vocab")
    p.add_argument("--out", required=True, help="the averaged model's folder (new, or a soup this wrote before)")
    args = p.parse_args()
    if len(args.models) < 2:
        p.error("a soup needs two models or more")
    out = Path(args.out)
    if out.exists() and not (out.is_dir() and (not any(out.iterdir()) or "soup" in _metrics(out))):
        p.error(f"{out} exists and is not a soup written by soup.py; give a new folder to --out")
    try:
        models = ingredients(args.models)
    except UserError as e:
        raise SystemExit(str(e)) from None
    model, vocab, metrics = models[0].model, models[0].vocab, models[0].metrics
    for folder, clf in zip(args.models[1:], models[1:]):
        print(f"{folder}: its weights lie {distance(model, clf.model):.3f} of {args.models[0]}'s norm away")
    model.load_state_dict(average([clf.model for clf in models]))
    shutil.rmtree(out, ignore_errors=True)
    model.save_pretrained(out)
    vocab.save(out / "vocab.json")
    record = {"config": metrics.get("config", {}),
              "soup": [{"model": f, "sha256": weights_sha256(f)} for f in args.models]}
    (out / "metrics.json").write_text(json.dumps(record, indent=2))
    print(f"wrote {out}: the mean of {len(args.models)} models' weights, sha256 {weights_sha256(out)[:8]}...")


if __name__ == "__main__":
    main()
