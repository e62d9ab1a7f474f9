"""The BiLSTM classifier; its config and weights travel together through huggingface_hub's mixin."""

# No `from __future__ import annotations` here: the Hub mixin reads `config: ModelConfig` to rebuild the dataclass.
from dataclasses import dataclass

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from .batching import to_device
from .cpu_lstm import right_padded_states
from .packing import fused_packed_states, packed_states

POOLINGS = ("last", "max", "mean", "max+mean")


@dataclass
class ModelConfig:
    """Everything needed to rebuild the model and feed it text; saved as config.json beside the weights."""

    vocab_size: int | None = None  # rows of the embedding: the vocabulary's size, set from the vocabulary built
    embedding_dim: int = 100
    hidden_size: int = 256
    num_layers: int = 2
    dropout: float = 0.5  # on embeddings, between LSTM layers, and before the output layer
    pooling: str = "last"  # how the top layer's per-token outputs become one feature vector
    pad_id: int = 1
    lowercase: bool = True  # tokenizer setting the model was trained with
    max_tokens: int = 0  # 0: no truncation
    truncate: str = "head"  # which tokens a long review keeps: head, tail or head+tail
    normalize_embeddings: bool = False  # word vectors scaled to mean 0, variance 1 over the training words' frequencies

    @property
    def num_features(self) -> int:
        return 4 * self.hidden_size if self.pooling == "max+mean" else 2 * self.hidden_size


def real_tokens(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(B, T) True at the real tokens of a (B, T, ...) batch, False at its padding."""
    return torch.arange(x.shape[1], device=x.device)[None, :] < to_device(lengths, x.device)[:, None]


class BiLSTMClassifier(nn.Module, PyTorchModelHubMixin, library_name="imdb-bilstm",
                       tags=["sentiment-analysis", "text-classification", "imdb", "lstm"], license="mit"):
    """Embedding -> bidirectional LSTM (padding kept out of its states) -> pooling -> one logit."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        if config.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {config.pooling!r}.")
        if config.vocab_size is None:
            raise ValueError("ModelConfig.vocab_size is not set: it is the size of the vocabulary the model reads.")
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=config.pad_id)
        self.lstm = nn.LSTM(config.embedding_dim, config.hidden_size, num_layers=config.num_layers,
                            bidirectional=True, batch_first=True,
                            dropout=config.dropout if config.num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(config.dropout)
        self.fc = nn.Linear(config.num_features, 1)
        if config.normalize_embeddings:  # how often each word occurs in training, the weights of the statistics
            self.register_buffer("word_frequencies", torch.ones(config.vocab_size))
        self._statistics = None  # (what they were computed from, (mean, std)): see embedding_statistics
        # how the packed path runs the LSTM: as nn.LSTM does, or both directions in one LSTM (packing.py); the same
        # weights and states either way, so this is not part of the config
        self.fused_directions = False

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) ids -> (B, T, E) word vectors, normalised as Miyato et al. (2017) do for adversarial training when
        the config asks: v' = (v - E[v]) / sqrt(Var[v]), mean and variance over the vocabulary weighted by each
        word's training frequency, so that the model cannot make a perturbation of fixed norm small by growing its
        embeddings."""
        vectors = self.embedding(ids)
        if not self.config.normalize_embeddings:
            return vectors
        mean, std = self.embedding_statistics()
        return (vectors - mean) / std

    def embedding_statistics(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(E,) the frequency-weighted mean and standard deviation of the word vectors. Without gradients they are
        kept until the weights or frequencies change (in place, as an optimizer step does): over the whole
        vocabulary they cost more than the rest of a short review's forward pass."""
        weights, frequencies = self.embedding.weight, self.word_frequencies
        key = (weights.data_ptr(), weights._version, frequencies.data_ptr(), frequencies._version)
        if not torch.is_grad_enabled() and self._statistics is not None and self._statistics[0] == key:
            return self._statistics[1]
        share = (frequencies / frequencies.sum())[:, None]  # (V, 1)
        mean = (share * weights).sum(0)
        std = torch.sqrt((share * (weights - mean) ** 2).sum(0) + 1e-6)
        if not torch.is_grad_enabled():
            self._statistics = (key, (mean, std))
        return mean, std

    def token_states(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The top layer's output at every token, forward half then backward half; zeros at padding."""
        return self.states_from_embeddings(self.embed(ids), lengths)  # (B, T, 2H)

    def states_from_embeddings(self, embedded: torch.Tensor, lengths: torch.Tensor,
                               separate_directions: bool = False, packed: bool | None = None) -> torch.Tensor:
        """(B, T, E) embeddings -> (B, T, 2H) top-layer outputs; gradient methods start here.

        `separate_directions`: the forward stack reads only forward states and the backward stack only backward
        ones, so that the forward half at token t has seen tokens up to t only (language-model pretraining).
        `packed`: run nn.LSTM on packed sequences; by default only on CUDA, where cuDNN runs them fast (both
        ways give the same states); with `fused_directions`, both directions as one LSTM over packed sequences.
        """
        embedded = self.dropout(embedded)
        if packed is None:
            packed = embedded.is_cuda and not separate_directions
        if packed:
            if separate_directions:
                raise ValueError("separate_directions needs the right-padded path, not packed sequences.")
            return (fused_packed_states if self.fused_directions else packed_states)(self.lstm, embedded, lengths)
        return right_padded_states(self.lstm, embedded, lengths, self.training, separate_directions)

    def pool(self, states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T, 2H) -> (B, F): last states, or max / mean / both over the real tokens."""
        H = self.config.hidden_size
        lengths = to_device(lengths, states.device)
        if self.config.pooling == "last":
            rows = torch.arange(states.shape[0], device=states.device)
            forward_last = states[rows, lengths - 1, :H]  # (B, H): forward LSTM after the last token
            backward_first = states[:, 0, H:]  # (B, H): backward LSTM after reading back to the first token
            return torch.cat([forward_last, backward_first], dim=1)  # (B, 2H)
        mask = real_tokens(states, lengths)[..., None]  # (B, T, 1)
        pooled = []
        if "max" in self.config.pooling:
            pooled.append(states.masked_fill(~mask, float("-inf")).amax(dim=1))  # (B, 2H)
        if "mean" in self.config.pooling:
            pooled.append(states.sum(dim=1) / lengths[:, None].to(states.dtype))  # (B, 2H); padding is zero
        return torch.cat(pooled, dim=1)  # (B, F)

    def logits_from_embeddings(self, embedded: torch.Tensor, lengths: torch.Tensor,
                               packed: bool | None = None) -> torch.Tensor:
        """(B, T, E) embeddings and (B,) lengths -> (B,) logits; the model's whole head, for gradient methods."""
        return self.head(self.pool(self.states_from_embeddings(embedded, lengths, packed=packed), lengths))

    def head(self, features: torch.Tensor) -> torch.Tensor:
        """(B, F) pooled features -> (B,) logits: dropout (in training) and the output layer."""
        return self.fc(self.dropout(features)).squeeze(1)  # (B,)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, packed: bool | None = None) -> torch.Tensor:
        """(B, T) token ids and (B,) lengths -> (B,) logits of P(positive)."""
        return self.logits_from_embeddings(self.embed(ids), lengths, packed)  # (B,)
