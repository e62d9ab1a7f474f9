"""The BiLSTM classifier; its config and weights travel together through huggingface_hub's mixin."""

# No `from __future__ import annotations` here: the Hub mixin reads `config: ModelConfig` to rebuild the dataclass.
from dataclasses import dataclass

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

POOLINGS = ("last", "max", "mean", "max+mean")


@dataclass
class ModelConfig:
    """Everything needed to rebuild the model and feed it text; saved as config.json beside the weights."""

    vocab_size: int = 10_002
    embedding_dim: int = 100
    hidden_size: int = 256
    num_layers: int = 2
    dropout: float = 0.5  # on embeddings, between LSTM layers, and before the output layer
    pooling: str = "last"  # how the top layer's per-token outputs become one feature vector
    pad_id: int = 1
    lowercase: bool = True  # tokenizer setting the model was trained with
    max_tokens: int = 0  # 0: no truncation
    truncate: str = "head"  # which tokens a long review keeps: head, tail or head+tail

    @property
    def num_features(self) -> int:
        return 4 * self.hidden_size if self.pooling == "max+mean" else 2 * self.hidden_size


class BiLSTMClassifier(nn.Module, PyTorchModelHubMixin, library_name="imdb-bilstm",
                       tags=["sentiment-analysis", "text-classification", "imdb", "lstm"], license="mit"):
    """Embedding -> bidirectional LSTM (packed, so padding never enters it) -> pooling -> one logit."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        if config.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {config.pooling!r}.")
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=config.pad_id)
        self.lstm = nn.LSTM(config.embedding_dim, config.hidden_size, num_layers=config.num_layers,
                            bidirectional=True, batch_first=True,
                            dropout=config.dropout if config.num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(config.dropout)
        self.fc = nn.Linear(config.num_features, 1)

    def token_states(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The top layer's output at every token, forward half then backward half; zeros at padding."""
        embedded = self.dropout(self.embedding(ids))  # (B, T, E)
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        states, _ = pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])  # (B, T, 2H)
        return states

    def pool(self, states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T, 2H) -> (B, F): last states, or max / mean / both over the real tokens."""
        H = self.config.hidden_size
        lengths = lengths.to(states.device)
        if self.config.pooling == "last":
            rows = torch.arange(states.shape[0], device=states.device)
            forward_last = states[rows, lengths - 1, :H]  # (B, H): forward LSTM after the last token
            backward_first = states[:, 0, H:]  # (B, H): backward LSTM after reading back to the first token
            return torch.cat([forward_last, backward_first], dim=1)  # (B, 2H)
        mask = (torch.arange(states.shape[1], device=states.device)[None, :] < lengths[:, None])[..., None]  # (B, T, 1)
        pooled = []
        if "max" in self.config.pooling:
            pooled.append(states.masked_fill(~mask, float("-inf")).amax(dim=1))  # (B, 2H)
        if "mean" in self.config.pooling:
            pooled.append(states.sum(dim=1) / lengths[:, None].to(states.dtype))  # (B, 2H); padding is zero
        return torch.cat(pooled, dim=1)  # (B, F)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T) token ids and (B,) lengths -> (B,) logits of P(positive)."""
        features = self.pool(self.token_states(ids, lengths), lengths)  # (B, F)
        return self.fc(self.dropout(features)).squeeze(1)  # (B,)
