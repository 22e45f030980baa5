"""The worked example of notes 004: one weight, identity activation, squared error, one step of gradient descent.

x = 3, y = 1, w = 0.1, learning rate 1: the forward pass gives y_hat = w x = 0.3 and the loss (y_hat - y)² = 0.49;
backward gives dL/dw = 2 (y_hat - y) x = -4.2; the update w ← w - lr · dL/dw gives 4.3.

Run: ``python -m demos.worked_example [--quick] [--out DIR]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import autograd_core as ag
from autograd_core import Value

from ._common import heading, parse_args, run, save_graph

__all__ = ["main", "X", "Y", "W0", "LEARNING_RATE"]

X = 3.0
Y = 1.0
W0 = 0.1
LEARNING_RATE = 1.0


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return its key figures (``y_hat``, ``loss``, ``grad``, ``new_w``, ...) and ``files``."""
    args = parse_args("worked_example", "One weight, squared error, one gradient-descent step: 0.49, -4.2, 4.3.",
                      argv, "same as the full run (it is already instant)")
    heading("Worked example: one weight, identity activation, squared error")
    x = Value(X, label="x")
    y = Value(Y, label="y")
    w = Value(W0, label="w")
    y_hat = w * x
    y_hat.label = "y_hat"
    err = y_hat - y
    err.label = "e"
    loss = err ** 2
    loss.label = "L"
    print(f"forward:  y_hat = w x = {W0} * {X} = {y_hat.data:.12g}")
    print(f"          L = (y_hat - y)^2 = ({y_hat.data:.12g} - {Y})^2 = {loss.data:.12g}")

    heading("Backward, one node at a time")
    print(ag.explain(loss))
    files = []
    for s in ag.backward_steps(loss):  # the real backward pass, one frame per step
        files.append(save_graph(loss, args.out, f"worked_example_step{s.index}", highlight=s))
    formula = 2.0 * (y_hat.data - Y) * X
    print(f"\nengine:   dL/dw = {w.grad:.12g}")
    print(f"formula:  dL/dw = 2 (y_hat - y) x = 2 * ({y_hat.data:.12g} - {Y}) * {X} = {formula:.12g}")

    heading("One step of gradient descent")
    files.append(save_graph(loss, args.out, "worked_example_graph"))
    with ag.no_grad():
        w.data -= LEARNING_RATE * w.grad
    new_loss = (w.data * X - Y) ** 2
    print(f"w <- w - lr dL/dw = {W0} - {LEARNING_RATE} * ({formula:.12g}) = {w.data:.12g}")
    print(f"the new loss is {new_loss:.12g}: with lr {LEARNING_RATE} the step overshoots the minimum at w = 1/3; "
          f"lr 1/18 = 1/(2 x^2) would land on it")
    heading("Files")
    for f in files:
        print(f"  {f}")
    return {"y_hat": y_hat.data, "loss": loss.data, "grad": w.grad, "formula_grad": formula, "new_w": w.data,
            "new_loss": new_loss, "files": [str(f) for f in files]}


if __name__ == "__main__":
    run(main)
