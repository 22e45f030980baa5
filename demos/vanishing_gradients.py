"""Vanishing gradients: per-layer gradient norms at initialisation of a 10-layer network, sigmoid vs tanh vs ReLU.

The network is ``nn.MLP(8, [16] * 9 + [1])``: 10 weight layers, 9 hidden layers of 16 units with the activation
under test, a linear output, Xavier initialisation with the same seed (so the three networks have identical weights
and differ only in the activation). Backward multiplies the error signal, layer by layer, by ``W[l+1]ᵀ`` and by
``g'(z[l])`` (the delta rule ``δ[l] = W[l+1]ᵀ δ[l+1] ⊙ g'(z[l])``). For the sigmoid ``σ'(z) = σ(z)(1 - σ(z)) ≤ 1/4``
(equality at z = 0), so each sigmoid layer shrinks the signal by a factor 4 or more and the first layer's gradient
is orders of magnitude smaller than the last layer's; tanh' ≤ 1 (= 1 at 0) and ReLU' is 0 or 1, so they keep it.

Run: ``python -m demos.vanishing_gradients [--quick] [--out DIR]``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import autograd_core as ag
import nn

from ._common import heading, new_figure, parse_args, run, save_figure, table

__all__ = ["main", "layer_gradient_norms", "derivative_curve", "ACTIVATIONS", "SIZES"]

ACTIVATIONS = ("sigmoid", "tanh", "relu")
SIZES = [16] * 9 + [1]
SEED = 0


def layer_gradient_norms(activation: str, X: list, y: list, seed: int = SEED) -> list:
    """``‖∂L/∂W[l]‖`` (Frobenius) for l = 1..10 at initialisation; L is the mean squared error over ``(X, y)``."""
    model = nn.MLP(len(X[0]), SIZES, activation=activation, init="xavier", seed=seed, scopes="none")
    loss = ag.sum([nn.losses.mse(model(x), t) for x, t in zip(X, y)]) * (1.0 / len(X))
    weights = [[w for row in layer.W for w in row] for layer in model.layers]
    grads = ag.gradients(loss, [w for ws in weights for w in ws])
    norms, i = [], 0
    for ws in weights:
        norms.append(math.sqrt(math.fsum(g * g for g in grads[i:i + len(ws)])))
        i += len(ws)
    return norms


def derivative_curve(activation: str, zs: Sequence[float]) -> list:
    """The activation's derivative at each z, from the engine (``autograd_core.grad``)."""
    g = nn.layers.activation_function(activation)
    d = ag.grad(lambda z: g(z))
    return [d(z) for z in zs]


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return ``norms`` per activation, ``ratio`` (first layer / last layer) and ``max_sigmoid_slope``."""
    args = parse_args("vanishing_gradients", "Per-layer gradient norms of a 10-layer net at initialisation: "
                      "sigmoid vs tanh vs ReLU.", argv, "16 input examples instead of 64")
    n = 16 if args.quick else 64
    rng = random.Random(SEED)
    X = [[rng.gauss(0.0, 1.0) for _ in range(8)] for _ in range(n)]
    y = [rng.gauss(0.0, 1.0) for _ in range(n)]

    heading("Why sigmoid stacks vanish: σ'(z) = σ(z)(1 - σ(z)) ≤ 0.25")
    zs = [-6.0 + 12.0 * i / 240 for i in range(241)]
    curves = {a: derivative_curve(a, zs) for a in ACTIVATIONS}
    max_slope = max(curves["sigmoid"])
    print(f"largest σ'(z) over z in [-6, 6], from the engine: {max_slope:.6f} at z = "
          f"{zs[curves['sigmoid'].index(max_slope)]:g} (σ(0) = 0.5, 0.5 x 0.5 = 0.25)")
    print(f"largest tanh'(z): {max(curves['tanh']):.6f}; ReLU'(z) is 0 or 1")
    print("backward multiplies by g'(z) once per layer: through 9 sigmoid layers that is at most "
          f"0.25^9 = {0.25 ** 9:.2e} (times the weights), through tanh or ReLU layers at most 1")

    heading(f"Gradient norms per layer at initialisation: MLP(8, {SIZES}), Xavier init, {n} examples")
    norms = {a: layer_gradient_norms(a, X, y) for a in ACTIVATIONS}
    rows = [(f"{li + 1}", *(f"{norms[a][li]:.2e}" for a in ACTIVATIONS)) for li in range(len(SIZES))]
    print(table(("layer", *(f"‖dL/dW‖ {a}" for a in ACTIVATIONS)), rows))
    ratio = {a: norms[a][0] / norms[a][-1] for a in ACTIVATIONS}
    print("first layer / last layer: " + ", ".join(f"{a} {ratio[a]:.2g}" for a in ACTIVATIONS))
    print(f"with sigmoid the first layer's gradient is {1 / ratio['sigmoid']:.2g} times smaller than the last's; "
          "the remedy of notes 003 and 004: ReLU-family activations in deep networks")

    heading("Files")
    fig = new_figure(11.0, 4.0)
    ax_n, ax_d = fig.subplots(1, 2)
    colors = {"sigmoid": "#d62728", "tanh": "#1f77b4", "relu": "#2ca02c"}
    layers = list(range(1, len(SIZES) + 1))
    for a in ACTIVATIONS:
        ax_n.semilogy(layers, norms[a], "o-", color=colors[a], label=a)
        ax_d.plot(zs, curves[a], color=colors[a], label=f"{a}'(z)")
    ax_n.set_xticks(layers)
    ax_n.set_xlabel("layer (1 = next to the input)")
    ax_n.set_ylabel("‖∂L/∂W[l]‖ at initialisation")
    ax_n.set_title("gradient norm per layer, 10-layer network")
    ax_n.legend(fontsize=8)
    ax_d.axhline(0.25, color="#d62728", linestyle=":", linewidth=1)
    ax_d.annotate("σ'(z) ≤ 0.25", (2.2, 0.28), color="#d62728", fontsize=9)
    ax_d.set_xlabel("z")
    ax_d.set_ylabel("g'(z)")
    ax_d.set_title("the activations' derivatives (from the engine)")
    ax_d.legend(fontsize=8, loc="upper left")
    path = save_figure(fig, args.out / "vanishing_gradients.png")
    print(f"  {path}")
    return {"norms": norms, "ratio": ratio, "max_sigmoid_slope": max_slope, "examples": n, "files": [str(path)]}


if __name__ == "__main__":
    run(main)
