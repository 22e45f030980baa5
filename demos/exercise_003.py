"""Notes 003's exercise, in its own notation: the gradients it asks for, by the engine and by hand, and the slip.

The network of notes 003's exercise: inputs ``x_n1, x_n2, x_n3`` (layer 0), two sigmoid hidden units (layer 1), one
sigmoid output ``o_n`` (layer 2), **no biases**, and the error ``E = (1/N) Σ_n (o_n - d_n)²`` over N samples::

    net_nj^(0,1) = Σ_i w_ij^(0,1) x_ni        y_nj^(1,2) = S(net_nj^(0,1))       (j = 1, 2)
    net_n^(1,2)  = Σ_j w_j1^(1,2) y_nj^(1,2)   o_n = S(net_n^(1,2))              S(z) = 1 / (1 + e^-z)

``w_ij^(0,1)`` goes *from* input i *to* hidden unit j: the transpose of our ``W[j][i]`` (``nn.delta.notes_003_index``
and ``nn.delta.notes_003_weight`` map one to the other). The exercise asks to identify ``-∂E/∂w_11^(1,2)``,
``-∂E/∂w_21^(1,2)`` and the four ``-∂E/∂w_ij^(0,1)``. The correct hand formulas, with ``S' = S (1 - S)``:

* ``∂E/∂w_j1^(1,2) = (1/N) Σ_n 2 (o_n - d_n) S'(net_n^(1,2)) y_nj``
* ``∂E/∂w_ij^(0,1) = (1/N) Σ_n 2 (o_n - d_n) S'(net_n^(1,2)) w_j1^(1,2) S'(net_nj^(0,1)) x_ni``

The printed solution writes ``∂E/∂w_11^(0,1) = (1/N) Σ_n 2 (o_n - d_n) ∂o_n/∂w_11^(1,2) ∂y_n1/∂w_11^(0,1)`` with
``∂o_n/∂w_11^(1,2) = S'(net_n^(1,2)) y_n1``: the chain rule needs ``∂o_n/∂y_n1 = S'(net_n^(1,2)) w_11^(1,2)`` there
(the path goes through the hidden unit's output, not through the output weight). The demo evaluates all three on a
test network of ours and shows that the engine agrees with the corrected formula, not with the printed one.

Run: ``python -m demos.exercise_003 [--quick] [--out DIR]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import autograd_core as ag
import nn
from autograd_core import Value

from ._common import heading, parse_args, run, table, write_text

__all__ = ["main", "X", "D", "W01", "W12", "ASKED", "build", "hand_gradients", "printed_gradient", "as_mlp"]

# our test network, in notes 003's layout: W01[i-1][j-1] = w_ij^(0,1) (from input i to hidden j), W12[j-1] = w_j1^(1,2)
W01 = ((0.1, -0.2), (0.4, 0.3), (-0.5, 0.6))
W12 = (0.7, -0.3)
# two samples x_n = (x_n1, x_n2, x_n3) with targets d_n
X = ((1.0, 0.5, -0.5), (0.2, -0.4, 0.9))
D = (1.0, 0.0)
# the six gradients the exercise asks to identify (the other two first-layer weights come along)
ASKED = ("w_11^(1,2)", "w_21^(1,2)", "w_11^(0,1)", "w_12^(0,1)", "w_21^(0,1)", "w_22^(0,1)")


def _s(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def build(W01: Sequence = W01, W12: Sequence = W12, X: Sequence = X, D: Sequence = D) -> tuple:
    """The exercise's graph in its own notation: ``(E, weights)``, ``weights`` by name (``"w_11^(0,1)"``, ...).

    Every weight is a leaf Value labelled as notes 003 write it; ``E = (1/N) Σ_n (o_n - d_n)²``.
    """
    w01 = {(i, j): Value(W01[i - 1][j - 1], label=f"w_{i}{j}^(0,1)") for i in (1, 2, 3) for j in (1, 2)}
    w12 = {j: Value(W12[j - 1], label=f"w_{j}1^(1,2)") for j in (1, 2)}
    errors = []
    for n, (x, d) in enumerate(zip(X, D), start=1):
        y = {j: ag.sum([w01[i, j] * x[i - 1] for i in (1, 2, 3)]).sigmoid() for j in (1, 2)}
        for j in (1, 2):
            y[j].label = f"y_{n}{j}^(1,2)"
        o = ag.sum([w12[j] * y[j] for j in (1, 2)]).sigmoid()
        o.label = f"o_{n}"
        errors.append((o - d) ** 2)
    E = ag.sum(errors) * (1.0 / len(X))
    E.label = "E"
    weights = {w.label: w for w in list(w12.values()) + list(w01.values())}
    return E, weights


def _forward(W01: Sequence, W12: Sequence, x: Sequence) -> tuple:
    """Floats: (net^(0,1) per hidden unit, y per hidden unit, net^(1,2), o) for one sample."""
    net_h = [sum(W01[i][j] * x[i] for i in range(3)) for j in range(2)]
    y = [_s(v) for v in net_h]
    net_o = sum(W12[j] * y[j] for j in range(2))
    return net_h, y, net_o, _s(net_o)


def hand_gradients(W01: Sequence = W01, W12: Sequence = W12, X: Sequence = X, D: Sequence = D) -> dict:
    """The correct hand formulas (module docstring) on floats, keyed like :func:`build`'s weights."""
    N = len(X)
    g = {f"w_{j}1^(1,2)": 0.0 for j in (1, 2)} | {f"w_{i}{j}^(0,1)": 0.0 for i in (1, 2, 3) for j in (1, 2)}
    for x, d in zip(X, D):
        net_h, y, net_o, o = _forward(W01, W12, x)
        top = 2.0 * (o - d) * _s(net_o) * (1.0 - _s(net_o)) / N  # (1/N) 2 (o_n - d_n) S'(net_n^(1,2))
        for j in (1, 2):
            g[f"w_{j}1^(1,2)"] += top * y[j - 1]
            s_h = _s(net_h[j - 1]) * (1.0 - _s(net_h[j - 1]))
            for i in (1, 2, 3):
                g[f"w_{i}{j}^(0,1)"] += top * W12[j - 1] * s_h * x[i - 1]
    return g


def printed_gradient(i: int = 1, j: int = 1, W01: Sequence = W01, W12: Sequence = W12, X: Sequence = X,
                     D: Sequence = D) -> float:
    """The printed solution's ``∂E/∂w_ij^(0,1)``: ``∂o_n/∂w_j1^(1,2) = S'(net_n^(1,2)) y_nj`` where ``∂o_n/∂y_nj``
    belongs (the solution writes it for i = j = 1; the same pattern for the others)."""
    total = 0.0
    for x, d in zip(X, D):
        net_h, y, net_o, o = _forward(W01, W12, x)
        do_dw = _s(net_o) * (1.0 - _s(net_o)) * y[j - 1]  # the slip: ∂o/∂w_j1^(1,2) in place of ∂o/∂y_nj
        dy_dw = _s(net_h[j - 1]) * (1.0 - _s(net_h[j - 1])) * x[i - 1]
        total += 2.0 * (o - d) * do_dw * dy_dw
    return total / len(X)


def as_mlp(W01: Sequence = W01, W12: Sequence = W12) -> nn.MLP:
    """The same network as an ``nn.MLP(3, [2, 1])`` with sigmoid units, its biases 0 (the exercise has none).

    ``model.layers[0].W`` is ``nn.delta.notes_003_matrix(W01)``: our ``W[j][i]`` is notes 003's ``w_ij^(0,1)``.
    """
    model = nn.MLP(3, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    ours = nn.delta.notes_003_matrix(W01)
    for j, row in enumerate(ours):
        for i, w in enumerate(row):
            model.layers[0].W[j][i].data = w
    for j, w in enumerate(W12):
        model.layers[1].W[0][j].data = w
    for layer in model.layers:
        for b in layer.b:
            b.data = 0.0
    return model


def _fmt(v: float) -> str:
    return f"{v:+.7f}"


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return the engine's, the corrected and the printed gradients and the largest differences."""
    args = parse_args("exercise_003", "Notes 003's exercise network in its own notation: the gradients by the engine "
                      "and by hand, and the slip in the printed solution.", argv,
                      "same as the full run (it is already instant)")
    heading("Notes 003's exercise: 3 inputs, 2 sigmoid hidden units, 1 sigmoid output, no biases")
    print("net_nj^(0,1) = Σ_i w_ij^(0,1) x_ni,  y_nj^(1,2) = S(net_nj^(0,1)),  o_n = S(Σ_j w_j1^(1,2) y_nj^(1,2))")
    print("E = (1/N) Σ_n (o_n - d_n)^2,  S(z) = 1/(1 + e^-z),  S' = S (1 - S)")
    print("our test network (w_ij^(0,1): from input i to hidden unit j):")
    for i in (1, 2, 3):
        print("  " + "   ".join(f"w_{i}{j}^(0,1) = {W01[i - 1][j - 1]:+.1f}" for j in (1, 2)))
    print("  " + "   ".join(f"w_{j}1^(1,2) = {W12[j - 1]:+.1f}" for j in (1, 2)))
    for n, (x, d) in enumerate(zip(X, D), start=1):
        print(f"  sample {n}: x_{n} = {x}, d_{n} = {d}")

    E, weights = build()
    engine = dict(zip(weights, ag.gradients(E, list(weights.values()))))
    hand = hand_gradients()
    printed = {f"w_{i}{j}^(0,1)": printed_gradient(i, j) for i in (1, 2, 3) for j in (1, 2)}
    print(f"E = {E.data:.10f}")

    heading("The gradients the exercise asks for: engine, corrected hand formula, printed solution")
    rows = []
    for name in weights:
        rows.append((name, "yes" if name in ASKED else "", _fmt(-engine[name]), _fmt(-hand[name]),
                     _fmt(-printed[name]) if name in printed else ""))
    print(table(("weight", "asked", "-∂E/∂w (engine)", "-∂E/∂w (hand, correct)", "-∂E/∂w (printed pattern)"),
                rows))
    print("(the printed solution writes the formula for w_11^(0,1); 'printed pattern' applies it to each w_ij^(0,1))")
    agree = max(abs(engine[k] - hand[k]) for k in weights)
    print(f"engine vs the correct formula: largest difference {agree:.1e}")

    name = "w_11^(0,1)"
    heading("The slip in the printed solution, for ∂E/∂w_11^(0,1)")
    print("printed:   (1/N) Σ_n 2 (o_n - d_n) ∂o_n/∂w_11^(1,2) ∂y_n1/∂w_11^(0,1),  ∂o_n/∂w_11^(1,2) = "
          "S'(net_n^(1,2)) y_n1")
    print("correct:   (1/N) Σ_n 2 (o_n - d_n) ∂o_n/∂y_n1 ∂y_n1/∂w_11^(0,1),        ∂o_n/∂y_n1 = "
          "S'(net_n^(1,2)) w_11^(1,2)")
    print(f"           engine {engine[name]:.7f}, corrected formula {hand[name]:.7f}, printed formula "
          f"{printed[name]:.7f}")
    print("the path from w_11^(0,1) to E runs through y_n1 and then the weight w_11^(1,2) that multiplies it, so "
          "the factor is w_11^(1,2); y_n1 is what multiplies w_11^(1,2) itself")

    heading("The same network as nn.MLP(3, [2, 1]): notes 003's w_ij^(0,1) is our layers[0].W[j-1][i-1]")
    model = as_mlp()
    loss = nn.train.batch_loss(model, [list(x) for x in X], list(D), "mse")[1]  # (1/N) Σ (o - d)²: E itself
    mlp = {}
    for wname in weights:
        i, j = int(wname[2]), int(wname[3])
        layers = (0, 1) if wname.endswith("(0,1)") else (1, 2)
        mlp[wname] = nn.delta.notes_003_weight(model, i, j, layers)
    mlp_grads = dict(zip(mlp, ag.gradients(loss, list(mlp.values()))))
    delta_grads = nn.delta.gradients(model, [list(x) for x in X], list(D), "mse")
    rows, mlp_diff, delta_diff = [], 0.0, 0.0
    for wname, v in mlp.items():
        layer, row, col = nn.delta.notes_003_index(int(wname[2]), int(wname[3]),
                                                   (0, 1) if wname.endswith("(0,1)") else (1, 2))
        from_delta = delta_grads[f"layers.{layer}.W"][row][col]
        mlp_diff = max(mlp_diff, abs(mlp_grads[wname] - engine[wname]))
        delta_diff = max(delta_diff, abs(from_delta - engine[wname]))
        rows.append((wname, v.label, _fmt(mlp_grads[wname]), _fmt(from_delta)))
    print(table(("notes 003", "our parameter", "∂E/∂w (engine, MLP)", "∂E/∂w (nn.delta)"), rows))
    print(f"E = {loss.data:.10f}; the MLP and nn.delta agree with the notation above to "
          f"{max(mlp_diff, delta_diff):.1e}")

    report = "\n".join(f"{r[0]}  engine {-engine[r[0]]:+.10f}  hand {-hand[r[0]]:+.10f}"
                       + (f"  printed {-printed[r[0]]:+.10f}" if r[0] in printed else "")
                       for r in [(k,) for k in weights])
    path = write_text(args.out / "exercise_003_gradients.txt",
                      "-dE/dw for notes 003's exercise network (demos.exercise_003)\n" + report + "\n")
    heading("Files")
    print(f"  {path}")
    return {"E": E.data, "engine": engine, "hand": hand, "printed": printed, "max_hand_diff": agree,
            "mlp_max_diff": mlp_diff, "delta_max_diff": delta_diff, "mlp_loss": loss.data, "files": [str(path)]}


if __name__ == "__main__":
    run(main)
