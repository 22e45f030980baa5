"""The chain rule, a gradient and a Hessian, computed by the engine and checked against the formulas of notes 001.

* ``f(x) = cos(x)²``: the chain rule gives ``f'(x) = 2 cos(x) · (-sin x) = -2 sin(x) cos(x)``; the engine's
  derivative is compared with it on a grid over [-2π, 2π] and both are plotted.
* ``g(x, y) = x y + 3 x²``: ``∇g = (y + 6x, x)``, at (-2, -2) that is (-14, -2); the Hessian is
  ``[[6, 1], [1, 0]]`` (by double backward).

Run: ``python -m demos.chain_rule [--quick] [--out DIR]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import autograd_core as ag
from autograd_core import Value

from ._common import heading, new_figure, parse_args, run, save_figure, save_graph

__all__ = ["main", "f", "g", "POINT"]

POINT = (-2.0, -2.0)


def f(x):
    """``cos(x)²`` (a Value in, a Value out; a float in, a float out)."""
    return ag.cos(x) ** 2


def g(x, y):
    """``x y + 3 x²``."""
    return x * y + 3 * x ** 2


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return ``max_abs_diff`` (f' vs the formula), ``gradient``, ``hessian`` and ``files``."""
    args = parse_args("chain_rule", "cos(x)^2 against -2 sin x cos x; the gradient and Hessian of xy + 3x^2.",
                      argv, "a coarser grid for the plot (41 points instead of 401)")
    n = 41 if args.quick else 401
    xs = [-2 * math.pi + 4 * math.pi * i / (n - 1) for i in range(n)]
    df = ag.grad(f)

    heading("Chain rule: f(x) = cos(x)^2, f'(x) = -2 sin(x) cos(x)")
    engine = [df(x) for x in xs]
    formula = [-2 * math.sin(x) * math.cos(x) for x in xs]
    max_diff = max(abs(a - b) for a, b in zip(engine, formula))
    rows = [(f"{x:+.4f}", f"{df(x):+.17f}", f"{-2 * math.sin(x) * math.cos(x):+.17f}")
            for x in (0.5, 1.0, 2.0)]
    print("x        engine f'(x)          -2 sin x cos x")
    for r in rows:
        print("  ".join(r))
    print(f"largest difference over {n} points in [-2π, 2π]: {max_diff:.3g}")

    x = Value(1.0, label="x")
    c = ag.cos(x)
    c.label = "cos(x)"
    fx = c ** 2
    fx.label = "f"
    fx.backward()
    print(f"at x = 1 the chain is: df/dcos = 2 cos(1) = {2 * math.cos(1):.6f}, dcos/dx = -sin(1) = "
          f"{-math.sin(1):.6f}, product {2 * math.cos(1) * -math.sin(1):.6f} = x.grad {x.grad:.6f}")

    heading("Gradient and Hessian: g(x, y) = x y + 3 x^2 at (-2, -2)")
    value, gradient = ag.value_and_grad(g, argnums=(0, 1))(*POINT)
    hessian = ag.hessian(g)(*POINT)
    print(f"g(-2, -2) = {value:g}")
    print(f"engine:  ∇g = ({gradient[0]:g}, {gradient[1]:g})")
    print(f"formula: ∇g = (y + 6x, x) = ({POINT[1] + 6 * POINT[0]:g}, {POINT[0]:g})")
    print(f"engine:  H = [[{hessian[0][0]:g}, {hessian[0][1]:g}], [{hessian[1][0]:g}, {hessian[1][1]:g}]]")
    print("formula: H = [[∂²g/∂x², ∂²g/∂x∂y], [∂²g/∂y∂x, ∂²g/∂y²]] = [[6, 1], [1, 0]]")

    xv, yv = Value(POINT[0], label="x"), Value(POINT[1], label="y")
    gv = g(xv, yv)
    gv.label = "g"
    gv.backward()

    heading("Files")
    fig = new_figure(7.0, 4.0)
    ax = fig.add_subplot()
    ax.plot(xs, [f(x) for x in xs], color="#999999", label="f(x) = cos²(x)")
    ax.plot(xs, formula, color="#1f77b4", linewidth=4, alpha=0.45, label="-2 sin(x) cos(x) (chain rule by hand)")
    ax.plot(xs, engine, "--", color="#d62728", label="f'(x) from the engine")
    ax.set_xlabel("x")
    ax.set_ylabel("f(x) and f'(x)")
    ax.set_title(f"f'(x): engine vs formula (max difference {max_diff:.1e})")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=8, frameon=False)
    files = [save_figure(fig, args.out / "chain_rule_cos2.png"),
             save_graph(fx, args.out, "chain_rule_cos2_graph"),
             save_graph(gv, args.out, "chain_rule_xy_graph")]
    for p in files:
        print(f"  {p}")
    return {"max_abs_diff": max_diff, "points": n, "value": value, "gradient": tuple(gradient),
            "hessian": [list(r) for r in hessian], "files": [str(p) for p in files]}


if __name__ == "__main__":
    run(main)
