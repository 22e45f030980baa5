"""The 13-parameter regression network of notes 001, trained by batch, stochastic and minibatch gradient descent.

``nn.MLP(1, [2, 2, 1], activation="sigmoid")``: one input, two hidden layers of two sigmoid neurons, one linear
output, 2 + 2 + 4 + 2 + 2 + 1 = 13 parameters. Checking 50 values per parameter would take 50^13 ≈ 1.22e22
evaluations of the loss, which is why we descend the gradient instead. The data are 41 noisy samples of the smooth
bump ``f(x) = 2 exp(-x²/4)`` on [-5, 5]. The three variants start from the same weights and see the data the same
number of times (epochs); they differ in how many examples each update averages over:

* batch (deterministic) gradient descent: all N = 41 per update, one update per epoch;
* stochastic (online) gradient descent: 1 per update, 41 updates per epoch;
* minibatch gradient descent: m = 8 per update, 6 updates per epoch.

Run: ``python -m demos.regression [--quick] [--out DIR]``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import nn

from ._common import heading, new_figure, parse_args, run, save_figure, table

__all__ = ["main", "target", "make_data", "VARIANTS"]

# (name, batch_size, learning rate): the rates are about the largest each variant tolerates on this problem
VARIANTS = (("batch", None, 0.3), ("stochastic", 1, 0.05), ("minibatch (m=8)", 8, 0.2))
SEED = 0


def target(x: float) -> float:
    """The smooth function the network learns: ``2 exp(-x²/4)``."""
    return 2.0 * math.exp(-x * x / 4.0)


def make_data(n: int = 41, noise: float = 0.1, seed: int = 0) -> tuple:
    """``n`` evenly spaced x in [-5, 5] with ``y = target(x) + N(0, noise²)``; returns ``(X, y)`` (X as 1-lists)."""
    rng = random.Random(seed)
    X = [[-5.0 + 10.0 * i / (n - 1)] for i in range(n)]
    return X, [target(x[0]) + rng.gauss(0.0, noise) for x in X]


def _plot(X: list, y: list, curves: dict, updates: dict, fits: dict, epochs: int):
    """Loss per epoch, loss per update (per variant) and the fitted curves against the data, labelled."""
    fig = new_figure(13.0, 4.0)
    ax_e, ax_u, ax_f = fig.subplots(1, 3)
    colors = {"batch": "#1f77b4", "stochastic": "#d62728", "minibatch (m=8)": "#2ca02c"}
    for name, losses in curves.items():
        per_epoch = updates[name] / epochs
        ax_e.plot(range(len(losses)), losses, color=colors[name], label=name)
        ax_u.plot([max(1.0, e * per_epoch) for e in range(len(losses))], losses, color=colors[name], label=name)
    for ax, xlabel in ((ax_e, "epoch"), (ax_u, "updates (log scale)")):
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"mean squared error on all {len(X)} samples (log)")
        ax.legend(fontsize=8)
    ax_u.set_xscale("log")
    ax_e.set_title("loss per epoch")
    ax_u.set_title("loss per update")
    grid = [-5.0 + 10.0 * i / 200 for i in range(201)]
    ax_f.scatter([x[0] for x in X], y, s=14, color="k", label=f"the {len(X)} noisy samples", zorder=3)
    ax_f.plot(grid, [target(g) for g in grid], ":", color="k", label="the true curve 2 exp(-x²/4)")
    for name in curves:
        ax_f.plot([x[0] for x in X], fits[name], color=colors[name], label=name)
    ax_f.set_title("the fitted 13-parameter networks")
    ax_f.set_xlabel("x")
    ax_f.set_ylabel("y (target and network output)")
    ax_f.legend(fontsize=8)
    return fig


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return per variant the full-data loss after every epoch (``curves``), ``initial``/``final``."""
    args = parse_args("regression", "The 13-parameter 1-2-2-1 sigmoid network: batch, stochastic and minibatch "
                      "gradient descent compared.", argv, "150 epochs per variant instead of 600")
    epochs = 150 if args.quick else 600
    X, y = make_data()
    model = nn.MLP(1, [2, 2, 1], activation="sigmoid", seed=SEED)
    heading("The network: MLP(1, [2, 2, 1]), sigmoid hidden layers, linear output")
    names = [name for name, _ in model.named_parameters()]
    print(f"{model.num_parameters()} parameters: {', '.join(names)}")
    print(f"a grid search with 50 values per parameter would need 50^{len(names)} = {50.0 ** len(names):.3g} loss "
          "evaluations; gradient descent needs one backward pass per update")
    print(f"data: {len(X)} samples of 2 exp(-x^2/4) + N(0, 0.1^2) on [-5, 5]; loss: mean squared error")

    heading(f"Batch, stochastic and minibatch gradient descent, {epochs} epochs each, same initial weights")
    initial_state = model.state_dict()
    curves, updates, fits, rows = {}, {}, {}, []
    for name, batch_size, lr in VARIANTS:
        model.load_state_dict(initial_state)
        losses = [nn.evaluate(model, X, y, "mse").loss]

        def record(history, losses=losses) -> None:
            losses.append(nn.evaluate(model, X, y, "mse").loss)

        history = nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=lr), epochs=epochs,
                         batch_size=batch_size, seed=SEED, progress=False, callback=record)
        curves[name] = losses
        updates[name] = history.steps
        fits[name] = [model.predict(x) for x in X]
        best = min(losses)
        rows.append((name, "N" if batch_size is None else batch_size, lr, history.steps, f"{losses[0]:.4f}",
                     f"{losses[-1]:.4f}", f"{best:.4f}"))
    print(table(("variant", "examples/update", "lr", "updates", "loss at start", "loss at end", "lowest"), rows))
    print("(the loss is measured on all 41 samples after each epoch; the noise alone gives about 0.01)")
    print("All three first sit on a plateau near 0.52, the loss of predicting the mean, then escape it. Per epoch, "
          "stochastic and minibatch descent make many small noisy updates and get there first; per update, batch "
          "descent's exact gradient is the most effective.")

    heading("Files")
    fig = _plot(X, y, curves, updates, fits, epochs)
    path = save_figure(fig, args.out / "regression_gd_variants.png")
    print(f"  {path}")
    return {"num_parameters": model.num_parameters(), "epochs": epochs, "curves": curves, "updates": updates,
            "initial": {k: v[0] for k, v in curves.items()}, "final": {k: v[-1] for k, v in curves.items()},
            "files": [str(path)]}


if __name__ == "__main__":
    run(main)
