"""Notes 001's 13-parameter regression network, trained by batch, stochastic and minibatch gradient descent.

The network of notes 001: one input, two hidden layers of two sigmoid units and a sigmoid output (its derivation
writes ``y_i = σ(d_i^(N))``), ``nn.MLP(1, [2, 2, 1], activation="sigmoid", output_activation="sigmoid")``:
w1, b1 ∈ R², W2 ∈ R^(2x2), b2 ∈ R², w3 ∈ R², b3 ∈ R, 2 + 2 + 4 + 2 + 2 + 1 = 13 parameters. The loss is notes 001's
``L = (1/N) Σ_i ½ (t_i - y_i)²`` (``"half_mse"``, averaged over the samples by ``fit``). Checking 50 values per
parameter would take 50^13 ≈ 1.22e22 evaluations of the loss, which is why we descend the gradient instead.

The data begin with the three points notes 001 give, ``{(-4.8, 0.0), (-4.5, 0.5), (-4.3, 0.3), ...}``; the notes do
not give the rest. **The rest is ours**: 37 points evenly spaced on [-4, 5] of the smooth bump
``t(x) = 0.1 + 0.8 exp(-x²/4)`` (values in [0.1, 0.9], inside the sigmoid output's range (0, 1)) plus Gaussian noise
of standard deviation 0.05, clipped to [0, 1], seeded. The three variants start from the same weights and see the
data the same number of times (epochs); they differ in how many examples each update averages over (notes 000):

* batch (deterministic) gradient descent: all N = 40 per update, one update per epoch;
* stochastic (online) gradient descent: 1 per update, 40 updates per epoch;
* minibatch gradient descent: m = 8 per update, 5 updates per epoch.

Run: ``python -m demos.regression [--quick] [--out DIR]``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import nn

from ._common import heading, new_figure, parse_args, run, save_figure, table

__all__ = ["main", "target", "make_data", "build_model", "NOTES_POINTS", "VARIANTS", "LOSS"]

# the dataset's first three points, as notes 001 write them
NOTES_POINTS = ((-4.8, 0.0), (-4.5, 0.5), (-4.3, 0.3))
# notes 001's loss: L = (1/N) Σ ½ (t - y)², the mean over the samples taken by fit
LOSS = "half_mse"
# (name, batch_size, learning rate): about the largest rate each variant tolerates on this problem
VARIANTS = (("batch", None, 10.0), ("stochastic", 1, 1.0), ("minibatch (m=8)", 8, 3.0))
SEED = 0


def target(x: float) -> float:
    """Our smooth target after the notes' three points: ``0.1 + 0.8 exp(-x²/4)``, in [0.1, 0.9]."""
    return 0.1 + 0.8 * math.exp(-x * x / 4.0)


def make_data(n: int = 37, noise: float = 0.05, seed: int = 0) -> tuple:
    """Notes 001's three points, then ``n`` evenly spaced x in [-4, 5] with ``t = target(x) + N(0, noise²)``.

    The noisy targets are clipped to [0, 1] (a sigmoid output's range). Returns ``(X, t)``, X as 1-lists, the
    notes' three points first.
    """
    rng = random.Random(seed)
    xs = [-4.0 + 9.0 * i / (n - 1) for i in range(n)]
    ts = [min(1.0, max(0.0, target(x) + rng.gauss(0.0, noise))) for x in xs]
    return [[x] for x, _ in NOTES_POINTS] + [[x] for x in xs], [t for _, t in NOTES_POINTS] + ts


def build_model(seed: int = SEED) -> nn.MLP:
    """Notes 001's network: ``MLP(1, [2, 2, 1])``, sigmoid hidden units and a sigmoid output, 13 parameters."""
    return nn.MLP(1, [2, 2, 1], activation="sigmoid", output_activation="sigmoid", seed=seed)


def _notes_form(points: Sequence) -> str:
    return "{" + ", ".join(f"({x:.1f}, {t:.1f})" for x, t in points) + ", ...}"


def _plot(X: list, y: list, curves: dict, updates: dict, fits: dict, epochs: int):
    """Loss per epoch, loss per update (per variant) and the fitted curves against the data, labelled."""
    fig = new_figure(13.0, 4.2)
    ax_e, ax_u, ax_f = fig.subplots(1, 3)
    colors = {"batch": "#1f77b4", "stochastic": "#d62728", "minibatch (m=8)": "#2ca02c"}
    for name, losses in curves.items():
        per_epoch = updates[name] / epochs
        ax_e.plot(range(len(losses)), losses, color=colors[name], label=name)
        ax_u.plot([max(1.0, e * per_epoch) for e in range(len(losses))], losses, color=colors[name], label=name)
    for ax, xlabel in ((ax_e, "epoch (passes over the data)"), (ax_u, "updates (log scale)")):
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"L = (1/N) Σ ½ (t - y)² on all N = {len(X)} (log)")
        ax.legend(fontsize=8)
    ax_u.set_xscale("log")
    ax_e.set_title("loss per epoch")
    ax_u.set_title("loss per update")
    k = len(NOTES_POINTS)
    grid = [-5.0 + 10.0 * i / 200 for i in range(201)]
    ax_f.scatter([x[0] for x in X[k:]], y[k:], s=14, color="k", label="our samples (noisy bump)", zorder=3)
    ax_f.scatter([x[0] for x in X[:k]], y[:k], s=60, marker="*", color="#ff7f0e", edgecolors="k",
                 label="notes 001's three points", zorder=4)
    ax_f.plot(grid, [target(g) for g in grid], ":", color="k", label="our target 0.1 + 0.8 exp(-x²/4)")
    order = sorted(range(len(X)), key=lambda i: X[i][0])
    for name in curves:
        ax_f.plot([X[i][0] for i in order], [fits[name][i] for i in order], color=colors[name], label=name)
    ax_f.set_ylim(-0.05, 1.35)  # room for the legend above the data
    ax_f.set_title("the fitted 13-parameter networks")
    ax_f.set_xlabel("x")
    ax_f.set_ylabel("t (target) and y (network output)")
    ax_f.legend(fontsize=7, loc="upper center", ncol=2)
    return fig


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return per variant the full-data loss after every epoch (``curves``), ``initial``/``final``."""
    args = parse_args("regression", "Notes 001's 13-parameter 1-2-2-1 sigmoid network: batch, stochastic and "
                      "minibatch gradient descent compared.", argv, "150 epochs per variant instead of 1000")
    epochs = 150 if args.quick else 1000
    X, y = make_data()
    model = build_model()
    heading("The network of notes 001: MLP(1, [2, 2, 1]), sigmoid hidden units, sigmoid output")
    names = [name for name, _ in model.named_parameters()]
    print(f"{model.num_parameters()} parameters: {', '.join(names)}")
    print(f"a grid search with 50 values per parameter would need 50^{len(names)} = {50 ** len(names):,} "
          f"≈ {50.0 ** len(names):.3g} loss evaluations; gradient descent needs one backward pass per update")
    print(f"dataset: {_notes_form([(x[0], t) for x, t in zip(X[:3], y[:3])])}  (notes 001's first three points)")
    print(f"         then {len(X) - 3} points of our target 0.1 + 0.8 exp(-x^2/4) + N(0, 0.05^2) on [-4, 5], "
          f"clipped to [0, 1]: N = {len(X)}")
    print("loss: L = (1/N) Σ ½ (t_i - y_i)^2 (notes 001)")

    heading(f"Batch, stochastic and minibatch gradient descent, {epochs} epochs each, same initial weights")
    initial_state = model.state_dict()
    curves, updates, fits, rows = {}, {}, {}, []
    for name, batch_size, lr in VARIANTS:
        model.load_state_dict(initial_state)
        losses = [nn.evaluate(model, X, y, LOSS).loss]

        def record(history, losses=losses) -> None:
            losses.append(nn.evaluate(model, X, y, LOSS).loss)

        history = nn.fit(model, X, y, LOSS, nn.SGD(model.parameters(), lr=lr), epochs=epochs,
                         batch_size=batch_size, seed=SEED, progress=False, callback=record)
        curves[name] = losses
        updates[name] = history.steps
        fits[name] = [model.predict(x) for x in X]
        rows.append((name, "N" if batch_size is None else batch_size, lr, history.steps, f"{losses[0]:.4f}",
                     f"{losses[-1]:.4f}", f"{min(losses):.4f}"))
    print(table(("variant", "examples/update", "lr", "updates", "L at start", "L at end", "lowest"), rows))
    floor = sum(0.5 * (t - target(x[0])) ** 2 for x, t in zip(X, y)) / len(X)
    print(f"(L is measured on all {len(X)} samples after each epoch; our target itself scores {floor:.4f}, most "
          "of it from the notes' points at x = -4.5 and -4.3)")
    print("All three first sit on a plateau, the loss of a nearly constant output, then escape it. Per epoch, "
          "stochastic and minibatch descent make many small noisy updates and get there first; batch descent "
          "takes one exact step per pass and needs more passes.")

    heading("Files")
    fig = _plot(X, y, curves, updates, fits, epochs)
    path = save_figure(fig, args.out / "regression_gd_variants.png")
    print(f"  {path}")
    return {"num_parameters": model.num_parameters(), "epochs": epochs, "samples": len(X),
            "first_points": [(x[0], t) for x, t in zip(X[:3], y[:3])], "curves": curves, "updates": updates,
            "initial": {k: v[0] for k, v in curves.items()}, "final": {k: v[-1] for k, v in curves.items()},
            "target_loss": floor, "output_activation": model.dense_layers()[-1].activation, "files": [str(path)]}


if __name__ == "__main__":
    run(main)
