"""XOR: a single linear unit cannot learn it, an MLP with one hidden layer can.

XOR's four points ``(0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0`` are not linearly separable: no line puts both 1s on one
side and both 0s on the other, so any single linear unit gets at most 3 of 4 right. The demo shows it three ways:
a sigmoid neuron trained with binary cross-entropy ends at outputs 0.5 everywhere (loss ln 2), a search over a grid
of lines never classifies more than 3 points, and an ``nn.MLP(2, [4, 1])`` with a tanh hidden layer reaches 100%.
The decision-boundary plot shows both models.

Run: ``python -m demos.xor [--quick] [--out DIR]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import nn

from ._common import heading, new_figure, parse_args, run, save_figure

__all__ = ["main", "X", "Y", "best_linear_accuracy"]

X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
Y = [0, 1, 1, 0]


def best_linear_accuracy(steps: int = 40) -> float:
    """The best accuracy on XOR of any rule ``w1 x1 + w2 x2 + b > 0`` with w1, w2, b on a grid over [-2, 2].

    Either orientation of a line counts (the grid holds ``(w, b)`` and ``(-w, -b)``). The answer is 0.75: XOR is
    not linearly separable.
    """
    grid = [-2.0 + 4.0 * i / steps for i in range(steps + 1)]
    best = 0
    for w1 in grid:
        for w2 in grid:
            for b in grid:
                best = max(best, sum((w1 * x1 + w2 * x2 + b > 0) == (t == 1) for (x1, x2), t in zip(X, Y)))
    return best / len(X)


def _boundary(ax, model, title: str, n: int):
    """Draw the model's output over the plane, its 0.5 contour and the four points (labelled for a legend)."""
    grid = [-0.5 + 2.0 * i / (n - 1) for i in range(n)]
    zz = [[model.predict([gx, gy]) for gx in grid] for gy in grid]
    cs = ax.contourf(grid, grid, zz, levels=[0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0], cmap="RdBu_r", alpha=0.75)
    ax.contour(grid, grid, zz, levels=[0.5], colors="k", linewidths=1.5)
    for target, color in ((0, "#2166ac"), (1, "#b2182b")):
        points = [x for x, t in zip(X, Y) if t == target]
        ax.scatter([p[0] for p in points], [p[1] for p in points], s=160, color=color, edgecolors="k", zorder=3,
                   label=f"target {target}")
    for (x1, x2), t in zip(X, Y):
        ax.annotate(str(t), (x1, x2), ha="center", va="center", color="w", fontsize=9, fontweight="bold", zorder=4)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("x1 (first input)")
    ax.set_ylabel("x2 (second input)")
    ax.set_aspect("equal")
    return cs


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return ``linear_accuracy``, ``best_linear_accuracy``, ``mlp_accuracy``, ``mlp_loss``, ``files``."""
    args = parse_args("xor", "XOR: a single linear unit fails, a one-hidden-layer MLP reaches 100%.", argv,
                      "a coarser grid of lines and a coarser decision-boundary plot (the training is the same)")
    heading("XOR with a single sigmoid neuron (a linear unit)")
    unit = nn.Neuron(2, activation="sigmoid", seed=0)
    nn.fit(unit, X, Y, "binary_cross_entropy", nn.SGD(unit.parameters(), lr=1.0), epochs=500, progress=False)
    lin = nn.evaluate(unit, X, Y, "binary_cross_entropy")
    for x, t in zip(X, Y):
        print(f"  x = {x}  target {t}  output {unit.predict(x):.6f}")
    print(f"after 500 full-batch steps: loss {lin.loss:.6f} (ln 2 = {math.log(2):.6f}), accuracy {lin.accuracy:.0%}")
    print("the best the unit can do under cross-entropy is to say 0.5 everywhere: every line it could draw gets "
          "at least one point wrong")
    best = best_linear_accuracy(16 if args.quick else 40)
    print(f"best accuracy of any line w1 x1 + w2 x2 + b = 0 on a grid of (w1, w2, b): {best:.0%} (3 of 4)")

    heading("XOR with an MLP: 2 inputs, 4 tanh hidden units, 1 sigmoid output")
    mlp = nn.MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=1)
    hist = nn.fit(mlp, X, Y, "binary_cross_entropy", nn.SGD(mlp.parameters(), lr=1.0), epochs=300, progress=False)
    res = nn.evaluate(mlp, X, Y, "binary_cross_entropy")
    for x, t in zip(X, Y):
        print(f"  x = {x}  target {t}  output {mlp.predict(x):.6f}")
    first = next((i + 1 for i, a in enumerate(hist.accuracy) if a == 1.0), None)
    print(f"{mlp.num_parameters()} parameters, 300 full-batch steps (lr 1): loss {res.loss:.6f}, accuracy "
          f"{res.accuracy:.0%} (first 100% at step {first})")

    heading("Files")
    fig = new_figure(9.0, 4.2)
    axes = fig.subplots(1, 2)
    n = 41 if args.quick else 121
    _boundary(axes[0], unit, f"single sigmoid unit: {lin.accuracy:.0%}", n)
    cs = _boundary(axes[1], mlp, f"MLP(2, [4, 1]): {res.accuracy:.0%}", n)
    fig.colorbar(cs, ax=axes, shrink=0.8, label="model output (probability of target 1)")
    from matplotlib.lines import Line2D

    handles, _ = axes[1].get_legend_handles_labels()
    handles.append(Line2D([], [], color="k", linewidth=1.5, label="decision boundary (output 0.5)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=9, frameon=False, markerscale=0.6)
    path = save_figure(fig, args.out / "xor_boundary.png")
    print(f"  {path}")
    return {"linear_accuracy": lin.accuracy, "linear_loss": lin.loss, "best_linear_accuracy": best,
            "mlp_accuracy": res.accuracy, "mlp_loss": res.loss, "mlp_first_perfect_step": first,
            "files": [str(path)]}


if __name__ == "__main__":
    run(main)
