import pytest
import torch

from sentiment.model import BiLSTMClassifier, ModelConfig


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
