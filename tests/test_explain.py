import pytest
import torch

from sentiment.explain import Explanation, decompose
from sentiment.model import BiLSTMClassifier, ModelConfig


@pytest.mark.parametrize("pooling", ["last", "max", "mean", "max+mean"])
@pytest.mark.parametrize("layers", [1, 2])
def test_contributions_add_up_to_the_logit(pooling, layers):
    torch.manual_seed(layers)
    model = BiLSTMClassifier(ModelConfig(vocab_size=40, embedding_dim=8, hidden_size=10, num_layers=layers,
                                         pooling=pooling)).eval()
    with torch.no_grad():
        model.fc.weight.mul_(20)  # large weights make any inexactness visible
    ids, lengths = torch.randint(2, 40, (4, 300)), torch.tensor([300, 1, 57, 2])
    d = decompose(model, ids, lengths)
    assert torch.allclose(d.logits, model(ids, lengths), atol=1e-5)
    total = d.bias + d.contributions.double().sum(dim=1)
    assert torch.allclose(total, d.logits.double(), atol=1e-4)
    assert torch.all(d.contributions[1, 1:] == 0)  # nothing at padding


def test_last_pooling_hand_computed():
    """Forward scores s_t and backward scores r_t telescope: token t gets (s_t - s_t-1) + (r_t - r_t+1)."""
    torch.manual_seed(0)
    model = BiLSTMClassifier(ModelConfig(vocab_size=20, embedding_dim=4, hidden_size=3, num_layers=1)).eval()
    ids = torch.tensor([[5, 6, 7]])
    d = decompose(model, ids, torch.tensor([3]))
    w = model.fc.weight[0]
    s = d.states[0, :, :3] @ w[:3]
    r = d.states[0, :, 3:] @ w[3:]
    expected = torch.stack([s[0] + r[0] - r[1], s[1] - s[0] + r[1] - r[2], s[2] - s[1] + r[2]])
    assert torch.allclose(d.contributions[0], expected, atol=1e-6)


def test_max_pooling_credits_the_token_holding_each_max():
    torch.manual_seed(0)
    model = BiLSTMClassifier(ModelConfig(vocab_size=20, embedding_dim=4, hidden_size=3, num_layers=1,
                                         pooling="max")).eval()
    d = decompose(model, torch.tensor([[5, 6, 7, 8]]), torch.tensor([4]))
    where = d.states[0].argmax(dim=0)
    w = model.fc.weight[0]
    expected = torch.zeros(4)
    for j in range(6):
        expected[where[j]] += w[j] * d.states[0, where[j], j]
    assert torch.allclose(d.contributions[0], expected, atol=1e-6)


def test_the_reading_curve_takes_any_running_sum():
    """The curve is a sigmoid of running sums; sums past math.exp's range (+-709) read as 0 or 1, not an error."""
    e = Explanation(text="a b c", tokens=["a", "b", "c"], spans=[(0, 1), (2, 3), (4, 5)],
                    contributions=[-800.0, 1600.0, -799.0], bias=0.5, logit=1.5, probability=0.8176,
                    state_contributions=[-900.0, 0.0, 901.0], state_bias=0.5, step_bias=[0.0, 0.0, 0.0])
    assert e.curve("words") == pytest.approx([0.0, 1.0, 0.8176], abs=1e-4)
    assert e.curve("states") == pytest.approx([0.0, 0.0, 0.8176], abs=1e-4)
