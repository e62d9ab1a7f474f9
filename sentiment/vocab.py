"""The vocabulary: the most frequent training tokens plus `<unk>` and `<pad>`, saved as JSON beside the weights."""

from __future__ import annotations

import json
from pathlib import Path

UNK, PAD = "<unk>", "<pad>"


class Vocab:
    """Maps tokens to ids; id 0 is `<unk>`, id 1 is `<pad>`, then tokens by falling frequency."""

    unk_id, pad_id = 0, 1

    def __init__(self, itos: list[str]):
        if itos[:2] != [UNK, PAD]:
            raise ValueError("A vocabulary must start with '<unk>', '<pad>'.")
        self.itos = list(itos)
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: list[str]) -> list[int]:
        return [self.stoi.get(t, self.unk_id) for t in tokens]

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.itos, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "Vocab":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))
