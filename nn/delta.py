"""The lectures' backpropagation by hand: the delta rule on plain floats, without the engine, and a check against it.

For one example (``δ[l] = ∂L/∂z[l]``, layers l = 1..L, ``a[0] = x``):

* forward: ``z[l] = W[l] a[l-1] + b[l]``, ``a[l] = g(z[l])``, ``a[L] = o(z[L])``, keeping every ``z[l]`` and ``a[l]``;
* output layer: ``δ[L] = a[L] - y`` for cross-entropy with a sigmoid output (binary cross-entropy) or a softmax
  output (categorical cross-entropy, KL divergence), and likewise ``softmax(z[L]) - y`` / ``sigmoid(z[L]) - y`` for
  the with-logits forms on a linear output; otherwise the general ``δ[L] = ∂L/∂a[L] ⊙ o'(z[L])`` (for a softmax
  output ``δ_i = a_i (g_i - Σ_j a_j g_j)`` with ``g = ∂L/∂a``). Elementwise losses average over the N outputs, so
  their δ[L] carries a factor 1/N;
* hidden layers: ``δ[l] = W[l+1]ᵀ δ[l+1] ⊙ g'(z[l])``;
* gradients: ``∂L/∂W[l] = δ[l] a[l-1]ᵀ``, ``∂L/∂b[l] = δ[l]``.

Over n examples: ``Δ[l] += δ[l] a[l-1]ᵀ``, then ``D[l] = Δ[l] / n + λ W[l]`` for the weights and ``Δb[l] / n`` for the
biases (not regularised): the gradient of ``(1/n) Σ loss + (λ/2) Σ w²`` as :func:`nn.train.fit` trains it.

Activation derivatives (the lectures' table): linear 1, sigmoid ``σ(1-σ)``, tanh ``1 - tanh²``, relu 1 for z > 0
else 0, leaky_relu 1 or 0.01, softplus ``σ(z)``, elu 1 or ``e^z``, step 0, sin ``cos``, cos ``-sin``, abs ``sign``.

:func:`check` computes the same gradients with the engine (``autograd_core.gradients``) and reports, layer by layer,
the largest absolute difference and the relative difference: the largest absolute difference divided by the layer's
*scale*, the largest magnitude among the gradients and the per-example terms summed to form them (the delta
recursion run on absolute values, ``|W|ᵀ s ⊙ |g'|`` from ``s[L] = |δ[L]| + (|a[L]| + |y|)|o'|``). Dividing by the
terms rather than by the result keeps cancellation from inflating the relative figure.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Union

from .layers import ELU_ALPHA, LEAKY_RELU_SLOPE, MLP, Layer, Neuron
from .losses import _class_index, _targets, get_loss, loss_name
from .module import Module

__all__ = ["Network", "Forward", "network", "forward", "backprop", "gradients", "check", "DeltaCheck", "LayerCheck",
           "SUPPORTED_LOSSES"]

SUPPORTED_LOSSES = ("mse", "half_mse", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
                    "categorical_cross_entropy", "kl_divergence", "hinge")
_CLASS_LOSSES = ("cross_entropy", "categorical_cross_entropy")


# ---------------------------------------------------------------------------------------------------------------
# activations and their derivatives, by hand
# ---------------------------------------------------------------------------------------------------------------
def _sigmoid(z: float) -> float:
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _softplus(z: float) -> float:
    return (z if z > 0.0 else 0.0) + math.log1p(math.exp(-abs(z)))


def _g(name: str, z: float) -> float:
    if name == "linear":
        return z
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "tanh":
        return math.tanh(z)
    if name == "relu":
        return z if z > 0.0 else 0.0
    if name == "leaky_relu":
        return z if z > 0.0 else LEAKY_RELU_SLOPE * z
    if name == "softplus":
        return _softplus(z)
    if name == "elu":
        return z if z > 0.0 else ELU_ALPHA * math.expm1(z)
    if name == "step":
        return 1.0 if z >= 0.0 else 0.0
    if name == "sin":
        return math.sin(z)
    if name == "cos":
        return math.cos(z)
    if name == "abs":
        return abs(z)
    raise ValueError(f"nn.delta: no hand-derived activation {name!r}")


def _g_prime(name: str, z: float, a: float) -> float:
    if name == "linear":
        return 1.0
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a * a
    if name == "relu":
        return 1.0 if z > 0.0 else 0.0
    if name == "leaky_relu":
        return 1.0 if z > 0.0 else LEAKY_RELU_SLOPE
    if name == "softplus":
        return _sigmoid(z)
    if name == "elu":
        return 1.0 if z > 0.0 else ELU_ALPHA * math.exp(z)
    if name == "step":
        return 0.0
    if name == "sin":
        return math.cos(z)
    if name == "cos":
        return -math.sin(z)
    if name == "abs":
        return 1.0 if z > 0.0 else (-1.0 if z < 0.0 else 0.0)
    raise ValueError(f"nn.delta: no hand-derived activation {name!r}")


def _softmax(z: list) -> list:
    m = max(z)
    e = [math.exp(zi - m) for zi in z]
    s = 0.0
    for ei in e:
        s += ei
    return [ei / s for ei in e]


# ---------------------------------------------------------------------------------------------------------------
# the network as plain floats
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Network:
    """A model's weights as plain floats: ``W[l][j][k]``, ``b[l][j]`` and ``activation[l]`` for l = 1..L.

    Index 0 of each list is unused (None) so that indices match the lectures' layer numbers.
    """

    W: list
    b: list
    activation: list
    tensor_names: list  # per layer, (weight tensor name, bias tensor name)
    neuron: bool  # a single Neuron: its w is a vector and its b a scalar in the state dict

    @property
    def depth(self) -> int:
        """L, the number of layers."""
        return len(self.W) - 1


def network(model: Module) -> Network:
    """Copy a :class:`~nn.layers.MLP`, :class:`~nn.layers.Layer` or :class:`~nn.layers.Neuron` into plain floats."""
    if isinstance(model, MLP):
        layers = model.layers
        names = [(f"layers.{i}.W", f"layers.{i}.b") for i in range(len(layers))]
    elif isinstance(model, Layer):
        layers = [model]
        names = [("W", "b")]
    elif isinstance(model, Neuron):
        return Network([None, [[w.data for w in model.w]]], [None, [model.b.data]], [None, model.activation],
                       [None, ("w", "b")], True)
    else:
        raise TypeError(f"nn.delta: model must be an MLP, Layer or Neuron, got {type(model).__name__}")
    return Network([None] + [[[w.data for w in row] for row in layer.W] for layer in layers],
                   [None] + [[v.data for v in layer.b] for layer in layers],
                   [None] + [layer.activation for layer in layers], [None] + names, False)


class Forward(NamedTuple):
    """Every pre-activation ``z[l]`` and activation ``a[l]`` (``a[0] = x``, ``z[0] = None``)."""

    z: list
    a: list


def forward(net: Union[Network, Module], x: Sequence[float]) -> Forward:
    """The forward pass on floats, keeping ``z[l] = W[l] a[l-1] + b[l]`` and ``a[l] = g(z[l])`` for every layer."""
    if isinstance(net, Module):
        net = network(net)
    nin = len(net.W[1][0])
    if len(x) != nin:
        raise ValueError(f"nn.delta.forward: expected an input of length {nin}, got length {len(x)}")
    z: list = [None]
    a: list = [[float(v) for v in x]]
    for li in range(1, net.depth + 1):
        prev = a[li - 1]
        zl = []
        for row, bj in zip(net.W[li], net.b[li]):
            s = 0.0  # the same order as the engine's sum node: 0 + b + w_0 x_0 + w_1 x_1 + ...
            s += bj
            for w, xk in zip(row, prev):
                s += w * xk
            zl.append(s)
        act = net.activation[li]
        a.append(_softmax(zl) if act == "softmax" else [_g(act, zj) for zj in zl])
        z.append(zl)
    return Forward(z, a)


# ---------------------------------------------------------------------------------------------------------------
# losses by hand: value and dL/da
# ---------------------------------------------------------------------------------------------------------------
def _target_vector(name: str, target: object, n: int) -> list:
    if name in _CLASS_LOSSES:
        c = _class_index(name, target, n)
        return [1.0 if i == c else 0.0 for i in range(n)]
    return _targets(name, target, n)


def _loss_value(name: str, a: list, y: list) -> float:
    n = len(a)
    if name == "mse":
        return sum((ai - yi) ** 2 for ai, yi in zip(a, y)) / n
    if name == "half_mse":
        return sum(0.5 * (ai - yi) ** 2 for ai, yi in zip(a, y)) / n
    if name == "binary_cross_entropy":
        return sum((-math.log(ai) if yi == 1.0 else 0.0 if yi == 0.0 else -yi * math.log(ai))
                   + (0.0 if yi == 1.0 else -(1.0 - yi) * math.log(1.0 - ai)) for ai, yi in zip(a, y)) / n
    if name == "binary_cross_entropy_with_logits":
        return sum(_softplus(ai) - yi * ai for ai, yi in zip(a, y)) / n
    if name == "cross_entropy":
        m = max(a)
        return math.log(sum(math.exp(ai - m) for ai in a)) - (a[y.index(1.0)] - m)
    if name == "categorical_cross_entropy":
        return -math.log(a[y.index(1.0)])
    if name == "kl_divergence":
        return sum(yi * (math.log(yi) - math.log(ai)) for ai, yi in zip(a, y) if yi != 0.0)
    if name == "hinge":
        return sum(max(0.0, 1.0 - yi * ai) for ai, yi in zip(a, y)) / n
    raise ValueError(f"nn.delta: no hand-derived loss {name!r}")


def _loss_grad(name: str, a: list, y: list) -> list:
    """∂L/∂a[L] for one example."""
    n = len(a)
    if name == "mse":
        return [2.0 * (ai - yi) / n for ai, yi in zip(a, y)]
    if name == "half_mse":
        return [(ai - yi) / n for ai, yi in zip(a, y)]
    if name == "binary_cross_entropy":
        return [(-yi / ai + (1.0 - yi) / (1.0 - ai)) / n for ai, yi in zip(a, y)]
    if name == "binary_cross_entropy_with_logits":
        return [(_sigmoid(ai) - yi) / n for ai, yi in zip(a, y)]
    if name == "cross_entropy":
        return [pi - yi for pi, yi in zip(_softmax(a), y)]
    if name == "categorical_cross_entropy":
        return [-1.0 / ai if yi == 1.0 else 0.0 for ai, yi in zip(a, y)]
    if name == "kl_divergence":
        return [-yi / ai if yi != 0.0 else 0.0 for ai, yi in zip(a, y)]
    if name == "hinge":
        return [-yi / n if 1.0 - yi * ai > 0.0 else 0.0 for ai, yi in zip(a, y)]
    raise ValueError(f"nn.delta: no hand-derived loss {name!r}")


def _output_delta(name: str, act: str, z: list, a: list, y: list) -> tuple:
    """(δ[L], the rule used, whether o' has cancelled) for one example."""
    n = len(a)
    if act == "sigmoid" and name == "binary_cross_entropy":
        return ([(ai - yi) / n for ai, yi in zip(a, y)], "δ[L] = (a[L] - y)/N (binary cross-entropy, sigmoid output)",
                True)
    if act == "linear" and name == "binary_cross_entropy_with_logits":
        return ([(_sigmoid(zi) - yi) / n for zi, yi in zip(z, y)],
                "δ[L] = (σ(z[L]) - y)/N (binary cross-entropy with logits, linear output)", True)
    if act == "softmax" and name in ("categorical_cross_entropy", "kl_divergence"):
        return [ai - yi for ai, yi in zip(a, y)], f"δ[L] = a[L] - y ({name.replace('_', ' ')}, softmax output)", True
    if act == "linear" and name == "cross_entropy":
        return ([pi - yi for pi, yi in zip(_softmax(z), y)], "δ[L] = softmax(z[L]) - y (cross-entropy, linear output)",
                True)
    g = _loss_grad(name, a, y)
    if act == "softmax":
        dot = 0.0
        for ai, gi in zip(a, g):
            dot += ai * gi
        return ([ai * (gi - dot) for ai, gi in zip(a, g)], "δ[L]_i = a_i (g_i - Σ_j a_j g_j), g = ∂L/∂a (softmax)",
                True)
    return ([gi * _g_prime(act, zi, ai) for gi, zi, ai in zip(g, z, a)],
            f"δ[L] = ∂L/∂a[L] ⊙ o'(z[L]) ({act} output)", False)


def _loss_key(loss: Union[str, Callable]) -> str:
    name = loss if isinstance(loss, str) else loss_name(get_loss(loss))
    if name not in SUPPORTED_LOSSES:
        raise ValueError(f"nn.delta: no hand-derived rule for loss {loss!r}; supported: {', '.join(SUPPORTED_LOSSES)}")
    return name


# ---------------------------------------------------------------------------------------------------------------
# backprop by hand
# ---------------------------------------------------------------------------------------------------------------
class Backprop(NamedTuple):
    """One example's forward and backward pass: ``z``, ``a``, ``delta[l] = ∂L/∂z[l]``, the loss and the rule used."""

    z: list
    a: list
    delta: list
    loss: float
    rule: str
    scale: list  # the delta recursion on absolute values (for relative differences)


def backprop(net: Union[Network, Module], x: Sequence[float], target: object,
             loss: Union[str, Callable]) -> Backprop:
    """The delta rule for one example: forward keeping ``z[l]``, ``a[l]``; then ``δ[L]`` and ``δ[l]`` for l < L."""
    if isinstance(net, Module):
        net = network(net)
    name = _loss_key(loss)
    fw = forward(net, x)
    L = net.depth
    y = _target_vector(name, target, len(fw.a[L]))
    out_act = net.activation[L]
    dL, rule, direct = _output_delta(name, out_act, fw.z[L], fw.a[L], y)
    delta: list = [None] * (L + 1)
    scale: list = [None] * (L + 1)
    delta[L] = dL
    if direct:
        scale[L] = [abs(d) + abs(ai) + abs(yi) for d, ai, yi in zip(dL, fw.a[L], y)]
    else:
        scale[L] = [abs(d) + (abs(ai) + abs(yi)) * abs(_g_prime(out_act, zi, ai))
                    for d, zi, ai, yi in zip(dL, fw.z[L], fw.a[L], y)]
    for li in range(L - 1, 0, -1):
        W_next, d_next, s_next = net.W[li + 1], delta[li + 1], scale[li + 1]
        act = net.activation[li]
        dl, sl = [], []
        for k in range(len(fw.z[li])):
            back, back_abs = 0.0, 0.0
            for j, row in enumerate(W_next):
                back += row[k] * d_next[j]
                back_abs += abs(row[k]) * s_next[j]
            gp = _g_prime(act, fw.z[li][k], fw.a[li][k])
            dl.append(back * gp)
            sl.append(back_abs * abs(gp))
        delta[li], scale[li] = dl, sl
    try:
        value = _loss_value(name, fw.a[L], y)
    except (ValueError, ZeroDivisionError):
        value = math.inf
    return Backprop(fw.z, fw.a, delta, value, rule, scale)


def _accumulate(net: Network, X: Sequence, y: Sequence, loss: Union[str, Callable], l2: float) -> tuple:
    if len(X) != len(y) or not len(X):
        raise ValueError(f"nn.delta: X and y must be non-empty and of equal length, got {len(X)} and {len(y)}")
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not math.isfinite(l2) or l2 < 0:
        raise ValueError(f"nn.delta: l2 must be a finite number >= 0, got {l2!r}")
    L, n = net.depth, len(X)
    dW = [None] + [[[0.0] * len(row) for row in net.W[li]] for li in range(1, L + 1)]
    db = [None] + [[0.0] * len(net.b[li]) for li in range(1, L + 1)]
    scale = [0.0] * (L + 1)
    loss_sum, rule = 0.0, ""
    for x, t in zip(X, y):
        bp = backprop(net, x, t, loss)
        loss_sum += bp.loss
        rule = bp.rule
        for li in range(1, L + 1):
            prev, d, s = bp.a[li - 1], bp.delta[li], bp.scale[li]
            top = scale[li]
            for j, (dj, sj) in enumerate(zip(d, s)):
                row = dW[li][j]
                for k, ak in enumerate(prev):
                    row[k] += dj * ak
                    top = max(top, sj * abs(ak))
                db[li][j] += dj
                top = max(top, sj)
            scale[li] = top
    penalty = 0.0
    for li in range(1, L + 1):
        for j, row in enumerate(dW[li]):
            for k in range(len(row)):
                w = net.W[li][j][k]
                row[k] = row[k] / n + l2 * w
                penalty += w * w
                scale[li] = max(scale[li], abs(row[k]), l2 * abs(w))
        db[li] = [v / n for v in db[li]]
        scale[li] = max([scale[li]] + [abs(v) for v in db[li]])
    return dW, db, scale, loss_sum / n + 0.5 * l2 * penalty, rule


def gradients(model: Union[Network, Module], X: Sequence, y: Sequence, loss: Union[str, Callable],
              l2: float = 0.0) -> dict:
    """``D[l] = (1/n) Σ δ[l] a[l-1]ᵀ + λ W[l]`` and ``(1/n) Σ δ[l]``, keyed like ``model.state_dict()``."""
    net = model if isinstance(model, Network) else network(model)
    dW, db, _, _, _ = _accumulate(net, X, y, loss, l2)
    out: dict = {}
    for li in range(1, net.depth + 1):
        w_name, b_name = net.tensor_names[li]
        out[w_name] = dW[li][0] if net.neuron else dW[li]
        out[b_name] = db[li][0] if net.neuron else db[li]
    return out


# ---------------------------------------------------------------------------------------------------------------
# the check against the engine
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerCheck:
    """Delta rule vs engine for layer ``layer`` (1 = the first hidden layer) of shape ``(neurons, inputs)``."""

    layer: int
    shape: tuple
    max_abs_W: float
    max_abs_b: float
    scale: float

    @property
    def max_abs(self) -> float:
        """The largest absolute difference over the layer's weights and biases."""
        return max(self.max_abs_W, self.max_abs_b)

    @property
    def max_rel(self) -> float:
        """``max_abs / scale`` (0 when both are 0)."""
        if self.max_abs == 0.0:
            return 0.0
        return self.max_abs / self.scale if self.scale > 0.0 else math.inf


@dataclass(frozen=True)
class DeltaCheck:
    """The result of :func:`check`: one :class:`LayerCheck` per layer, the two losses and the δ[L] rule used."""

    layers: tuple
    loss_engine: float
    loss_delta: float
    rule: str
    examples: int
    loss: str

    @property
    def max_abs(self) -> float:
        """The largest absolute gradient difference over all layers."""
        return max(c.max_abs for c in self.layers)

    @property
    def max_rel(self) -> float:
        """The largest relative gradient difference over all layers."""
        return max(c.max_rel for c in self.layers)

    def ok(self, rtol: float = 1e-12) -> bool:
        """True if every layer agrees to ``rtol`` (relative) and the losses agree to ``rtol``."""
        loss_ok = abs(self.loss_engine - self.loss_delta) <= rtol * max(1.0, abs(self.loss_engine))
        return loss_ok and self.max_rel <= rtol

    def __str__(self) -> str:
        lines = [f"delta rule vs engine: {self.examples} example(s), loss {self.loss}, {self.rule}",
                 f"loss: engine {self.loss_engine:.17g}, delta rule {self.loss_delta:.17g}",
                 "layer  shape     max |dW diff|  max |db diff|  max rel",
                 ]
        for c in self.layers:
            shape = f"{c.shape[0]}x{c.shape[1]}"
            lines.append(f"{c.layer:<6} {shape:<9} {c.max_abs_W:<14.3g} {c.max_abs_b:<14.3g} {c.max_rel:.3g}")
        return "\n".join(lines)


def check(model: Module, X: Sequence, y: Sequence, loss: Union[str, Callable], l2: float = 0.0) -> DeltaCheck:
    """Compare the engine's gradients of ``(1/n) Σ loss(model(x_i), y_i) + (λ/2) Σ w²`` with the delta rule's.

    The engine side is exactly what :func:`nn.train.fit` differentiates (via ``autograd_core.gradients``, which
    leaves every ``.grad`` untouched); the delta side never touches a Value. Returns a :class:`DeltaCheck`;
    ``str()`` of it is a per-layer table.
    """
    import autograd_core as ag

    from .train import _batch_loss

    net = network(model)
    name = _loss_key(loss)
    dW, db, scale, loss_delta, rule = _accumulate(net, X, y, name, l2)
    weights = model.weights() if l2 else None
    _, total = _batch_loss(model, list(X), list(y), get_loss(name), weights, l2)
    params = model.parameters()
    grads = dict(zip(params, ag.gradients(total, params)))
    if isinstance(model, MLP):
        layers = model.layers
    elif isinstance(model, Layer):
        layers = [model]
    else:
        layers = None
    results = []
    for li in range(1, net.depth + 1):
        if layers is None:
            eng_W, eng_b = [[grads[w] for w in model.w]], [grads[model.b]]
        else:
            layer = layers[li - 1]
            eng_W = [[grads[w] for w in row] for row in layer.W]
            eng_b = [grads[v] for v in layer.b]
        diff_W = max(abs(e - d) for er, dr in zip(eng_W, dW[li]) for e, d in zip(er, dr))
        diff_b = max(abs(e - d) for e, d in zip(eng_b, db[li]))
        top = max([scale[li]] + [abs(e) for row in eng_W for e in row] + [abs(e) for e in eng_b])
        results.append(LayerCheck(li, (len(dW[li]), len(dW[li][0])), diff_W, diff_b, top))
    return DeltaCheck(tuple(results), total.data, loss_delta, rule, len(X), name)

