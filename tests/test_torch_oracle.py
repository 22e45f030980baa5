"""PyTorch (float64) as an oracle: a dozen compound expressions, written once and run on both engines."""

import math
import types

import pytest

import autograd_core as ag
from autograd_core import Value

torch = pytest.importorskip("torch")
F = torch.nn.functional

OURS = types.SimpleNamespace(
    exp=ag.exp, log=ag.log, sqrt=ag.sqrt, tanh=ag.tanh, sigmoid=ag.sigmoid, relu=ag.relu, softplus=ag.softplus,
    sin=ag.sin, cos=ag.cos, elu=lambda v, alpha: ag.elu(v, alpha), leaky_relu=lambda v, slope: ag.leaky_relu(v, slope),
    sum=lambda vs: ag.sum(vs),
)
TORCH = types.SimpleNamespace(
    exp=torch.exp, log=torch.log, sqrt=torch.sqrt, tanh=torch.tanh, sigmoid=torch.sigmoid, relu=torch.relu,
    # torch's softplus switches to the identity above x = 20; every softplus input below stays under 20
    softplus=F.softplus, sin=torch.sin, cos=torch.cos, elu=lambda v, alpha: F.elu(v, alpha=alpha),
    leaky_relu=lambda v, slope: F.leaky_relu(v, slope), sum=lambda vs: torch.stack(vs).sum(),
)


def neuron(L, x, y, z):
    w = (0.3, -0.8, 1.1)
    return L.tanh(L.sum([x * w[0], y * w[1], z * w[2]]) + 0.2)


def cross_entropy(L, x, y, z):
    p = L.sigmoid(x * z + y)
    return -(0.7 * L.log(p) + 0.3 * L.log(1 - p))


def reused(L, x, y, z):
    h = L.tanh(x * y)
    return h * h * h + h / (1 + h * h)


def log_softmax(L, x, y, z):
    m = L.exp(x) + L.exp(y) + L.exp(z)
    return L.log(L.exp(x) / m)


EXPRESSIONS = {
    "tanh_affine": lambda L, x, y, z: L.tanh(x * y + z),
    "sigmoid_log_square": lambda L, x, y, z: L.sigmoid(x) * L.log(z) + y ** 2,
    "exp_ratio": lambda L, x, y, z: L.exp(x * y) / (1 + z * z),
    "norm": lambda L, x, y, z: L.sqrt(x * x + y * y + z * z),
    "softplus_trig": lambda L, x, y, z: L.softplus(x - y) * L.cos(z) - L.sin(x * z),
    "activations": lambda L, x, y, z: L.relu(x * 2 - y) + L.leaky_relu(y, 0.1) * L.elu(y * z, 1.5),
    "powers": lambda L, x, y, z: z ** x + 2 ** y + x ** 3 - (z - y) ** -1.5,
    "abs_division": lambda L, x, y, z: abs(y) * x / (z - y) - 3 / z,
    "log_sum_exp": lambda L, x, y, z: L.log(L.exp(x) + L.exp(y) + L.exp(z)),
    "cross_entropy": cross_entropy,
    "neuron": neuron,
    "reused_subexpression": reused,
    "log_softmax": log_softmax,
    "squared_error": lambda L, x, y, z: (x * z - y) ** 2 / 2 + (z - 1) ** -1 - (-x),
}

POINTS = [(0.7, -1.3, 2.1), (-0.45, 0.8, 3.7)]


@pytest.mark.parametrize("point", POINTS, ids=["p0", "p1"])
@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_gradients_match_pytorch_float64(name, point):
    f = EXPRESSIONS[name]
    ours = [Value(v, label=n) for v, n in zip(point, "xyz")]
    out = f(OURS, *ours)
    out.backward()
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    ref = f(TORCH, *theirs)
    ref.backward()
    assert math.isclose(out.data, ref.item(), rel_tol=1e-12, abs_tol=1e-15), (out.data, ref.item())
    for ours_leaf, their_leaf in zip(ours, theirs):
        want = 0.0 if their_leaf.grad is None else their_leaf.grad.item()  # None: the input is unused
        assert math.isclose(ours_leaf.grad, want, rel_tol=1e-12, abs_tol=1e-15), (ours_leaf.label, ours_leaf.grad,
                                                                                 want)
    # gradients() on a rebuilt graph gives the same numbers as backward
    fresh = [Value(v) for v in point]
    for g, leaf in zip(ag.gradients(f(OURS, *fresh), fresh), ours):
        assert math.isclose(g, leaf.grad, rel_tol=1e-15, abs_tol=1e-300)


@pytest.mark.parametrize("name", ["tanh_affine", "norm", "reused_subexpression", "neuron"])
def test_second_derivatives_match_pytorch(name):
    # d/dx of (d f / dx) through gradients(create_graph=True) vs torch.autograd.grad(create_graph=True)
    f = EXPRESSIONS[name]
    point = POINTS[0]
    ours = [Value(v) for v in point]
    (gx,) = ag.gradients(f(OURS, *ours), [ours[0]], create_graph=True)
    second = ag.gradients(gx, ours)
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    (tgx,) = torch.autograd.grad(f(TORCH, *theirs), [theirs[0]], create_graph=True)
    tsecond = torch.autograd.grad(tgx, theirs, allow_unused=True)
    for a, b in zip(second, tsecond):
        want = 0.0 if b is None else b.item()
        assert math.isclose(a, want, rel_tol=1e-11, abs_tol=1e-14), (a, want)
