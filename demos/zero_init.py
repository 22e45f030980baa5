"""Notes 000's "Initialize all Θ randomly (NOT to 0!)", on XOR: zero, constant and random initial weights.

The network is the XOR demo's ``nn.MLP(2, [4, 1])``: four tanh hidden units, a sigmoid output, binary cross-entropy,
300 full-batch steps of SGD (lr 1). Only the initial weights differ:

* **zero**: every weight and bias 0. The hidden units output tanh(0) = 0, so the output weights get the gradient
  δ a = 0, and the hidden weights get ``W[2]ᵀ δ ⊙ g'(z) = 0``: nothing moves except the output bias, whose gradient
  ``mean(a - y) = 0.5 - 0.5`` is 0 on XOR's balanced targets. The output stays 0.5, the loss stays at ln 2.
* **constant**: every weight 0.5, biases 0. The four hidden units compute the same function and receive the same
  gradient at every step, so their rows of ``W[1]`` stay identical forever: the network is one hidden unit wide,
  a function of x1 + x2 alone, and cannot separate XOR.
* **random** (Xavier, seeded): the symmetry is broken at the start and the network learns XOR to 100%.

Run: ``python -m demos.zero_init [--quick] [--out DIR]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import nn

from ._common import heading, new_figure, parse_args, run, save_figure, table
from .xor import X, Y

__all__ = ["main", "INITS", "build", "row_spread"]

# name -> the value every weight starts at (None: random, Xavier with seed 1, as in demos.xor)
INITS = {"zero": 0.0, "constant 0.5": 0.5, "random": None}
EPOCHS = 300


def build(constant: float | None) -> nn.MLP:
    """XOR's ``MLP(2, [4, 1])`` (tanh hidden, sigmoid output); every weight ``constant`` and biases 0 unless None."""
    model = nn.MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=1)
    if constant is not None:
        for layer in model.layers:
            for row in layer.W:
                for w in row:
                    w.data = constant
            for b in layer.b:
                b.data = 0.0
    return model


def row_spread(model: nn.MLP) -> float:
    """The largest difference between any hidden unit's incoming weights and bias and the first unit's (0: all
    rows of ``[W[1] b[1]]`` identical)."""
    layer = model.layers[0]
    rows = [[w.data for w in row] + [b.data] for row, b in zip(layer.W, layer.b)]
    return max(abs(a - b) for row in rows[1:] for a, b in zip(row, rows[0]))


def _hidden_matrix(model: nn.MLP) -> list:
    layer = model.layers[0]
    return [[w.data for w in row] + [b.data] for row, b in zip(layer.W, layer.b)]


def _plot(curves: dict, matrices: dict, epochs: int):
    fig = new_figure(14.0, 4.0)
    grid = fig.add_gridspec(1, 4, width_ratios=[1.5, 1, 1, 1])
    ax = fig.add_subplot(grid[0, 0])
    colors = {"zero": "#d62728", "constant 0.5": "#ff7f0e", "random": "#1f77b4"}
    widths = {"zero": 4.0}  # drawn wide: it lies exactly on the ln 2 line
    for name, losses in curves.items():
        ax.plot(range(1, len(losses) + 1), losses, color=colors[name], linewidth=widths.get(name, 1.8),
                label=f"{name} initial weights")
    ax.axhline(math.log(2), color="k", linestyle=":", linewidth=1.2, label="ln 2 (output 0.5 everywhere)")
    ax.set_yscale("log")
    ax.set_xlabel("step (full batch, lr 1)")
    ax.set_ylabel("binary cross-entropy on XOR (log)")
    ax.set_title(f"training loss, {epochs} steps")
    ax.legend(fontsize=8, loc="lower left")
    top = max(abs(v) for m in matrices.values() for row in m for v in row) or 1.0
    for k, (name, matrix) in enumerate(matrices.items()):
        axm = fig.add_subplot(grid[0, k + 1])
        image = axm.imshow(matrix, cmap="RdBu_r", vmin=-top, vmax=top, aspect="auto")
        for r, row in enumerate(matrix):
            for c, v in enumerate(row):
                axm.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=8,
                         color="w" if abs(v) > 0.6 * top else "k")
        axm.set_xticks(range(3), ["w from x1", "w from x2", "bias"], fontsize=8)
        axm.set_yticks(range(len(matrix)), [f"unit {j}" for j in range(len(matrix))], fontsize=8)
        axm.set_xlabel("incoming weight")
        axm.set_ylabel("hidden unit")
        axm.set_title(f"{name}: hidden layer after training", fontsize=9)
        fig.colorbar(image, ax=axm, shrink=0.8, label="weight value (same scale in all three)")
    return fig


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return per initialisation the loss curve, final loss, accuracy and hidden-row spread."""
    args = parse_args("zero_init", "Initialise randomly, not to 0 (notes 000): zero, constant and random initial "
                      "weights on XOR.", argv, "100 steps instead of 300")
    epochs = 100 if args.quick else EPOCHS
    heading(f"XOR with MLP(2, [4, 1]), tanh hidden, sigmoid output, {epochs} full-batch steps of SGD (lr 1)")
    curves, matrices, results, rows = {}, {}, {}, []
    for name, constant in INITS.items():
        model = build(constant)
        start = row_spread(model)
        history = nn.fit(model, X, Y, "binary_cross_entropy", nn.SGD(model.parameters(), lr=1.0), epochs=epochs,
                         progress=False)
        ev = nn.evaluate(model, X, Y, "binary_cross_entropy")
        spread = row_spread(model)
        curves[name] = history.epoch_loss
        matrices[name] = _hidden_matrix(model)
        results[name] = {"final_loss": ev.loss, "accuracy": ev.accuracy, "row_spread": spread,
                         "initial_row_spread": start, "outputs": [model.predict(x) for x in X]}
        rows.append((name, f"{start:.3g}", f"{spread:.3g}", f"{history.epoch_loss[0]:.6f}", f"{ev.loss:.6f}",
                     f"{ev.accuracy:.0%}", " ".join(f"{model.predict(x):.2f}" for x in X)))
    print(table(("initial weights", "row spread before", "after", "loss at step 1", "final loss", "accuracy",
                 "outputs on (0,0) (0,1) (1,0) (1,1)"), rows))
    print(f"(row spread: the largest difference between two hidden units' incoming weights and bias; ln 2 = "
          f"{math.log(2):.6f})")
    print("zero: every gradient but the output bias's is exactly 0, and that one is 0 too on XOR's balanced targets, "
          "so nothing moves and the loss stays at ln 2.")
    print("constant: the hidden units start equal, get equal gradients and stay equal (spread 0): four copies of one "
          "unit, which sees only x1 + x2 and cannot separate XOR.")
    print("random: different starting rows, different gradients: the units specialise and XOR is learned.")

    heading("Files")
    path = save_figure(_plot(curves, matrices, epochs), args.out / "zero_init.png")
    print(f"  {path}")
    return {"epochs": epochs, "results": results, "curves": curves, "files": [str(path)]}


if __name__ == "__main__":
    run(main)
