from pathlib import Path

import numpy as np
import pytest
import torch

from sentiment.model import BiLSTMClassifier, ModelConfig, packed_states


@pytest.mark.parametrize("pooling,features", [("last", 12), ("max", 12), ("mean", 12), ("max+mean", 24)])
def test_shapes(pooling, features):
    model = BiLSTMClassifier(ModelConfig(vocab_size=30, embedding_dim=5, hidden_size=6, pooling=pooling)).eval()
    ids, lengths = torch.randint(2, 30, (3, 7)), torch.tensor([7, 4, 1])
    states = model.token_states(ids, lengths)
    assert states.shape == (3, 7, 12)
    assert torch.all(states[1, 4:] == 0) and torch.all(states[2, 1:] == 0)
    assert model.pool(states, lengths).shape == (3, features)
    assert model(ids, lengths).shape == (3,)


def test_last_pooling_is_the_lstms_final_states():
    """The tutorial's features: the top layer's final forward and backward hidden states, h_n[-2] and h_n[-1]."""
    model = BiLSTMClassifier(ModelConfig(vocab_size=30, embedding_dim=5, hidden_size=6, num_layers=2)).eval()
    ids = torch.randint(2, 30, (1, 9))
    _, (h_n, _) = model.lstm(model.embedding(ids))
    features = model.pool(model.token_states(ids, torch.tensor([9])), torch.tensor([9]))
    assert torch.allclose(features, torch.cat([h_n[-2], h_n[-1]], dim=1), atol=1e-6)


def test_save_and_load_round_trip(tmp_path):
    cfg = ModelConfig(vocab_size=30, embedding_dim=5, hidden_size=6, pooling="max+mean", max_tokens=99)
    model = BiLSTMClassifier(cfg).eval()
    model.save_pretrained(tmp_path)
    loaded = BiLSTMClassifier.from_pretrained(str(tmp_path), strict=True)
    assert loaded.config == cfg
    ids, lengths = torch.randint(2, 30, (2, 5)), torch.tensor([5, 3])
    assert torch.equal(model(ids, lengths), loaded(ids, lengths))


def test_unknown_pooling_is_refused():
    with pytest.raises(ValueError, match="pooling must be one of"):
        BiLSTMClassifier(ModelConfig(pooling="attention"))


@pytest.mark.parametrize("layers", [1, 2])
def test_cpu_path_equals_packed_lstm(layers):
    """The right-padded CPU path gives what nn.LSTM gives on packed sequences, outputs and gradients."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.manual_seed(layers)
    model = BiLSTMClassifier(ModelConfig(vocab_size=30, embedding_dim=5, hidden_size=6, num_layers=layers)).eval()
    ids, lengths = torch.randint(2, 30, (4, 11)), torch.tensor([11, 3, 7, 1])
    emb = model.embedding(ids).detach().requires_grad_(True)
    packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
    reference, _ = pad_packed_sequence(model.lstm(packed)[0], batch_first=True, total_length=11)
    ours = model.states_from_embeddings(emb, lengths)
    assert torch.allclose(ours, reference, atol=1e-6)
    weights = torch.randn_like(ours)  # a different weight per output, so that a misplaced gradient shows
    inputs = [emb, *model.lstm.parameters()]
    grads = [torch.autograd.grad((out * weights).sum(), inputs) for out in (ours, reference)]
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("layers", [1, 2])
def test_packed_states_equal_torchs_packing_to_the_last_bit(layers):
    """packed_states packs by one gather and unpacks by another (packing.py); outputs and gradients are exactly
    those of pack_padded_sequence and pad_packed_sequence, ties in length, a one-token review and padding after the
    longest review included."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.manual_seed(3)
    lstm = torch.nn.LSTM(5, 6, num_layers=layers, bidirectional=True, batch_first=True)
    lengths = torch.tensor([4, 9, 1, 9, 4, 6])
    emb = torch.randn(6, 11, 5, requires_grad=True)
    packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
    reference, _ = pad_packed_sequence(lstm(packed)[0], batch_first=True, total_length=11)
    ours = packed_states(lstm, emb, lengths)
    assert torch.equal(ours, reference)
    weights = torch.randn_like(ours)
    inputs = [emb, *lstm.parameters()]
    for a, b in zip(*(torch.autograd.grad((out * weights).sum(), inputs) for out in (ours, reference))):
        assert torch.equal(a, b)


def test_packed_rows_come_in_torchs_order():
    """Reviews of equal length enter the packed batch in the order pack_padded_sequence(enforce_sorted=False)
    gives them (cuDNN's dropout between layers falls on packed rows), in a batch where most lengths tie."""
    from torch.nn.utils.rnn import pack_padded_sequence

    from sentiment.packing import packing_rows

    torch.manual_seed(5)
    lengths = torch.randint(3, 6, (64,))
    ids = torch.arange(64 * 5, dtype=torch.float64).view(64, 5, 1)  # each entry names its row
    packed = pack_padded_sequence(ids, lengths, batch_first=True, enforce_sorted=False)
    rows, batch_sizes, _ = packing_rows(lengths, 5)
    assert np.array_equal(packed.data[:, 0].numpy().astype(np.int64), rows)
    assert np.array_equal(packed.batch_sizes.numpy(), batch_sizes)


def test_packed_argument_chooses_the_path_with_the_same_result():
    """`packed=True` runs nn.LSTM on packed sequences (the CUDA path); on the CPU it gives the default's states."""
    torch.manual_seed(0)
    model = BiLSTMClassifier(ModelConfig(vocab_size=30, embedding_dim=5, hidden_size=6)).eval()
    ids, lengths = torch.randint(2, 30, (3, 8)), torch.tensor([8, 2, 5])
    assert torch.allclose(model(ids, lengths, packed=True), model(ids, lengths), atol=1e-6)
    with pytest.raises(ValueError, match="separate_directions"):
        model.states_from_embeddings(model.embedding(ids), lengths, separate_directions=True, packed=True)


@pytest.mark.parametrize("layers", [1, 2])
def test_fused_directions_give_packed_states(layers):
    """Both directions as one LSTM of twice the hidden size, block-diagonal (packing.py), give packed_states'
    outputs and gradients up to the order of the sums: ties in length, a one-token review, padding after the
    longest review, and a second layer that reads both directions' states."""
    from sentiment.packing import fused_packed_states

    torch.manual_seed(4)
    lstm = torch.nn.LSTM(5, 6, num_layers=layers, bidirectional=True, batch_first=True).eval()
    lengths = torch.tensor([4, 9, 1, 9, 4, 6])
    emb = torch.randn(6, 11, 5, requires_grad=True)
    reference, ours = packed_states(lstm, emb, lengths), fused_packed_states(lstm, emb, lengths)
    assert torch.allclose(ours, reference, atol=1e-6)
    assert torch.all(ours[torch.arange(11)[None, :] >= lengths[:, None]] == 0)
    weights = torch.randn_like(ours)
    inputs = [emb, *lstm.parameters()]
    for a, b in zip(*(torch.autograd.grad((out * weights).sum(), inputs) for out in (ours, reference))):
        assert torch.allclose(a, b, atol=1e-5)


def test_fused_directions_change_the_packed_path_only():
    """The model's `fused_directions` switches its packed path (CUDA's), with the same logits, and nothing else."""
    torch.manual_seed(0)
    model = BiLSTMClassifier(ModelConfig(vocab_size=30, embedding_dim=5, hidden_size=6)).eval()
    ids, lengths = torch.randint(2, 30, (3, 8)), torch.tensor([8, 2, 5])
    before = model(ids, lengths, packed=True), model(ids, lengths)
    model.fused_directions = True
    assert torch.allclose(model(ids, lengths, packed=True), before[0], atol=1e-6)
    assert torch.equal(model(ids, lengths), before[1])
    assert "fused_directions" not in vars(model.config)


def test_flush_denormals_reaches_every_thread_and_says_when_it_did_not():
    """Set first in a process, flushing holds in torch's worker threads too: a parallel op makes no denormals.
    Set after the worker threads started, it does not hold there, and flush_denormals says so."""
    import subprocess
    import sys

    probe = "x = torch.full((1 << 20,), 1e-20) * 1e-20; "
    results = []
    for before in ("", probe):  # nothing parallel before flushing, or a parallel op that starts the threads
        code = ("import torch; from sentiment.cpu_lstm import flush_denormals; torch.set_num_threads(2); "
                f"{before}ok = flush_denormals(); {probe}print(ok, int((x != 0).sum()))")
        results.append(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                      cwd=Path(__file__).resolve().parents[1]).stdout.split())
    assert results[0] == ["True", "0"]
    assert results[1][0] == "False" and int(results[1][1]) > 0
