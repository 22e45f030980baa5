"""Exploding gradients and gradient clipping (notes 003), with ``nn.fit(..., clip_norm=...)``.

Notes 003: "Exploding gradient is opposite of vanishing gradient where large gradients accumulate leading to an
unstable network with large weights. Gradient clipping and weight regularization are used to handle exploding
gradients." The delta rule multiplies the error signal by ``W[l+1]ᵀ`` and ``g'(z[l])`` once per layer on the way
back (``δ[l] = W[l+1]ᵀ δ[l+1] ⊙ g'(z[l])``). He initialisation (``init="he"``) sizes the weights of a ReLU layer so
that this product keeps its size on average; with every weight 1.5 times larger, each layer multiplies both the
forward signal and the backward one by about 1.5, so the gradient grows like 1.5^(2L) with the depth L.

The demo (a 10-layer ReLU network, ``MLP(4, [8] * 9 + [1])``, weights He x 1.5, mean squared error on 16 samples
of a smooth target):

1. the gradient norm ``‖∂L/∂θ‖`` at initialisation against the depth, He x 1 and He x 1.5;
2. ``‖δ[l]‖`` layer by layer (``nn.delta.backprop``): the error signal grows as it travels back to the input;
3. the same SGD run twice from the same weights, without clipping and with ``clip_norm=1``: with clipping, when
   ``‖g‖ > 1`` every gradient is scaled by ``1/‖g‖`` (:func:`nn.optim.clip_grad_norm`), so no step moves the
   parameters by more than the learning rate. Without it the first steps are enormous, the ReLUs die and the
   network ends up stuck near the loss of a constant output; with it the network learns.

Run: ``python -m demos.exploding_gradients [--quick] [--out DIR]``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import autograd_core as ag
import nn

from ._common import heading, new_figure, parse_args, run, save_figure, table

__all__ = ["main", "make_data", "build", "gradient_norm", "GAIN", "CLIP_NORM", "LEARNING_RATE", "WIDTH"]

GAIN = 1.5          # every weight of the He initialisation multiplied by this
WIDTH = 8
DEPTH = 10          # weight layers
CLIP_NORM = 1.0
LEARNING_RATE = 0.05
SEED = 3


def make_data(n: int = 16, seed: int = 0) -> tuple:
    """``n`` points x in [-1, 1]^4 with the smooth target ``sin(x1) + x2 x3 / 2``; returns ``(X, y)``."""
    rng = random.Random(seed)
    X = [[rng.uniform(-1.0, 1.0) for _ in range(4)] for _ in range(n)]
    return X, [math.sin(x[0]) + 0.5 * x[1] * x[2] for x in X]


def build(depth: int = DEPTH, gain: float = GAIN, seed: int = SEED) -> nn.MLP:
    """A ReLU ``MLP(4, [8] * (depth - 1) + [1])`` with He initial weights multiplied by ``gain`` (biases 0)."""
    model = nn.MLP(4, [WIDTH] * (depth - 1) + [1], activation="relu", init="he", seed=seed, scopes="none")
    for layer in model.layers:
        for row in layer.W:
            for w in row:
                w.data *= gain
    return model


def gradient_norm(model: nn.MLP, X: list, y: list) -> float:
    """``‖∂L/∂θ‖`` over every parameter, L the mean squared error on ``(X, y)`` (no .grad is touched)."""
    _, loss = nn.train.batch_loss(model, X, y, "mse")
    grads = ag.gradients(loss, model.parameters())
    top = max(map(abs, grads))
    return top * math.sqrt(math.fsum((g / top) ** 2 for g in grads)) if top else 0.0


def _geometric_mean(xs: list) -> float:
    return math.exp(math.fsum(math.log(x) for x in xs) / len(xs))


def _delta_norms(model: nn.MLP, X: list, y: list) -> list:
    """Mean over the samples of ‖δ[l]‖ for l = 1..L (nn.delta: the delta rule on floats)."""
    depth = len(model.layers)
    sums = [0.0] * (depth + 1)
    for x, t in zip(X, y):
        bp = nn.delta.backprop(model, x, t, "mse")
        for li in range(1, depth + 1):
            sums[li] += math.sqrt(math.fsum(d * d for d in bp.delta[li]))
    return [s / len(X) for s in sums[1:]]


def _train(X: list, y: list, steps: int, clip_norm: float | None) -> dict:
    model = build()
    history = nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=LEARNING_RATE), epochs=steps,
                     progress=False, clip_norm=clip_norm)
    return {"loss": history.step_loss, "grad_norm": history.grad_norm,
            "final_loss": nn.evaluate(model, X, y, "mse").loss}


def _plot(depths, sweep, delta_norms, runs, baseline, steps):
    fig = new_figure(14.0, 7.4)
    (ax_d, ax_l), (ax_t, ax_g) = fig.subplots(2, 2)
    for label, norms, color in (("He initialisation", sweep[1.0], "#1f77b4"),
                                (f"He x {GAIN} (weights too large)", sweep[GAIN], "#d62728")):
        ax_d.plot(depths, norms, "o-", color=color, label=label)
    ax_d.set_yscale("log")
    ax_d.set_xlabel("number of weight layers L")
    ax_d.set_ylabel("‖∂L/∂θ‖ at initialisation (log)")
    ax_d.set_title("‖∂L/∂θ‖ at initialisation, geometric mean of 5 seeds", fontsize=10)
    ax_d.legend(fontsize=8)
    layers = list(range(1, len(delta_norms) + 1))
    ax_l.plot(layers, delta_norms, "o-", color="#d62728", label=f"He x {GAIN}, {len(layers)} layers")
    ax_l.set_yscale("log")
    ax_l.set_xticks(layers)
    ax_l.set_xlabel("layer l (1 = first hidden layer, input side)")
    ax_l.set_ylabel("mean ‖δ[l]‖ = ‖∂L/∂z[l]‖ (log)")
    ax_l.set_title("δ[l] = W[l+1]ᵀ δ[l+1] ⊙ g'(z[l]) grows from layer L back to layer 1", fontsize=10)
    ax_l.legend(fontsize=8)
    colors = {"no clipping": "#d62728", f"clip_norm={CLIP_NORM:g}": "#2ca02c"}
    for name, r in runs.items():
        ax_t.plot(range(len(r["loss"])), r["loss"], color=colors[name], label=name)
        ax_g.plot(range(len(r["grad_norm"])), r["grad_norm"], color=colors[name], label=name)
    ax_t.axhline(baseline, color="k", linestyle=":", label="loss of the best constant output")
    ax_t.set_yscale("log")
    ax_t.set_xlabel(f"step (SGD, full batch, lr {LEARNING_RATE})")
    ax_t.set_ylabel("mean squared error (log)")
    ax_t.set_title(f"training from the same weights, {steps} steps")
    ax_t.legend(fontsize=8)
    ax_g.axhline(CLIP_NORM, color="#2ca02c", linestyle="--", linewidth=1, label=f"clip threshold {CLIP_NORM:g}")
    ax_g.set_yscale("log")
    ax_g.set_xlabel("step")
    ax_g.set_ylabel("‖g‖ before clipping (log)")
    ax_g.set_title("gradient norm per step (history.grad_norm)")
    ax_g.legend(fontsize=8)
    return fig


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return the depth sweep, the δ norms per layer and both training runs."""
    args = parse_args("exploding_gradients", "Exploding gradients in a deep ReLU net, and the same run with "
                      "fit(..., clip_norm=1) (notes 003).", argv, "100 training steps instead of 300")
    steps = 100 if args.quick else 300
    X, y = make_data()
    mean = sum(y) / len(y)
    baseline = sum((t - mean) ** 2 for t in y) / len(y)

    heading("The gradient norm at initialisation against the depth (ReLU, width 8, 16 samples, 5 seeds)")
    depths = list(range(2, 13, 2))
    sweep = {gain: [_geometric_mean([gradient_norm(build(d, gain, seed), X, y) for seed in range(5)])
                    for d in depths] for gain in (1.0, GAIN)}
    print(table(["layers"] + [str(d) for d in depths],
                [["He", *(f"{v:.3g}" for v in sweep[1.0])], [f"He x {GAIN}", *(f"{v:.3g}" for v in sweep[GAIN])]]))
    growth = sweep[GAIN][-1] / sweep[GAIN][0]
    print(f"He x {GAIN}: {growth:.3g} times larger at {depths[-1]} layers than at {depths[0]} "
          f"(about {GAIN}^2 = {GAIN ** 2:g} per layer: forward and backward signals both grow)")

    heading(f"The error signal layer by layer, {DEPTH} layers, He x {GAIN} (nn.delta.backprop)")
    delta_norms = _delta_norms(build(), X, y)
    print(table(("layer", "mean ‖δ[l]‖"), [(li, f"{v:.3g}") for li, v in enumerate(delta_norms, start=1)]))
    print(f"first layer / last layer: {delta_norms[0] / delta_norms[-1]:.3g}")

    heading(f"{steps} steps of SGD (lr {LEARNING_RATE}) from the same weights, without and with "
            f"clip_norm={CLIP_NORM:g}")
    runs = {"no clipping": _train(X, y, steps, None), f"clip_norm={CLIP_NORM:g}": _train(X, y, steps, CLIP_NORM)}
    rows = [(name, f"{r['loss'][0]:.4g}", f"{max(r['loss']):.3g}", f"{max(r['grad_norm']):.3g}",
             f"{r['final_loss']:.4g}", f"{r['grad_norm'][-1]:.3g}") for name, r in runs.items()]
    print(table(("run", "loss at step 0", "largest loss", "largest ‖g‖", "final loss", "final ‖g‖"), rows))
    print(f"(the best constant output, the mean target, scores {baseline:.4f})")
    free, clipped = runs["no clipping"], runs[f"clip_norm={CLIP_NORM:g}"]
    print(f"Without clipping the first update is enormous (lr x ‖g‖ = {LEARNING_RATE * free['grad_norm'][0]:.3g}) and "
          f"the loss shoots up to {max(free['loss']):.3g}; "
          + ("the ReLUs die, the gradient vanishes and the network ends stuck at a constant output."
             if abs(free["final_loss"] - baseline) <= 0.1 * baseline else
             f"after {steps} steps it is still at {free['final_loss']:.3g}, above a constant output's "
             f"{baseline:.3g}." if free["final_loss"] > baseline else
             f"it ends at {free['final_loss']:.3g}."))
    print(f"With clip_norm={CLIP_NORM:g} no step moves the parameters by more than lr x {CLIP_NORM:g} = "
          f"{LEARNING_RATE * CLIP_NORM:g}, and the same network learns: {clipped['final_loss']:.3g}, "
          f"{clipped['final_loss'] / baseline:.0%} of a constant output's loss.")

    heading("Files")
    path = save_figure(_plot(depths, sweep, delta_norms, runs, baseline, steps), args.out / "exploding_gradients.png")
    print(f"  {path}")
    return {"depths": depths, "sweep": sweep, "growth": growth, "delta_norms": delta_norms, "runs": runs,
            "baseline": baseline, "steps": steps, "files": [str(path)]}


if __name__ == "__main__":
    run(main)
