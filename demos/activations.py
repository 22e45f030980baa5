"""Notes 002's table of activation functions: each function, its derivative and its range; step vs logistic.

Notes 002 tabulate eight activations with their equation, derivative and range. Here each one is computed by the
engine (``autograd_core``'s op, differentiated by ``autograd_core.grad``) and compared with the table's derivative
on a grid, and its values are checked against the table's range:

====================  ==============================  ====================================  ===============
activation            f(x)                            f'(x) (notes 002)                     range
====================  ==============================  ====================================  ===============
linear                x                               1                                     (-inf, inf)
binary step           0 if x < 0, 1 if x >= 0         0 if x != 0 (undefined at 0)          {0, 1}
sigmoid               1 / (1 + e^-x)                  f(x) (1 - f(x))                       (0, 1)
tanh                  (e^x - e^-x) / (e^x + e^-x)     1 - f(x)^2                            (-1, 1)
ReLU                  0 if x < 0, x if x >= 0         0 if x < 0, 1 if x > 0                [0, inf)
softplus              ln(1 + e^x)                     1 / (1 + e^-x)                        (0, inf)
leaky ReLU            0.01 x if x < 0, x if x >= 0    0.01 if x < 0, 1 if x >= 0            (-inf, inf)
ELU (alpha = 1)       alpha (e^x - 1) if x <= 0, x    alpha e^x if x < 0, 1 if x >= 0       (-alpha, inf)
====================  ==============================  ====================================  ===============

At x = 0 the notes give ReLU'(0) = 1 (and "undefined" in the table) and leaky ReLU'(0) = 1; this library uses
PyTorch's convention, ReLU'(0) = 0 and leaky ReLU'(0) = 0.01 (the slope), and step'(0) = 0. Any value between the
one-sided derivatives is a valid subgradient; it only matters when an input lands exactly on 0.

The second figure is notes 001's point: the logistic function is a smooth version of the Heaviside step, and only
the smooth one has a derivative that gradient descent can use (the step's is 0 everywhere).

Run: ``python -m demos.activations [--quick] [--out DIR]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import autograd_core as ag
from autograd_core import Value

from ._common import heading, new_figure, parse_args, run, save_figure, table

__all__ = ["main", "TABLE", "engine_function"]

ALPHA = 1.0
SLOPE = 0.01


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# name -> (engine function on a Value, the table's f'(x) for x != 0, the table's range (low, high, closed low,
# closed high), the range as notes 002 write it, notes 002's f'(0), the formula of f)
TABLE = {
    "linear": (lambda v: v * 1.0, lambda x: 1.0, (-math.inf, math.inf, False, False), "(-∞, ∞)", "1", "x"),
    "binary step": (ag.step, lambda x: 0.0, (0.0, 1.0, True, True), "{0, 1}", "undefined", "0 (x<0), 1 (x≥0)"),
    "sigmoid": (ag.sigmoid, lambda x: _sig(x) * (1.0 - _sig(x)), (0.0, 1.0, False, False), "(0, 1)",
                "1/4", "1/(1+e^-x)"),
    "tanh": (ag.tanh, lambda x: 1.0 - math.tanh(x) ** 2, (-1.0, 1.0, False, False), "(-1, 1)", "1", "tanh x"),
    "ReLU": (ag.relu, lambda x: 1.0 if x > 0 else 0.0, (0.0, math.inf, True, False), "[0, ∞)",
             "undefined (1 in its formula slide)", "max(0, x)"),
    "softplus": (ag.softplus, _sig, (0.0, math.inf, False, False), "(0, ∞)", "1/2", "ln(1+e^x)"),
    "leaky ReLU": (lambda v: ag.leaky_relu(v, SLOPE), lambda x: 1.0 if x > 0 else SLOPE,
                   (-math.inf, math.inf, False, False), "(-∞, ∞)", "1 (and 'undefined')", "0.01x (x<0), x"),
    "ELU": (lambda v: ag.elu(v, ALPHA), lambda x: 1.0 if x > 0 else ALPHA * math.exp(x),
            (-ALPHA, math.inf, False, False), "(-α, ∞)", "1 (α = 1)", "α(e^x-1) (x≤0), x"),
}


def engine_function(name: str):
    """``x -> (f(x), f'(x))`` on floats for an activation of :data:`TABLE`, both computed by the engine."""
    f = TABLE[name][0]
    value_and_grad = ag.value_and_grad(lambda v: f(v))
    return lambda x: tuple(value_and_grad(float(x)))


def _in_range(y: float, low: float, high: float, closed_low: bool, closed_high: bool) -> bool:
    above = y >= low if closed_low else y > low
    below = y <= high if closed_high else y < high
    return above and below


def _table_figure(curves: dict, at_zero: dict):
    fig = new_figure(15.0, 7.0)
    axes = fig.subplots(2, 4).ravel()
    for ax, (name, (xs, ys, ds)) in zip(axes, curves.items()):
        rng_text = TABLE[name][3]
        ax.axhline(0.0, color="0.8", linewidth=0.8, zorder=0)
        ax.axvline(0.0, color="0.8", linewidth=0.8, zorder=0)
        ax.plot(xs, ys, color="#1f77b4", linewidth=2, label=f"f(x) = {TABLE[name][5]}")
        ax.plot(xs, ds, "--", color="#d62728", linewidth=1.6, label="f'(x), by the engine")
        ax.plot([0.0], [at_zero[name]], "o", color="#d62728", markersize=6, label=f"ours: f'(0) = {at_zero[name]:g}")
        if name in ("ReLU", "leaky ReLU"):
            ax.plot([0.0], [1.0], "o", mfc="none", color="k", markersize=8, label="notes 002: f'(0) = 1")
        ax.set_title(f"{name}: range {rng_text}", fontsize=10)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x) and f'(x)")
        ax.set_ylim(-1.3, 2.3)
        ax.legend(fontsize=7, loc="upper left")
    return fig


def _step_figure(xs: list):
    fig = new_figure(11.0, 4.0)
    ax_f, ax_d = fig.subplots(1, 2)
    step = [ag.step(Value(x)).data for x in xs]
    ax_f.plot(xs, step, color="k", linewidth=2, label="Heaviside step (1 if x ≥ 0)")
    dstep = ag.grad(lambda v: ag.step(v))
    ax_d.plot(xs, [dstep(x) for x in xs], color="k", linewidth=2, label="step'(x) = 0: no gradient to follow")
    for k, color in ((1.0, "#1f77b4"), (3.0, "#2ca02c"), (10.0, "#d62728")):
        ax_f.plot(xs, [_sig(k * x) for x in xs], color=color, label=f"σ({k:g}x)")
        ds = ag.grad(lambda v, k=k: (v * k).sigmoid())
        ax_d.plot(xs, [ds(x) for x in xs], color=color, label=f"d/dx σ({k:g}x), peak {k / 4:g}")
    ax_f.set_title("the logistic function, a smooth step (notes 001)", fontsize=10)
    ax_f.set_xlabel("x")
    ax_f.set_ylabel("activation")
    ax_f.legend(fontsize=8, loc="upper left")
    ax_d.set_title("their derivatives: only the smooth ones can be descended", fontsize=10)
    ax_d.set_xlabel("x")
    ax_d.set_ylabel("derivative (by the engine)")
    ax_d.legend(fontsize=8, loc="upper left")
    return fig


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return per activation the largest difference to the table's derivative, f'(0), the range."""
    args = parse_args("activations", "Notes 002's table of activations: each with its derivative and range, "
                      "computed by the engine; step vs logistic.", argv, "a coarser grid (201 points instead of 801)")
    n = 201 if args.quick else 801
    xs = [-4.0 + 8.0 * i / (n - 1) for i in range(n)]
    heading(f"Notes 002's activation table, by the engine, on {n} points in [-4, 4]")
    rows, results, curves, at_zero = [], {}, {}, {}
    for name in TABLE:
        f = engine_function(name)
        _, table_derivative, (low, high, closed_low, closed_high), rng_text, notes_zero, _ = TABLE[name]
        pairs = [f(x) for x in xs]
        ys, ds = [p[0] for p in pairs], [p[1] for p in pairs]
        diff = max(abs(d - table_derivative(x)) for x, d in zip(xs, ds) if x != 0.0)
        inside = all(_in_range(y, low, high, closed_low, closed_high) for y in ys)
        at_zero[name] = f(0.0)[1]
        curves[name] = (xs, ys, ds)
        results[name] = {"max_derivative_diff": diff, "in_range": inside, "derivative_at_0": at_zero[name],
                         "min": min(ys), "max": max(ys)}
        rows.append((name, rng_text, f"[{min(ys):.4g}, {max(ys):.4g}]", "yes" if inside else "NO", f"{diff:.1e}",
                     f"{at_zero[name]:g}", notes_zero))
    print(table(("activation", "range (notes 002)", "seen on [-4, 4]", "inside", "max |f' - table's f'|",
                 "f'(0) ours", "f'(0) notes 002"), rows))
    print("(the derivative is compared at every grid point but x = 0; at 0 we use PyTorch's convention: "
          "ReLU'(0) = 0, leaky ReLU'(0) = 0.01 = its slope, step'(0) = 0; notes 002 use 1 for ReLU and leaky ReLU)")

    heading("Step vs logistic (notes 001)")
    dsig = ag.grad(lambda v: v.sigmoid())
    dstep = ag.grad(lambda v: ag.step(v))
    max_sigmoid_slope = max(dsig(x) for x in xs)
    max_step_slope = max(abs(dstep(x)) for x in xs)
    print(f"largest σ'(x) on the grid: {max_sigmoid_slope:.6g} (at x = 0: σ(0)(1 - σ(0)) = 1/4)")
    print(f"largest |step'(x)| on the grid: {max_step_slope:g}: gradient descent gets no signal from a step unit")

    heading("Files")
    paths = [save_figure(_table_figure(curves, at_zero), args.out / "activations_table.png"),
             save_figure(_step_figure(xs), args.out / "step_vs_logistic.png")]
    for p in paths:
        print(f"  {p}")
    return {"results": results, "max_sigmoid_slope": max_sigmoid_slope, "max_step_slope": max_step_slope,
            "points": n, "files": [str(p) for p in paths]}


if __name__ == "__main__":
    run(main)
