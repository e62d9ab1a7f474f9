import pytest
import torch

from sentiment.model import BiLSTMClassifier, ModelConfig
from sentiment.explain import decompose, unit_shares
from sentiment.relevance import EPSILON, word_relevance


def model_of(pooling: str, layers: int, seed: int = 0, embedding_dim: int = 6,
             hidden_size: int = 5) -> BiLSTMClassifier:
    torch.manual_seed(seed)
    model = BiLSTMClassifier(ModelConfig(vocab_size=40, embedding_dim=embedding_dim, hidden_size=hidden_size,
                                         num_layers=layers, pooling=pooling)).eval()
    with torch.no_grad():  # larger weights than the initialisation, so that any error in the bookkeeping shows
        for p in model.parameters():
            p.mul_(3)
    return model


def reference(model: BiLSTMClassifier, ids: torch.Tensor) -> torch.Tensor:
    """The same rules the obvious way: gradient x input of a forward pass made linear in its inputs by detaching
    the gates and writing tanh(u) as u * stop_gradient(tanh(u) / u), one review, one step at a time. The two
    stabilised splits are written the same way: z_t as z_t * (z_t / z_stable) plus a constant, and the cell as
    (f c_{t-1} + i g) c_t / s_t plus a constant, each ratio detached."""
    lstm, H = model.lstm, model.config.hidden_size
    x = model.embedding(ids[None]).double().detach().requires_grad_(True)  # (1, T, E)
    layer_in = x
    for layer in range(lstm.num_layers):
        outputs = []
        for suffix in ("", "_reverse"):
            w_ih = getattr(lstm, f"weight_ih_l{layer}{suffix}").double()
            w_hh = getattr(lstm, f"weight_hh_l{layer}{suffix}").double()
            b = (getattr(lstm, f"bias_ih_l{layer}{suffix}") + getattr(lstm, f"bias_hh_l{layer}{suffix}")).double()
            seq = layer_in if suffix == "" else layer_in.flip(1)
            h = c = torch.zeros(1, H, dtype=torch.float64)
            hs = []
            for t in range(seq.shape[1]):
                z = seq[:, t] @ w_ih.T + h @ w_hh.T + b
                i, f, o = (torch.sigmoid(z[:, k * H:(k + 1) * H]).detach() for k in (0, 1, 3))
                z_g = z[:, 2 * H:3 * H]
                g_rows = slice(2 * H, 3 * H)
                parts = (seq[:, t].abs() @ w_ih[g_rows].abs().T + h.abs() @ w_hh[g_rows].abs().T + b[g_rows].abs())
                z_stable = (z_g + EPSILON * torch.where(z_g < 0, -1.0, 1.0) * parts).detach()
                z_g = z_g * (z_g / z_stable).detach() + (z_g * (1 - z_g / z_stable)).detach()  # parts over z_stable
                kept, added = f * c, i * z_g * (torch.tanh(z_g) / z_g).detach()
                value = (kept + added).detach()
                s = torch.where(value < 0, -1.0, 1.0) * (kept.abs() + added.abs()).detach()
                c = (kept + added) * value / s + value * (1 - value / s)  # shares over s, the rest a constant
                h = o * c * (torch.tanh(c) / c).detach()
                hs.append(h)
            out = torch.stack(hs, 1)
            outputs.append(out if suffix == "" else out.flip(1))
        layer_in = torch.cat(outputs, 2)
    lengths = torch.tensor([ids.shape[0]])
    logit = model.fc.double()(model.pool(layer_in, lengths))[0, 0]
    model.fc.float()
    logit.backward()
    return (x.grad * x).sum(-1)[0].detach()


@pytest.mark.parametrize("pooling", ["last", "max", "mean", "max+mean"])
@pytest.mark.parametrize("layers", [1, 2])
def test_relevance_is_exact_and_equals_the_autograd_form(pooling, layers):
    model = model_of(pooling, layers)
    ids, lengths = torch.randint(2, 40, (3, 9)), torch.tensor([9, 6, 2])
    r = word_relevance(model, ids, lengths)
    assert torch.allclose(r.words.sum(1) + r.bias, r.logits.double(), atol=1e-4)  # bookkeeping: exact
    assert torch.allclose(r.bias, model.fc.bias.double() + r.step_bias.sum(1))
    assert torch.allclose(r.logits, model(ids, lengths), atol=1e-6)  # the model's own logits
    for scores in (r.words, r.step_bias):  # padding gets none, in either direction's reading order
        assert torch.all(scores[1, 6:] == 0) and torch.all(scores[2, 2:] == 0)
    for b in range(3):
        n = int(lengths[b])
        alone = word_relevance(model, ids[b:b + 1, :n], lengths[b:b + 1])
        assert torch.allclose(alone.words[0], r.words[b, :n], atol=1e-6)  # a review alone = in a padded batch
        assert torch.allclose(alone.step_bias[0], r.step_bias[b, :n], atol=1e-6)
        assert torch.allclose(reference(model, ids[b, :n]), alone.words[0], atol=1e-5)


@pytest.mark.parametrize("seed", [7, 17, 32])
def test_relevance_stays_bounded_on_repetitive_text(seed):
    """Three words repeated for 800 tokens drive these random models' cells into cancelling steps (f c_{t-1} and i g
    nearly opposite) again and again. Dividing by c_t there gave word scores of 1e5 to 2e10 (seed 32) and sums off
    by up to 8e4; with the shares bounded, the scores stay on the scale of the logit and the sum is exact."""
    model = model_of("max", 2, seed, embedding_dim=16, hidden_size=32)
    ids = torch.tensor([9, 10, 11] * 267)[None, :800]
    r = word_relevance(model, ids, torch.tensor([800]))
    assert abs(float(r.words.sum() + r.bias[0] - r.logits[0])) < 1e-6
    assert float(r.words.abs().max()) < 1 + abs(float(r.logits[0]))


def test_the_top_layer_starts_from_the_state_shares():
    """LRP's first step is the decomposition the page showed before: the relevance that the sweep receives at
    each position of the top layer adds up to that position's state share."""
    for pooling in ("max", "mean", "max+mean"):
        model = model_of(pooling, 2)
        ids, lengths = torch.randint(2, 40, (2, 7)), torch.tensor([7, 4])
        states = model.token_states(ids, lengths).detach()
        per_unit = unit_shares(model, states.double(), lengths)  # (B, T, 2H)
        assert torch.allclose(per_unit.sum(-1).float(), decompose(model, ids, lengths).contributions, atol=1e-5)
        assert torch.all(per_unit[1, 4:] == 0)


def test_relevance_is_exact_on_the_bundled_model():
    from sentiment import load_model

    clf = load_model()
    texts = ["Not bad at all, though the ending drags.", "A moving, beautiful film. " * 40,
             "I hated the plot but loved the cast and the music, which never stops. " * 70,
             "A fine film. " * 300, "A great film. " * 2000]  # v3 gave 3e24 and 2e12 with plain shares
    seqs = [torch.as_tensor(clf.encode(t)) for t in texts]
    for ids in seqs:
        r = word_relevance(clf.model, ids[None], torch.tensor([len(ids)]))
        assert abs(float(r.words.sum() + r.bias[0]) - float(r.logits[0])) < 1e-4
        assert float(r.words.abs().max()) < 1 + abs(float(r.logits[0]))
