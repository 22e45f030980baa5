"""nn.export.to_torch: same outputs and gradients as PyTorch in float64; a clear ImportError without torch."""

import sys

import pytest

import autograd_core as ag
import nn
from nn import losses as L
from nn.layers import ACTIVATIONS

X = [[0.5, -1.2, 0.3], [1.5, 0.2, -0.7], [-0.4, 0.9, 2.0], [0.0, 0.0, 0.0], [-25.0, 30.0, 0.1]]


def _model(hidden_act, out_act, nout=2):
    model = nn.MLP(3, [4, 3, nout], activation=hidden_act, output_activation=out_act, seed=7)
    for i, layer in enumerate(model.layers):
        for j, b in enumerate(layer.b):
            b.data = 0.1 * (j - i)
    return model


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_outputs_equal_torch(act):
    torch = pytest.importorskip("torch")
    model = _model(act, "softmax" if act == "tanh" else act)
    tmodel = model.to_torch()
    assert all(p.dtype == torch.float64 for p in tmodel.parameters())
    got = tmodel(torch.tensor(X, dtype=torch.float64)).detach().tolist()
    for row, x in zip(got, X):
        assert row == pytest.approx(model.predict(x), rel=1e-13, abs=1e-15)


def test_weights_are_identical():
    torch = pytest.importorskip("torch")
    model = _model("relu", "linear")
    linears = [m for m in model.to_torch() if isinstance(m, torch.nn.Linear)]
    for layer, lin in zip(model.layers, linears):
        assert lin.weight.tolist() == [[w.data for w in row] for row in layer.W]
        assert lin.bias.tolist() == [b.data for b in layer.b]


@pytest.mark.parametrize("hidden, output, loss, target", [
    ("tanh", "linear", "mse", [[0.3, -0.2]] * 5),
    ("relu", "linear", "cross_entropy", [0, 1, 1, 0, 1]),
    ("sigmoid", "softmax", "categorical_cross_entropy", [1, 0, 1, 1, 0]),
    ("softplus", "linear", "binary_cross_entropy_with_logits", [[1.0, 0.0]] * 5),
    ("elu", "sigmoid", "binary_cross_entropy", [[0.0, 1.0]] * 5),
    ("leaky_relu", "linear", "half_mse", [[1.0, 2.0]] * 5),
])
def test_gradients_equal_torch(hidden, output, loss, target):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    model = _model(hidden, output)
    tmodel = model.to_torch()
    xs = torch.tensor(X, dtype=torch.float64)
    out = tmodel(xs)
    if loss == "mse":
        tloss = F.mse_loss(out, torch.tensor(target, dtype=torch.float64))
    elif loss == "half_mse":
        tloss = 0.5 * F.mse_loss(out, torch.tensor(target, dtype=torch.float64))
    elif loss == "cross_entropy":
        tloss = F.cross_entropy(out, torch.tensor(target))
    elif loss == "categorical_cross_entropy":
        tloss = F.nll_loss(torch.log(out), torch.tensor(target))
    elif loss == "binary_cross_entropy_with_logits":
        tloss = F.binary_cross_entropy_with_logits(out, torch.tensor(target, dtype=torch.float64))
    else:
        tloss = F.binary_cross_entropy(out, torch.tensor(target, dtype=torch.float64))
    tloss.backward()
    ours = ag.sum([L.get_loss(loss)(model(x), t) for x, t in zip(X, target)]) * (1 / len(X))
    assert ours.data == pytest.approx(tloss.item(), rel=1e-12)
    ours.backward()
    linears = [m for m in tmodel if isinstance(m, torch.nn.Linear)]
    for layer, lin in zip(model.layers, linears):
        ours_w = [w.grad for row in layer.W for w in row]
        assert ours_w == pytest.approx(lin.weight.grad.flatten().tolist(), rel=1e-12, abs=1e-14)
        assert [b.grad for b in layer.b] == pytest.approx(lin.bias.grad.tolist(), rel=1e-12, abs=1e-14)


def test_layer_and_neuron_export():
    torch = pytest.importorskip("torch")
    layer = nn.Layer(3, 2, activation="sin", seed=1)
    neuron = nn.Neuron(3, activation="step", seed=1)
    xs = torch.tensor(X, dtype=torch.float64)
    for module in (layer, neuron):
        got = module.to_torch()(xs).detach().tolist()
        for row, x in zip(got, X):
            ours = module.predict(x)  # a Neuron has one output: predict gives the float, torch a row of one
            assert row == pytest.approx(ours if isinstance(ours, list) else [ours], rel=1e-14, abs=1e-15)


def test_clear_import_error_without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(ImportError, match="pip install torch"):
        nn.MLP(2, [1], seed=0).to_torch()


def test_to_torch_rejects_non_models():
    with pytest.raises(TypeError, match="must be an MLP, Layer or Neuron"):
        nn.export.to_torch(object())
