"""Batch, stochastic and minibatch gradient descent on a two-parameter loss surface (notes 000).

A single linear unit ``y = w x + b`` fitted to N = 20 points by mean squared error has just two parameters, so its
loss ``L(w, b) = (1/N) Σ_i (w x_i + b - t_i)²`` is a surface over the (w, b) plane that can be drawn as contour
lines. Notes 000's three variants start from the same point and take the same number of passes over the data
(epochs); each step is ``θ ← θ - η ĝ`` with ĝ averaged over:

* batch (deterministic) gradient descent: all N examples, the exact gradient of L, one step per epoch;
* stochastic (online) gradient descent: one example, N noisy steps per epoch;
* minibatch gradient descent: m = 5 examples, N / m steps per epoch.

The batch path follows the steepest descent of L itself, at right angles to the contour lines, and L falls at every
step; the stochastic path zig-zags, because each step descends one example's loss, not L, and some of its steps
raise L. All three end near the least-squares minimum, which the demo computes in closed form.

Run: ``python -m demos.descent_paths [--quick] [--out DIR]``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import nn

from ._common import heading, new_figure, parse_args, run, save_figure, table

__all__ = ["main", "make_data", "full_loss", "least_squares", "VARIANTS", "START"]

# (name, batch_size, learning rate)
VARIANTS = (("batch", None, 0.3), ("stochastic", 1, 0.02), ("minibatch (m=5)", 5, 0.08))
START = (-1.0, 2.5)   # (w, b) where every path starts
EPOCHS = 60


def make_data(n: int = 20, seed: int = 0) -> tuple:
    """``n`` points x in [0, 2] with ``t = 1.5 x - 0.5 + N(0, 0.3²)``; returns ``(X, t)`` (X as 1-lists)."""
    rng = random.Random(seed)
    xs = [2.0 * rng.random() for _ in range(n)]
    return [[x] for x in xs], [1.5 * x - 0.5 + rng.gauss(0.0, 0.3) for x in xs]


def full_loss(w: float, b: float, X: list, t: list) -> float:
    """``L(w, b) = (1/N) Σ (w x_i + b - t_i)²`` on floats."""
    return sum((w * x[0] + b - ti) ** 2 for x, ti in zip(X, t)) / len(X)


def least_squares(X: list, t: list) -> tuple:
    """The minimum of L: ``w = cov(x, t) / var(x)``, ``b = mean(t) - w mean(x)`` (closed form)."""
    n = len(X)
    mx = sum(x[0] for x in X) / n
    mt = sum(t) / n
    w = sum((x[0] - mx) * (ti - mt) for x, ti in zip(X, t)) / sum((x[0] - mx) ** 2 for x in X)
    return w, mt - w * mx


class _Recorder:
    """An optimizer for ``fit`` that is ``nn.SGD`` and records ``(w, b)`` after every step."""

    def __init__(self, neuron: nn.Neuron, lr: float) -> None:
        self.neuron = neuron
        self.sgd = nn.SGD(neuron.parameters(), lr=lr)
        self.path = [(neuron.w[0].data, neuron.b.data)]

    def zero_grad(self) -> None:
        self.sgd.zero_grad()

    def step(self) -> None:
        self.sgd.step()
        self.path.append((self.neuron.w[0].data, self.neuron.b.data))


def _plot(X, t, paths, minimum, losses, epochs, grid_n):
    fig = new_figure(12.0, 9.0)
    axes = fig.subplots(2, 2)
    ws = [-1.4 + 3.2 * i / (grid_n - 1) for i in range(grid_n)]
    bs = [-0.9 + 3.9 * i / (grid_n - 1) for i in range(grid_n)]
    zz = [[full_loss(w, b, X, t) for w in ws] for b in bs]
    levels = [0.11, 0.15, 0.25, 0.5, 1.0, 2.0, 4.0]
    colors = {"batch": "#1f77b4", "stochastic": "#d62728", "minibatch (m=5)": "#2ca02c"}
    for ax, (name, path) in zip(axes.ravel(), paths.items()):
        cs = ax.contour(ws, bs, zz, levels=levels, colors="0.6", linewidths=0.8)
        ax.clabel(cs, fontsize=7, fmt="L=%g")
        ax.plot([p[0] for p in path], [p[1] for p in path], "-", color=colors[name], linewidth=1.0,
                marker="." if name == "batch" else None, markersize=4, label=f"{name} path: {len(path) - 1} steps")
        ax.plot(*START, "ko", markersize=7, label="start (w, b) = (-1, 2.5)")
        ax.plot(*minimum, "k*", markersize=13, label=f"minimum ({minimum[0]:.2f}, {minimum[1]:.2f})")
        ax.set_xlabel("w (slope)")
        ax.set_ylabel("b (intercept)")
        ax.set_title(f"{name} gradient descent, {epochs} epochs, on the contours of L(w, b)", fontsize=10)
        ax.legend(fontsize=8, loc="lower left")
    ax_l = axes[1, 1]
    for name, curve in losses.items():
        per_epoch = (len(curve) - 1) / epochs
        ax_l.plot([k / per_epoch for k in range(len(curve))], curve, color=colors[name], linewidth=1.0, label=name)
    ax_l.axhline(full_loss(*minimum, X, t), color="k", linestyle=":", label="L at the minimum")
    ax_l.set_yscale("log")
    ax_l.set_xlabel("epochs (passes over the data)")
    ax_l.set_ylabel(f"L(w, b) on all {len(X)} points, after every step (log)")
    ax_l.set_title("the loss along each path", fontsize=10)
    ax_l.legend(fontsize=8)
    return fig


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return each path, the loss after every step, and the distance to the minimum."""
    args = parse_args("descent_paths", "Batch, stochastic and minibatch gradient descent on a two-parameter loss "
                      "surface (notes 000).", argv, "a coarser contour grid (41 instead of 121 points per side)")
    epochs = EPOCHS
    X, t = make_data()
    minimum = least_squares(X, t)
    heading(f"y = w x + b on {len(X)} points, L(w, b) = (1/N) Σ (w x_i + b - t_i)², start (w, b) = {START}")
    print(f"least-squares minimum: w = {minimum[0]:.4f}, b = {minimum[1]:.4f}, L = {full_loss(*minimum, X, t):.4f}")
    paths, losses, rows, results = {}, {}, [], {}
    for name, batch_size, lr in VARIANTS:
        neuron = nn.Neuron(1, activation="linear", seed=0)
        neuron.w[0].data, neuron.b.data = START
        opt = _Recorder(neuron, lr)
        history = nn.fit(neuron, X, t, "mse", opt, epochs=epochs, batch_size=batch_size, seed=0, progress=False)
        curve = [full_loss(w, b, X, t) for w, b in opt.path]
        rises = sum(1 for a, b in zip(curve, curve[1:]) if b > a)
        end = opt.path[-1]
        distance = ((end[0] - minimum[0]) ** 2 + (end[1] - minimum[1]) ** 2) ** 0.5
        paths[name], losses[name] = opt.path, curve
        results[name] = {"steps": history.steps, "rises": rises, "final_loss": curve[-1], "distance": distance,
                         "end": end}
        rows.append((name, "N" if batch_size is None else batch_size, lr, history.steps, f"{curve[0]:.3f}",
                     f"{curve[-1]:.4f}", rises, f"{distance:.3f}"))
    print(table(("variant", "examples/step", "lr", "steps", "L at start", "L at end", "steps that raised L",
                 "distance to the minimum"), rows))
    print("Batch descent follows the exact gradient of L: L falls at every step. Stochastic descent follows one "
          "example's gradient at a time: many more steps per epoch, but some of them raise L, and it ends "
          "jittering around the minimum. Minibatch descent sits between the two.")

    heading("Files")
    path = save_figure(_plot(X, t, paths, minimum, losses, epochs, 41 if args.quick else 121),
                       args.out / "descent_paths.png")
    print(f"  {path}")
    return {"minimum": minimum, "epochs": epochs, "results": results, "paths": paths, "losses": losses,
            "files": [str(path)]}


if __name__ == "__main__":
    run(main)
