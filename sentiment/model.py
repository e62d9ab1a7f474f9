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


def real_tokens(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(B, T) True at the real tokens of a (B, T, ...) batch, False at its padding."""
    return torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None].to(x.device)


class BiLSTMClassifier(nn.Module, PyTorchModelHubMixin, library_name="imdb-bilstm",
                       tags=["sentiment-analysis", "text-classification", "imdb", "lstm"], license="mit"):
    """Embedding -> bidirectional LSTM (padding kept out of its states) -> pooling -> one logit."""

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
        self._shells: dict[int, nn.LSTM] = {}  # see _one_way; not submodules, so not in the state dict

    def token_states(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The top layer's output at every token, forward half then backward half; zeros at padding."""
        return self.states_from_embeddings(self.embedding(ids), lengths)  # (B, T, 2H)

    def states_from_embeddings(self, embedded: torch.Tensor, lengths: torch.Tensor,
                               separate_directions: bool = False) -> torch.Tensor:
        """(B, T, E) embeddings -> (B, T, 2H) top-layer outputs; gradient methods start here.

        `separate_directions`: the forward stack reads only forward states and the backward stack only backward
        ones, so that the forward half at token t has seen tokens up to t only (language-model pretraining).
        """
        embedded = self.dropout(embedded)
        if embedded.is_cuda and not separate_directions:  # cuDNN runs packed sequences fast
            packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, _ = self.lstm(packed)
            states, _ = pad_packed_sequence(out, batch_first=True, total_length=embedded.shape[1])  # (B, T, 2H)
            return states
        return self._states_right_padded(embedded, lengths, separate_directions)

    def _states_right_padded(self, x: torch.Tensor, lengths: torch.Tensor,
                             separate_directions: bool = False) -> torch.Tensor:
        """The packed result, computed without packing (PyTorch's CPU LSTM is 3-30x slower on packed batches).

        Each direction of each layer runs as a one-way LSTM over a right-padded batch, the backward one over
        each review reversed within its length, so padding only ever comes after a review's real tokens and
        cannot change their states. Same weights, same state dict as the packed path. With
        `separate_directions`, layers above the first see zeros in place of the other direction's half.
        """
        B, T, _ = x.shape
        H, lstm = self.config.hidden_size, self.lstm
        steps = torch.arange(T, device=x.device)[None, :]  # (1, T)
        lengths = lengths.to(x.device)[:, None]  # (B, 1)
        real = steps < lengths  # (B, T)
        reverse = torch.where(real, lengths - 1 - steps, steps)[..., None]  # (B, T, 1): flips each real prefix
        out = x
        for layer in range(lstm.num_layers):
            if layer:
                out = nn.functional.dropout(out, lstm.dropout, self.training)
            forward_in = backward_in = out
            if layer and separate_directions:
                zeros = torch.zeros_like(out[..., :H])
                forward_in, backward_in = torch.cat([out[..., :H], zeros], 2), torch.cat([zeros, out[..., H:]], 2)
            forward = self._one_way(forward_in, layer, "")  # (B, T, H)
            backward = self._one_way(backward_in.gather(1, reverse.expand_as(backward_in)), layer, "_reverse")
            out = torch.cat([forward, backward.gather(1, reverse.expand(B, T, H))], dim=2)  # (B, T, 2H)
        return out * real[..., None]  # zeros at padding, as pad_packed_sequence gives

    def _one_way(self, x: torch.Tensor, layer: int, suffix: str) -> torch.Tensor:
        """One direction of one layer of self.lstm, as a one-layer, one-way LSTM over (B, T, in)."""
        size = x.shape[2]  # one shell LSTM per input size; its own weights are never used
        if size not in self._shells:  # on the meta device: no memory, and no draw from the random generator
            self._shells[size] = nn.LSTM(size, self.config.hidden_size, batch_first=True, device="meta")
        shell = self._shells[size]
        weights = {f"{n}_l0": getattr(self.lstm, f"{n}_l{layer}{suffix}")
                   for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        return torch.func.functional_call(shell, weights, (x,))[0]

    def pool(self, states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T, 2H) -> (B, F): last states, or max / mean / both over the real tokens."""
        H = self.config.hidden_size
        lengths = lengths.to(states.device)
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

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T) token ids and (B,) lengths -> (B,) logits of P(positive)."""
        features = self.pool(self.token_states(ids, lengths), lengths)  # (B, F)
        return self.fc(self.dropout(features)).squeeze(1)  # (B,)
