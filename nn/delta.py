"""The lectures' backpropagation by hand: the delta rule on plain floats, without the engine, and a check against it.

For one example (``δ[l] = ∂L/∂z[l]``, layers l = 1..L, ``a[0] = x``):

* forward: ``z[l] = W[l] a[l-1] + b[l]``, ``a[l] = g(z[l])``, ``a[L] = o(z[L])``, keeping every ``z[l]`` and ``a[l]``;
* output layer: ``δ[L] = a[L] - y`` for cross-entropy with a sigmoid output (binary cross-entropy) or a softmax
  output (categorical cross-entropy, KL divergence), and likewise ``softmax(z[L]) - y`` / ``sigmoid(z[L]) - y`` for
  the with-logits forms on a linear output; otherwise the general ``δ[L] = ∂L/∂a[L] ⊙ o'(z[L])`` (for a softmax
  output ``δ_i = a_i (g_i - Σ_j a_j g_j)`` with ``g = ∂L/∂a``). Elementwise losses (``mse``, ``half_mse``, the
  binary cross-entropies, ``hinge``) take a ``reduction`` over the N outputs of the sample: with ``"sum"`` δ[L] is
  exactly the notes' formula (notes 000's ``a - y``, notes 001's ``-(t - y) σ'(d)``); with ``"mean"`` (the default,
  as ``fit`` trains by default) it carries a factor 1/N;
* hidden layers: ``δ[l] = W[l+1]ᵀ δ[l+1] ⊙ g'(z[l])``;
* gradients: ``∂L/∂W[l] = δ[l] a[l-1]ᵀ``, ``∂L/∂b[l] = δ[l]``.

Over n examples: ``Δ[l] += δ[l] a[l-1]ᵀ``, then ``D[l] = Δ[l] / n + λ W[l]`` for the weights and ``Δb[l] / n`` for the
biases (not regularised): the gradient of ``(1/n) Σ loss + (λ/2) Σ w²`` as :func:`nn.train.fit` trains it.

Activation derivatives (the lectures' table, :data:`G_PRIME`): linear 1, sigmoid ``σ(1-σ)``, tanh ``1 - tanh²``, relu
1 for z > 0 else 0, leaky_relu 1 or 0.01, softplus ``σ(z)``, elu 1 or ``e^z``, step 0, sin ``cos``, cos ``-sin``, abs
``sign``. Every rule is a table keyed by name (:data:`G`, :data:`G_PRIME`, :data:`LOSS_RULES`, :data:`CANCELLING`),
never a chain of name comparisons, and the model's layers come from ``model.dense_layers()``.

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

import autograd_core as ag

from .activations import ELU_ALPHA, LEAKY_RELU_SLOPE
from .losses import ELEMENTWISE_LOSSES, check_class_index, check_reduction, check_targets, get_loss, loss_name
from .module import Module, check_input
from .train import batch_loss

__all__ = ["Network", "Forward", "network", "forward", "backprop", "gradients", "check", "DeltaCheck", "LayerCheck",
           "SUPPORTED_LOSSES", "G", "G_PRIME", "LOSS_RULES", "TERM_RULES", "CANCELLING", "loss_rule",
           "notes_003_index", "notes_003_weight", "notes_003_matrix"]

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


# g(z) on floats, per activation name (written so that nan propagates, as in the engine)
G: dict = {
    "linear": lambda z: z,
    "sigmoid": _sigmoid,
    "tanh": math.tanh,
    "relu": lambda z: 0.0 if z <= 0.0 else z,
    "leaky_relu": lambda z: LEAKY_RELU_SLOPE * z if z <= 0.0 else z,
    "softplus": _softplus,
    "elu": lambda z: ELU_ALPHA * math.expm1(z) if z <= 0.0 else z,
    "step": lambda z: 1.0 if z >= 0.0 else (0.0 if z < 0.0 else z),
    "sin": math.sin,
    "cos": math.cos,
    "abs": abs,
}

# g'(z) on floats, per activation name, given z and a = g(z) (the lectures' σ(1-σ) and 1 - tanh² use a)
G_PRIME: dict = {
    "linear": lambda z, a: 1.0,
    "sigmoid": lambda z, a: a * (1.0 - a),
    "tanh": lambda z, a: 1.0 - a * a,
    "relu": lambda z, a: 1.0 if z > 0.0 else 0.0,
    "leaky_relu": lambda z, a: 1.0 if z > 0.0 else LEAKY_RELU_SLOPE,
    "softplus": lambda z, a: _sigmoid(z),
    "elu": lambda z, a: 1.0 if z > 0.0 else ELU_ALPHA * math.exp(z),
    "step": lambda z, a: 0.0,
    "sin": lambda z, a: math.cos(z),
    "cos": lambda z, a: -math.sin(z),
    "abs": lambda z, a: 1.0 if z > 0.0 else (-1.0 if z < 0.0 else 0.0),
}


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
    """Copy a model's :meth:`~nn.module.Module.dense_layers` (an MLP, Layer or Neuron) into plain floats."""
    if not isinstance(model, Module):
        raise TypeError(f"nn.delta: model must be an MLP, Layer or Neuron, got {type(model).__name__}")
    dense = model.dense_layers()
    tensors = {t.name: t.values for t in model.named_tensors()}
    return Network([None] + [[[w.data for w in row] for row in d.W] for d in dense],
                   [None] + [[v.data for v in d.b] for d in dense],
                   [None] + [d.activation for d in dense], [None] + [d.names for d in dense],
                   not isinstance(tensors[dense[0].names[1]], list))


class Forward(NamedTuple):
    """Every pre-activation ``z[l]`` and activation ``a[l]`` (``a[0] = x``, ``z[0] = None``)."""

    z: list
    a: list


def forward(net: Union[Network, Module], x: Sequence[float]) -> Forward:
    """The forward pass on floats, keeping ``z[l] = W[l] a[l-1] + b[l]`` and ``a[l] = g(z[l])`` for every layer."""
    if isinstance(net, Module):
        net = network(net)
    x = check_input("nn.delta.forward", x, len(net.W[1][0]))
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
        a.append(_softmax(zl) if act == "softmax" else list(map(G[act], zl)))
        z.append(zl)
    return Forward(z, a)


# ---------------------------------------------------------------------------------------------------------------
# losses by hand: value and dL/da
# ---------------------------------------------------------------------------------------------------------------
def _target_vector(name: str, target: object, n: int) -> list:
    if name in _CLASS_LOSSES:
        c = check_class_index(name, target, n)
        return [1.0 if i == c else 0.0 for i in range(n)]
    return check_targets(name, target, n)


def _bce(a: float, y: float) -> float:
    # a term whose target weight is 0 is left out, as in nn.losses.binary_cross_entropy
    return ((-math.log(a) if y == 1.0 else 0.0 if y == 0.0 else -y * math.log(a))
            + (0.0 if y == 1.0 else -(1.0 - y) * math.log(1.0 - a)))


def _cross_entropy(z: list, y: list) -> float:
    m = max(z)
    return math.log(sum(math.exp(zi - m) for zi in z)) - (z[y.index(1.0)] - m)


# the elementwise losses, one term per output: loss name -> (ℓ(a_i, y_i), ∂ℓ/∂a_i) on floats
TERM_RULES: dict = {
    "mse": (lambda a, y: (a - y) ** 2, lambda a, y: 2.0 * (a - y)),
    "half_mse": (lambda a, y: 0.5 * (a - y) ** 2, lambda a, y: a - y),
    "binary_cross_entropy": (_bce, lambda a, y: -y / a + (1.0 - y) / (1.0 - a)),
    "binary_cross_entropy_with_logits": (lambda a, y: _softplus(a) - y * a, lambda a, y: _sigmoid(a) - y),
    "hinge": (lambda a, y: max(0.0, 1.0 - y * a), lambda a, y: -y if 1.0 - y * a > 0.0 else 0.0),
}

# the losses over a whole output vector (sums over the classes by definition): name -> (L(a, y), ∂L/∂a)
_VECTOR_RULES: dict = {
    "cross_entropy": (_cross_entropy, lambda a, y: [pi - yi for pi, yi in zip(_softmax(a), y)]),
    "categorical_cross_entropy": (lambda a, y: -math.log(a[y.index(1.0)]),
                                  lambda a, y: [-1.0 / ai if yi == 1.0 else 0.0 for ai, yi in zip(a, y)]),
    "kl_divergence": (lambda a, y: sum(yi * (math.log(yi) - math.log(ai)) for ai, yi in zip(a, y) if yi != 0.0),
                      lambda a, y: [-yi / ai if yi != 0.0 else 0.0 for ai, yi in zip(a, y)]),
}


def loss_rule(name: str, reduction: str = "mean") -> tuple:
    """``(L(a, y), ∂L/∂a(a, y))`` for one example on float lists, for the loss ``name`` and ``reduction``.

    Elementwise losses (:data:`TERM_RULES`): ``L = Σ_i ℓ(a_i, y_i)`` for ``"sum"``, ``(1/N) Σ_i ℓ(a_i, y_i)`` for
    ``"mean"``, and ``∂L/∂a_i = ∂ℓ/∂a_i`` (divided by N for the mean). The class losses are sums over the classes
    and take only ``"mean"`` (their one form). ValueError for an unknown name or reduction.
    """
    check_reduction("nn.delta.loss_rule", reduction)
    if name in _VECTOR_RULES:
        if reduction != "mean":
            raise ValueError(f"nn.delta: {name} is already a sum over the classes, so it takes no reduction; leave "
                             "reduction='mean'")
        return _VECTOR_RULES[name]
    if name not in TERM_RULES:
        raise ValueError(f"nn.delta: no hand-derived rule for loss {name!r}; supported: {', '.join(SUPPORTED_LOSSES)}")
    term, d_term = TERM_RULES[name]
    if reduction == "mean":
        return (lambda a, y: sum(map(term, a, y)) / len(a),
                lambda a, y: [d_term(ai, yi) / len(a) for ai, yi in zip(a, y)])
    return (lambda a, y: sum(map(term, a, y)),  # the sum over the outputs
            lambda a, y: [d_term(ai, yi) for ai, yi in zip(a, y)])


SUPPORTED_LOSSES = ("mse", "half_mse", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
                    "categorical_cross_entropy", "kl_divergence", "hinge")
# loss name -> (L(a, y), ∂L/∂a[L](a, y)) for one example on floats, as fit trains by default (reduction="mean")
LOSS_RULES: dict = {name: loss_rule(name) for name in SUPPORTED_LOSSES}


def _minus_y(z: list, a: list, y: list) -> list:
    return [ai - yi for ai, yi in zip(a, y)]


# (output activation, loss) -> (δ[L](z, a, y), the rule): the pairs where o'(z[L]) cancels against ∂L/∂a[L]. For
# the elementwise losses the entry is the summed loss's δ[L]; reduction="mean" divides it by the N outputs.
CANCELLING: dict = {
    ("sigmoid", "binary_cross_entropy"): (_minus_y, "δ[L] = a[L] - y (binary cross-entropy, sigmoid output)"),
    ("linear", "binary_cross_entropy_with_logits"): (
        lambda z, a, y: [_sigmoid(zi) - yi for zi, yi in zip(z, y)],
        "δ[L] = σ(z[L]) - y (binary cross-entropy with logits, linear output)"),
    ("softmax", "categorical_cross_entropy"): (_minus_y,
                                               "δ[L] = a[L] - y (categorical cross entropy, softmax output)"),
    ("softmax", "kl_divergence"): (_minus_y, "δ[L] = a[L] - y (kl divergence, softmax output)"),
    ("linear", "cross_entropy"): (lambda z, a, y: [pi - yi for pi, yi in zip(_softmax(z), y)],
                                  "δ[L] = softmax(z[L]) - y (cross-entropy, linear output)"),
}


def _output_delta(name: str, act: str, z: list, a: list, y: list, reduction: str = "mean") -> tuple:
    """(δ[L], the rule used, whether o' has cancelled) for one example."""
    mean = reduction == "mean" and name in ELEMENTWISE_LOSSES
    if (act, name) in CANCELLING:
        delta, rule = CANCELLING[act, name]
        d = delta(z, a, y)
        if mean:  # "δ[L] = a[L] - y (...)" -> "δ[L] = (a[L] - y)/N (...)"
            n = len(d)
            head, _, tail = rule.partition(" (")
            lhs, _, rhs = head.partition(" = ")
            return [di / n for di in d], f"{lhs} = ({rhs})/N ({tail}", True
        return d, rule, True
    g = loss_rule(name, reduction)[1](a, y)
    over = "" if name not in ELEMENTWISE_LOSSES else (", ∂L/∂a averaged over the N outputs" if mean
                                                      else ", loss summed over the outputs")
    if act == "softmax":
        dot = 0.0
        for ai, gi in zip(a, g):
            dot += ai * gi
        return ([ai * (gi - dot) for ai, gi in zip(a, g)],
                f"δ[L]_i = a_i (g_i - Σ_j a_j g_j), g = ∂L/∂a (softmax{over})", True)
    g_prime = G_PRIME[act]
    return ([gi * g_prime(zi, ai) for gi, zi, ai in zip(g, z, a)],
            f"δ[L] = ∂L/∂a[L] ⊙ o'(z[L]) ({act} output{over})", False)


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
             loss: Union[str, Callable], reduction: str = "mean") -> Backprop:
    """The delta rule for one example: forward keeping ``z[l]``, ``a[l]``; then ``δ[L]`` and ``δ[l]`` for l < L.

    ``reduction`` is the loss's over the outputs (``"mean"`` or ``"sum"``, for the elementwise losses): with
    ``"sum"``, ``δ[L]`` is the notes' own formula (``a[L] - y`` for a sigmoid output with binary cross-entropy,
    ``-(t - y) σ'(z[L])`` for half squared error); ``"mean"`` divides it by the N outputs.
    """
    if isinstance(net, Module):
        net = network(net)
    name = _loss_key(loss)
    loss_rule(name, reduction)  # checks the reduction before any work
    fw = forward(net, x)
    L = net.depth
    y = _target_vector(name, target, len(fw.a[L]))
    out_act = net.activation[L]
    dL, rule, direct = _output_delta(name, out_act, fw.z[L], fw.a[L], y, reduction)
    delta: list = [None] * (L + 1)
    scale: list = [None] * (L + 1)
    delta[L] = dL
    if direct:
        scale[L] = [abs(d) + abs(ai) + abs(yi) for d, ai, yi in zip(dL, fw.a[L], y)]
    else:
        scale[L] = [abs(d) + (abs(ai) + abs(yi)) * abs(G_PRIME[out_act](zi, ai))
                    for d, zi, ai, yi in zip(dL, fw.z[L], fw.a[L], y)]
    for li in range(L - 1, 0, -1):
        W_next, d_next, s_next = net.W[li + 1], delta[li + 1], scale[li + 1]
        g_prime = G_PRIME[net.activation[li]]
        dl, sl = [], []
        for k in range(len(fw.z[li])):
            back, back_abs = 0.0, 0.0
            for j, row in enumerate(W_next):
                back += row[k] * d_next[j]
                back_abs += abs(row[k]) * s_next[j]
            gp = g_prime(fw.z[li][k], fw.a[li][k])
            dl.append(back * gp)
            sl.append(back_abs * abs(gp))
        delta[li], scale[li] = dl, sl
    try:
        value = loss_rule(name, reduction)[0](fw.a[L], y)
    except (ValueError, ZeroDivisionError):
        value = math.inf
    return Backprop(fw.z, fw.a, delta, value, rule, scale)


def _accumulate(net: Network, X: Sequence, y: Sequence, loss: Union[str, Callable], l2: float,
                reduction: str = "mean") -> tuple:
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
        bp = backprop(net, x, t, loss, reduction)
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
              l2: float = 0.0, reduction: str = "mean") -> dict:
    """``D[l] = (1/n) Σ δ[l] a[l-1]ᵀ + λ W[l]`` and ``(1/n) Σ δ[l]``, keyed like ``model.state_dict()``.

    ``reduction`` is the loss's over the outputs of one example (``"mean"`` or ``"sum"``), as in ``fit``.
    """
    net = model if isinstance(model, Network) else network(model)
    dW, db, _, _, _ = _accumulate(net, X, y, loss, l2, reduction)
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
    reduction: str = "mean"

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
        loss = self.loss if self.reduction == "mean" else f"{self.loss} (reduction={self.reduction!r})"
        lines = [f"delta rule vs engine: {self.examples} example(s), loss {loss}, {self.rule}",
                 f"loss: engine {self.loss_engine:.17g}, delta rule {self.loss_delta:.17g}",
                 "layer  shape     max |dW diff|  max |db diff|  max rel",
                 ]
        for c in self.layers:
            shape = f"{c.shape[0]}x{c.shape[1]}"
            lines.append(f"{c.layer:<6} {shape:<9} {c.max_abs_W:<14.3g} {c.max_abs_b:<14.3g} {c.max_rel:.3g}")
        return "\n".join(lines)


def check(model: Module, X: Sequence, y: Sequence, loss: Union[str, Callable], l2: float = 0.0,
          reduction: str = "mean") -> DeltaCheck:
    """Compare the engine's gradients of ``(1/n) Σ loss(model(x_i), y_i) + (λ/2) Σ w²`` with the delta rule's.

    The engine side is exactly what :func:`nn.train.fit` differentiates (via ``autograd_core.gradients``, which
    leaves every ``.grad`` untouched), with the same ``reduction`` of the loss over the outputs; the delta side
    never touches a Value. Returns a :class:`DeltaCheck`; ``str()`` of it is a per-layer table.
    """
    net = network(model)
    name = _loss_key(loss)
    loss_rule(name, reduction)  # checks the reduction before any work
    dW, db, scale, loss_delta, rule = _accumulate(net, X, y, name, l2, reduction)
    _, total = batch_loss(model, list(X), list(y), name, l2, reduction=reduction)
    params = model.parameters()
    grads = dict(zip(params, ag.gradients(total, params)))
    results = []
    for li, dense in enumerate(model.dense_layers(), start=1):
        eng_W = [[grads[w] for w in row] for row in dense.W]
        eng_b = [grads[v] for v in dense.b]
        diff_W = max(abs(e - d) for er, dr in zip(eng_W, dW[li]) for e, d in zip(er, dr))
        diff_b = max(abs(e - d) for e, d in zip(eng_b, db[li]))
        top = max([scale[li]] + [abs(e) for row in eng_W for e in row] + [abs(e) for e in eng_b])
        results.append(LayerCheck(li, (len(dW[li]), len(dW[li][0])), diff_W, diff_b, top))
    return DeltaCheck(tuple(results), total.data, loss_delta, rule, len(X), name, reduction)



# ---------------------------------------------------------------------------------------------------------------
# notes 003's from-to indices
# ---------------------------------------------------------------------------------------------------------------
def _positive_int(where: str, what: str, v: object) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
        raise ValueError(f"{where}: {what} must be an int >= 1 (notes 003 count from 1), got {v!r}")
    return int(v)


def notes_003_index(i: int, j: int, layers: tuple = (0, 1)) -> tuple:
    """Where notes 003's weight ``w_ij^(l-1,l)`` lives in our layout: ``(l - 1, j - 1, i - 1)``.

    Notes 003 write ``w_ij^(0,1)`` for the weight *from* input i *to* hidden unit j and ``w_jk^(1,2)`` from hidden
    unit j to output k: the from-index first, counted from 1, the pair of layers as a superscript (layer 0 is the
    input). Our layers store ``W[j][k]``, the weight from input k *to* neuron j (notes 000's ``w^l_jk``: the
    to-index first), counted from 0. So ``w_ij^(l-1,l)`` is ``model.dense_layers()[l - 1].W[j - 1][i - 1]``: the
    transpose, shifted by one. The result indexes ``model.dense_layers()`` (for an MLP also ``model.layers``), then
    the row, then the column. ValueError for an index below 1 or layers other than two consecutive numbers from 0.
    """
    where = "nn.delta.notes_003_index"
    i, j = _positive_int(where, "i", i), _positive_int(where, "j", j)
    try:
        low, high = layers
    except (TypeError, ValueError):
        raise ValueError(f"{where}: layers must be a pair (l - 1, l) such as (0, 1) or (1, 2), "
                         f"got {layers!r}") from None
    if (isinstance(low, bool) or not isinstance(low, numbers.Integral) or low < 0 or isinstance(high, bool)
            or not isinstance(high, numbers.Integral) or high != low + 1):
        raise ValueError(f"{where}: layers must be a pair (l - 1, l) of consecutive layer numbers from 0, such as "
                         f"(0, 1) or (1, 2), got {layers!r}")
    return int(high) - 1, j - 1, i - 1


def notes_003_weight(model: Module, i: int, j: int, layers: tuple = (0, 1)):
    """The model's Value for notes 003's ``w_ij^(l-1,l)`` (from unit i of layer l - 1 to unit j of layer l).

    ``notes_003_weight(model, i, j, (0, 1))`` is ``model.dense_layers()[0].W[j - 1][i - 1]`` (see
    :func:`notes_003_index`): the model's own parameter, so setting its ``.data`` changes the model. ValueError
    naming the model's shape when the index is out of range.
    """
    where = "nn.delta.notes_003_weight"
    layer, row, col = notes_003_index(i, j, layers)
    if not isinstance(model, Module):
        raise TypeError(f"{where}: model must be an MLP, Layer or Neuron, got {type(model).__name__}")
    dense = model.dense_layers()
    pair = f"({layers[0]},{layers[1]})"
    if layer >= len(dense):
        raise ValueError(f"{where}: layers {pair} are past the output: the model has {len(dense)} weight layer(s), "
                         f"layers (0,1) to ({len(dense) - 1},{len(dense)})")
    W = dense[layer].W
    if row >= len(W) or col >= len(W[0]):
        raise ValueError(f"{where}: w_{i}{j}^{pair} does not exist: layers {pair} go from {len(W[0])} unit(s) to "
                         f"{len(W)} (i in 1..{len(W[0])}, j in 1..{len(W)})")
    return W[row][col]


def notes_003_matrix(w: Sequence[Sequence[float]]) -> list:
    """Notes 003's matrix ``w[i][j]`` (rows: the units weights come *from*) as our ``W[j][i]`` (rows: *to*), a copy.

    The transpose; applying it twice gives the original back, so it also turns our ``W`` into notes 003's
    matrix. ``notes_003_matrix([[w11, w12], [w21, w22], [w31, w32]])`` (3 inputs, 2 hidden units) is
    ``[[w11, w21, w31], [w12, w22, w32]]``, ready for ``model.layers[0].W``. ValueError for a ragged or empty matrix.
    """
    rows = [list(r) for r in w]
    if not rows or not rows[0] or any(len(r) != len(rows[0]) for r in rows):
        raise ValueError(f"nn.delta.notes_003_matrix: w must be a non-empty rectangular list of rows, got row lengths "
                         f"{[len(r) for r in rows]}")
    return [[rows[i][j] for i in range(len(rows))] for j in range(len(rows[0]))]
