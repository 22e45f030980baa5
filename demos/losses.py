"""KL vs L2 as a function of the prediction (notes 002), and what gradient descent sees through a sigmoid.

Notes 002 compare two divergences for a binary classifier with output Y in (0, 1) and target d in {0, 1}:
``L2(Y, d) = (y - d)²`` and ``KL(Y, d) = -d log Y - (1 - d) log(1 - Y)`` (binary cross-entropy, the KL divergence
between ``[Y, 1 - Y]`` and ``[d, 1 - d]``). "Both KL and L2 have a minimum when y is the target value of d. KL rises
much more steeply away from d, encouraging faster convergence of gradient descent."

The demo computes both with ``nn.losses`` (``binary_cross_entropy`` and ``mse``) and differentiates them with the
engine: the losses and ``dL/dY`` against Y, and ``dL/dz`` for a sigmoid output ``Y = σ(z)``, the gradient the output
unit actually receives. There the difference is starkest: ``dKL/dz = Y - d`` (notes 000's ``a - y``) stays large for
a confident wrong answer, while ``dL2/dz = 2 (Y - d) σ'(z)`` vanishes with σ'.

Run: ``python -m demos.losses [--quick] [--out DIR]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import nn
from autograd_core import Value

from ._common import heading, new_figure, parse_args, run, save_figure, table

__all__ = ["main", "LOSSES", "evaluate"]

# name -> nn's loss function of (Y, d) (one output: the mean over one output is the term itself)
LOSSES = {"KL (binary cross-entropy)": nn.losses.binary_cross_entropy, "L2 (y - d)²": nn.losses.mse}
PROBES = (0.01, 0.1, 0.5, 0.9, 0.99)


def evaluate(loss, y: float, d: float) -> tuple:
    """``(L, dL/dY, dL/dz)`` at the prediction ``Y = y = σ(z)`` for target ``d``, by the engine."""
    Y = Value(y)
    L = loss(Y, d)
    L.backward()
    z = Value(math.log(y / (1.0 - y)))
    Lz = loss(z.sigmoid(), d)
    Lz.backward()
    return L.data, Y.grad, z.grad


def _plot(ys: list, curves: dict):
    fig = new_figure(14.0, 4.3)
    axes = fig.subplots(1, 3)
    colors = {"KL (binary cross-entropy)": "#d62728", "L2 (y - d)²": "#1f77b4"}
    titles = ("the loss against the prediction", "dL/dY: slope against the prediction",
              "dL/dz through a sigmoid output Y = σ(z)")
    ylabels = ("loss", "dL/dY", "dL/dz (what the output unit receives)")
    for k, ax in enumerate(axes):
        for name, per_target in curves.items():
            for d, style in ((1.0, "-"), (0.0, "--")):
                ax.plot(ys, [v[k] for v in per_target[d]], style, color=colors[name], label=f"{name}, d = {d:g}")
        ax.axhline(0.0, color="0.8", linewidth=0.8, zorder=0)
        ax.set_xlabel("prediction Y")
        ax.set_ylabel(ylabels[k])
        ax.set_title(titles[k], fontsize=10)
    axes[0].set_ylim(0.0, 5.0)
    axes[1].set_ylim(-20.0, 20.0)
    axes[2].set_ylim(-1.1, 1.1)
    axes[0].legend(fontsize=8, loc="upper center")
    axes[1].legend(fontsize=8, loc="upper center")
    axes[2].legend(fontsize=8, loc="upper left")
    return fig


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return the losses and gradients at the probe predictions and the KL/L2 gradient ratios."""
    args = parse_args("losses", "KL vs L2 as a function of the prediction (notes 002), computed and "
                      "differentiated by the engine.", argv, "a coarser grid (199 points instead of 999)")
    n = 199 if args.quick else 999
    ys = [(i + 1) / (n + 1) for i in range(n)]
    curves = {name: {d: [evaluate(f, y, d) for y in ys] for d in (1.0, 0.0)} for name, f in LOSSES.items()}

    heading("Target d = 1: the two losses and their gradients at a few predictions")
    kl, l2 = LOSSES.values()
    probes, rows = {}, []
    for y in PROBES:
        a, b = evaluate(kl, y, 1.0), evaluate(l2, y, 1.0)
        probes[y] = {"kl": a, "l2": b}
        rows.append((f"{y:g}", f"{a[0]:.4f}", f"{b[0]:.4f}", f"{a[1]:.4f}", f"{b[1]:.4f}", f"{a[2]:.4f}",
                     f"{b[2]:.4f}", f"{a[2] / b[2]:.3g}"))
    print(table(("Y", "KL", "L2", "dKL/dY", "dL2/dY", "dKL/dz", "dL2/dz", "ratio dz"), rows))
    print("KL = -log Y rises without bound as Y -> 0; L2 = (Y - 1)^2 never exceeds 1.")
    ratio = probes[0.01]["kl"][2] / probes[0.01]["l2"][2]
    print("Through a sigmoid, dKL/dz = Y - d (notes 000's a - y) and dL2/dz = 2 (Y - d) σ'(z) = 2 (Y - d) Y (1 - Y): "
          f"for a confident wrong answer, Y = 0.01, KL's gradient is {ratio:.3g} times L2's, which is what "
          "'encouraging faster convergence' means.")
    both_zero = {name: min(range(n), key=lambda i: per[1.0][i][0]) for name, per in curves.items()}
    print(f"both are smallest at the grid point nearest d = 1 (Y = {ys[-1]:.3f}) and 0 at Y = d")

    heading("Files")
    path = save_figure(_plot(ys, curves), args.out / "kl_vs_l2.png")
    print(f"  {path}")
    return {"probes": probes, "ratio_dz_at_0.01": ratio,
            "argmin": {name: ys[i] for name, i in both_zero.items()}, "points": n, "files": [str(path)]}


if __name__ == "__main__":
    run(main)
