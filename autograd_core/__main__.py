"""The command line: ``python -m autograd_core`` or ``autograd-core``.

Subcommands (EXPR is parsed by the safe parser of :mod:`autograd_core.expr`, never evaluated as Python):

* ``grad "EXPR" x=1 y=2 [--hessian]``: the value, the gradient per variable and optionally the Hessian;
* ``trace "EXPR" x=1 ... [--interactive] [--wrt x] [--html out.html]``: the backward pass step by step;
* ``draw "EXPR" x=1 ... [-o graph.svg]``: the graph, in the format named by the suffix (``.dot`` needs no Graphviz
  binary; ``.svg``, ``.png`` and ``.pdf`` need ``dot``). Without ``-o`` the DOT source goes to stdout.

Exit codes: 0 success; 2 rejected input (bad expression, unknown variable, missing or malformed value, bad option);
1 a runtime error, reported as the engine reports it (``ValueError: log: argument must be > 0, got -2.0 (Value
'x')``), or a missing optional tool.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from .expr import Expression, ExpressionError, check_variable_name
from .graph import gradients
from .value import Value

__all__ = ["main"]

PROG = "autograd-core"
_DRAW_FORMATS = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf"}


class InputError(Exception):
    """Rejected command-line input (exit code 2); the message is one line."""


def _number(x: float, digits: int) -> str:
    return f"{(0.0 if x == 0 else x):.{digits}g}"  # no "-0" for a zero


def _assignments(items: Sequence[str]) -> dict:
    values: dict = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep:
            raise InputError(f"argument {item[:40]!r} is not an assignment; give variables as NAME=VALUE, e.g. x=1.5 "
                             "(quote the expression if it contains spaces)")
        try:
            check_variable_name(name, "variable")
        except ExpressionError as e:
            raise InputError(f"{item[:40]!r}: {e.reason}") from None
        try:
            value = float(text)
        except ValueError:
            raise InputError(f"{item[:40]!r}: the value of {name} must be a number, e.g. {name}=1.5") from None
        if not math.isfinite(value):
            raise InputError(f"{item[:40]!r}: the value of {name} must be a finite number, got {text[:20]!r}")
        if name in values:
            raise InputError(f"variable {name!r} is given twice")
        values[name] = value
    return values


def _build(args: argparse.Namespace) -> tuple[Expression, Value, dict]:
    """Parse EXPR against the declared variables and build its graph; returns (expression, root, leaves)."""
    values = _assignments(args.assignments)
    expression = Expression.parse(args.expr, names=values.keys())
    leaves = {name: Value(v, label=name) for name, v in values.items()}
    root = expression.build(leaves)
    if not root.is_leaf and not root.label and "f" not in values:
        root.label = "f"  # the stepper and the picture then call the result f, as the output lines do
    return expression, root, leaves


def _check_output_dir(path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise InputError(f"cannot write {path!r}: directory {directory!r} does not exist")


def _cmd_grad(args: argparse.Namespace, out: TextIO) -> int:
    expression, root, leaves = _build(args)
    names = list(leaves)
    d = args.digits
    root.backward()
    print(f"f({', '.join(names)}) = {expression.text}", file=out)
    if names:
        print("at " + ", ".join(f"{n} = {_number(leaves[n].data, d)}" for n in names), file=out)
    print(f"f = {_number(root.data, d)}", file=out)
    width = max([len(n) for n in names] + [1])
    for n in names:
        note = "" if n in expression.variables else f"   (f does not use {n})"
        print(f"df/d{n.ljust(width)} = {_number(leaves[n].grad, d)}{note}", file=out)
    if args.hessian and names:
        ordered = [leaves[n] for n in names]
        first = gradients(root, ordered, create_graph=True)
        rows = [gradients(g, ordered) for g in first]
        cells = [[_number(h, d) for h in row] for row in rows]
        col = max([len(c) for row in cells for c in row] + [len(n) for n in names])
        print("hessian (d2f / d row d column):", file=out)
        print(" " * (width + 4) + "  ".join(n.rjust(col) for n in names), file=out)
        for n, row in zip(names, cells):
            print(f"  {n.ljust(width)}  " + "  ".join(c.rjust(col) for c in row), file=out)
    return 0


def _is_tty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):
        return False


def _cmd_trace(args: argparse.Namespace, out: TextIO, read_line: Callable[[], str]) -> int:
    from .trace import backward_steps, explain

    if args.html is not None:
        _check_output_dir(args.html)
    wrt = None
    expression, root, leaves = _build(args)
    if args.wrt is not None:
        wrt = leaves.get(args.wrt)
        if wrt is None:
            raise InputError(f"--wrt {args.wrt[:40]!r} is not a declared variable (declared: "
                             f"{', '.join(leaves) or 'none'})")
    d = args.digits
    if args.html is not None:
        from .html import step_page

        count = step_page(root, args.html, title=expression.text, precision=d)
        print(f"wrote {args.html} ({count} steps)", file=out)
    elif args.interactive:
        wait = _is_tty(sys.stdin)
        steps = backward_steps(root)
        for step in steps:
            print(step.format(d), file=out)
            if wait and step.index + 1 < step.total:
                out.flush()
                try:
                    answer = read_line()
                except EOFError:
                    break
                if answer.strip().lower() in ("q", "quit"):
                    break
        else:
            for n, leaf in leaves.items():
                print(f"{n}.grad = {_number(leaf.grad, d)}", file=out)
    if wrt is not None:
        print(explain(root, wrt=wrt, precision=d), file=out)
    elif args.html is None and not args.interactive:
        print(explain(root, precision=d), file=out)
    return 0


def _cmd_draw(args: argparse.Namespace, out: TextIO) -> int:
    fmt = "dot"
    if args.output is not None:
        suffix = os.path.splitext(args.output)[1].lower()
        fmt = _DRAW_FORMATS.get(suffix)
        if fmt is None:
            raise InputError(f"cannot tell the format from {args.output[:60]!r}: use a suffix among "
                             f"{', '.join(_DRAW_FORMATS)}")
        _check_output_dir(args.output)
    _, root, _ = _build(args)
    if args.grads:
        root.backward()
    from .render import draw, render_to

    graph = draw(root, rankdir=args.rankdir, show_grads=args.grads, show_local=True, max_nodes=args.max_nodes)
    if args.output is None:
        out.write(graph.source)
        return 0
    render_to(graph, args.output, format=fmt)
    print(f"wrote {args.output}", file=out)
    return 0


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text[:20]!r}")
    return n


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Value, gradient, backward pass and graph of a typed expression. EXPR holds numbers, variables, "
                    "+ - * / **, unary minus, parentheses and the op table's functions (exp, log, tanh, sigmoid, "
                    "relu, leaky_relu(x, 0.1), ...); it is parsed safely, never run as Python. An EXPR starting "
                    "with '-' goes after '--'.",
        epilog="exit codes: 0 ok, 2 rejected input, 1 runtime error (e.g. log of a negative number)",
    )
    sub = parser.add_subparsers(dest="command", metavar="{grad,trace,draw}")
    sub.required = True

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("expr", metavar="EXPR", help="the expression, e.g. 'x*y + 3*x**2' (quote it)")
        p.add_argument("assignments", metavar="NAME=VALUE", nargs="*", help="the variables and their values")
        p.add_argument("--digits", type=int, default=6, choices=range(1, 18), metavar="N",
                       help="significant digits of the numbers shown (1-17, default 6)")

    g = sub.add_parser("grad", help="value, gradient per variable, optionally the Hessian",
                       description="Print f, df/dx for every declared variable and, with --hessian, the matrix of "
                                   "second derivatives (by double backward).")
    common(g)
    g.add_argument("--hessian", action="store_true", help="also print the Hessian")

    t = sub.add_parser("trace", help="the backward pass, step by step",
                       description="Print the stepper's table of the backward pass: per node its upstream gradient, "
                                   "per parent the local derivative, the contribution and the grad so far.")
    common(t)
    t.add_argument("--interactive", action="store_true",
                   help="one step at a time; waits for Enter between steps when stdin is a terminal (q quits)")
    t.add_argument("--wrt", metavar="NAME", help="show d f / d NAME as the sum over all paths")
    t.add_argument("--html", metavar="OUT.html", help="write a self-contained step-through page instead")

    d = sub.add_parser("draw", help="the graph as DOT, SVG, PNG or PDF",
                       description="Render the graph with the gradients of a backward pass. The format comes from "
                                   "the suffix of -o: .dot/.gv need no Graphviz binary, .svg/.png/.pdf need 'dot'.")
    common(d)
    d.add_argument("-o", "--output", metavar="FILE", help="output file (default: DOT source on stdout)")
    d.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR", help="layout direction")
    d.add_argument("--no-grads", dest="grads", action="store_false", help="do not run backward; no gradients")
    d.add_argument("--max-nodes", type=_positive_int, default=500, metavar="N",
                   help="largest graph to draw (default 500)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code (0, 1 or 2)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits on --help (0) and on bad options (2); main returns the code instead
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    out = sys.stdout
    try:
        if args.command == "grad":
            return _cmd_grad(args, out)
        if args.command == "trace":
            return _cmd_trace(args, out, lambda: input("-- Enter: next step, q: quit -- "))
        return _cmd_draw(args, out)
    except (ExpressionError, InputError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except ImportError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except (ArithmeticError, ValueError) as e:
        # the engine's domain errors (ValueError, ZeroDivisionError, OverflowError, AnomalyError), as it words them
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except RuntimeError as e:
        from .render import DotNotFoundError

        if not isinstance(e, DotNotFoundError):
            raise
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
