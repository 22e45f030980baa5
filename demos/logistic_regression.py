"""Logistic regression as a computation graph: the engine's gradients next to the formulas of notes 000, then training.

The graph of notes 000 has three inputs x1..x3, three weights w1..w3 and a bias b:
``z = w·x + b``, ``a = σ(z)``, ``L(a, y) = -y log a - (1 - y) log(1 - a)``. By hand, ``∂L/∂a = -y/a + (1-y)/(1-a)``
and, because ``σ'(z) = a (1 - a)``, ``∂L/∂z = a - y``, ``∂L/∂b = a - y``, ``∂L/∂w_i = (a - y) x_i``. The demo prints
the engine's numbers beside these, draws the graph with the local derivative on every edge, then trains the same
model (an ``nn.Neuron`` with a sigmoid) on a small linearly separable set with binary cross-entropy.

Run: ``python -m demos.logistic_regression [--quick] [--out DIR]``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import autograd_core as ag
import nn
from autograd_core import Value

from ._common import heading, new_figure, parse_args, run, save_figure, save_graph, table

__all__ = ["main", "separable_data", "X0", "W0", "B0", "Y0"]

# the example the gradients are shown for
X0 = (1.0, 2.0, -1.0)
W0 = (0.5, -0.3, 0.8)
B0 = 0.1
Y0 = 1.0


def separable_data(n: int, seed: int = 0, margin: float = 0.3) -> tuple:
    """``n`` points in [-2, 2]³ labelled 1 where ``x1 + 2 x2 - x3 + 0.5 > 0``, else 0, none closer than ``margin``.

    Linearly separable by construction (the labelling plane itself separates them). Returns ``(X, y)`` lists.
    """
    rng = random.Random(seed)
    X, y = [], []
    while len(X) < n:
        x = [rng.uniform(-2.0, 2.0) for _ in range(3)]
        s = x[0] + 2.0 * x[1] - x[2] + 0.5
        if abs(s) >= margin:
            X.append(x)
            y.append(1 if s > 0 else 0)
    return X, y


def _plane(coef: list) -> str:
    """``c1 x1 + c2 x2 + c3 x3 + c0`` with proper signs."""
    terms = [f"{coef[0]:.2f} x1"]
    for i, c in enumerate(coef[1:]):
        name = f" x{i + 2}" if i < 2 else ""
        terms.append(f"{'-' if c < 0 else '+'} {abs(c):.2f}{name}")
    return " ".join(terms)


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return ``dz``, ``db``, ``dw``, the formulas' values, ``max_formula_diff``, ``train_accuracy``."""
    args = parse_args("logistic_regression", "Logistic regression: dz = a - y, db = a - y, dw = (a - y) x; "
                      "then training on a separable set.", argv, "fewer training epochs (60 instead of 200)")
    heading("Logistic regression: z = w.x + b, a = sigmoid(z), L = -y log a - (1 - y) log(1 - a)")
    xs = [Value(v, label=f"x{i + 1}") for i, v in enumerate(X0)]
    ws = [Value(v, label=f"w{i + 1}") for i, v in enumerate(W0)]
    b = Value(B0, label="b")
    z = ag.sum([w * x for w, x in zip(ws, xs)], b)  # one node: b + w1 x1 + w2 x2 + w3 x3
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    y = Value(Y0, label="y")
    loss = -(y * ag.log(a) + (1.0 - y) * ag.log(1.0 - a))
    loss.label = "L"
    grads = ag.gradients(loss, [a, z, b] + ws)
    da, dz, db, dw = grads[0], grads[1], grads[2], grads[3:]
    av = a.data
    formula = {"da": -Y0 / av + (1.0 - Y0) / (1.0 - av), "dz": av - Y0, "db": av - Y0,
               "dw": [(av - Y0) * x for x in X0]}
    print(f"x = {X0}, w = {W0}, b = {B0}, y = {Y0}")
    print(f"z = {z.data:.6f}, a = σ(z) = {av:.6f}, L = {loss.data:.6f}\n")
    rows = [("dL/da", f"{da:+.17f}", "-y/a + (1-y)/(1-a)", f"{formula['da']:+.17f}"),
            ("dL/dz", f"{dz:+.17f}", "a - y", f"{formula['dz']:+.17f}"),
            ("dL/db", f"{db:+.17f}", "a - y", f"{formula['db']:+.17f}")]
    rows += [(f"dL/dw{i + 1}", f"{g:+.17f}", f"(a - y) x{i + 1}", f"{fv:+.17f}")
             for i, (g, fv) in enumerate(zip(dw, formula["dw"]))]
    print(table(("gradient", "engine", "formula", "formula's value"), rows))
    diffs = [abs(dz - formula["dz"]), abs(db - formula["db"])] + [abs(g - fv) for g, fv in zip(dw, formula["dw"])]
    max_diff = max(diffs)
    print(f"largest difference engine vs formula: {max_diff:.3g}")
    loss.backward()
    files = [save_graph(loss, args.out, "logistic_regression_graph")]
    print(f"graph with the local derivative on every edge: {files[0]}")

    heading("Training on a small linearly separable set")
    epochs = 60 if args.quick else 200
    X, y = separable_data(40, seed=0)
    neuron = nn.Neuron(3, activation="sigmoid", seed=0)
    opt = nn.SGD(neuron.parameters(), lr=1.0)
    history = nn.fit(neuron, X, y, "binary_cross_entropy", opt, epochs=epochs, progress=False)
    final = nn.evaluate(neuron, X, y, "binary_cross_entropy")
    print(f"{len(X)} points, labels from the plane x1 + 2 x2 - x3 + 0.5 = 0; nn.Neuron(3, 'sigmoid'), binary "
          f"cross-entropy, full-batch gradient descent, lr 1, {epochs} epochs")
    print(f"loss {history.epoch_loss[0]:.4f} -> {final.loss:.4f}, training accuracy {final.accuracy:.0%}")
    w = [p.data for p in neuron.w]
    scaled = [v / w[0] for v in w] + [neuron.b.data / w[0]]
    print(f"learned plane, divided by w1: {_plane(scaled)} = 0 (the labels came from x1 + 2 x2 - x3 + 0.5)")

    fig = new_figure(6.4, 3.6)
    ax = fig.add_subplot()
    ax.plot(range(1, len(history.epoch_loss) + 1), history.epoch_loss, color="#1f77b4",
            label="training loss (mean over the 40 points)")
    ax.set_yscale("log")
    ax.set_xlabel("epoch (one full-batch gradient step)")
    ax.set_ylabel("binary cross-entropy (log scale)")
    ax.legend(fontsize=8)
    ax.set_title(f"Logistic regression on {len(X)} separable points: accuracy {final.accuracy:.0%}")
    files.append(save_figure(fig, args.out / "logistic_regression_loss.png"))
    heading("Files")
    for p in files:
        print(f"  {p}")
    return {"a": av, "loss": loss.data, "dz": dz, "db": db, "dw": list(dw), "formula_dz": formula["dz"],
            "formula_db": formula["db"], "formula_dw": formula["dw"], "max_formula_diff": max_diff,
            "train_loss": final.loss, "train_accuracy": final.accuracy, "epochs": epochs,
            "files": [str(p) for p in files]}


if __name__ == "__main__":
    run(main)
