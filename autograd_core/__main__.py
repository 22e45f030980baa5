"""The command line: ``python -m autograd_core`` or ``autograd-core``.

Subcommands (EXPR is parsed by the safe parser of :mod:`autograd_core.expr`, never evaluated as Python):

* ``grad "EXPR" x=1 y=2 [--hessian]``: the value, the gradient per variable and optionally the Hessian;
* ``trace "EXPR" x=1 ... [--interactive] [--wrt x] [--html out.html]``: the backward pass step by step;
* ``draw "EXPR" x=1 ... [-o graph.svg]``: the graph, in the format named by the suffix (``.dot`` needs nothing;
  ``.svg``, ``.png`` and ``.pdf`` need Graphviz's ``dot`` program). Without ``-o`` the DOT source goes to stdout.

An EXPR that starts with ``-`` goes after ``--`` (``autograd-core grad -- "-x*y" x=1 y=2``); when it does not, the
usage error says so. ``--help`` of the program and of each command ends with examples.

Exit codes: 0 success; 2 rejected input (bad expression, unknown variable, missing or malformed value, bad option);
1 a runtime error, reported as the engine reports it (``ValueError: log: argument must be > 0, got -2.0 (Value
'x')``), a file that cannot be written, or a missing Graphviz ``dot`` program. Messages speak of the command's own
options and files, never of the library functions behind them.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from .expr import Expression, ExpressionError
from .graph import gradients, topological_order
from .practice import PracticeError, add_practice_command, is_tty, parse_assignments, positive_int, run_practice
from .value import Value

__all__ = ["main"]

PROG = "autograd-core"
_COMMANDS = ("grad", "trace", "draw")
_DRAW_FORMATS = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf"}
_HTML_MAX_STEPS = 300  # --html draws one picture per backward step
# a command-line word that is an option (``--hessian``, ``--digits=3``, ``-o``, ``-h``), not an expression like ``-x*y``
_OPTION = re.compile(r"--[A-Za-z][\w-]*(=.*)?|-[ho]", re.DOTALL)
_ASSIGNMENT = re.compile(r"[A-Za-z_]\w*=.*", re.DOTALL)


class InputError(Exception):
    """Rejected command-line input (exit code 2); the message is one line."""


class CommandError(Exception):
    """A command that could not finish (exit code 1): a missing program, a file that cannot be written."""


class _UsageError(Exception):
    """argparse rejected the command line; ``parser`` is the (sub)parser whose usage to show."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises :class:`_UsageError` instead of printing and exiting, so ``main`` can add a
    hint and return the exit code."""

    def error(self, message: str):  # type: ignore[override]
        raise _UsageError(self, message)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _dash_hint(argv: Sequence[str]) -> str:
    """For a rejected command line holding an EXPR that starts with ``-``: the same command with ``--``, else ""."""
    if len(argv) < 2 or argv[0] not in _COMMANDS or "--" in argv:
        return ""
    rest = list(argv[1:])
    at = next((i for i, t in enumerate(rest) if t.startswith("-") and not _OPTION.fullmatch(t)), None)
    if at is None:
        return ""
    positional = [rest[at]] + [t for i, t in enumerate(rest) if i != at and _ASSIGNMENT.fullmatch(t)]
    options = [t for i, t in enumerate(rest) if i != at and not _ASSIGNMENT.fullmatch(t)]
    line = " ".join(shlex.quote(t) for t in [PROG, argv[0], *options, "--", *positional])
    return (f"{rest[at][:40]!r} was read as an option; an expression that starts with '-' goes after '--' (which "
            f"ends the options): {line}")


def _cannot_write(path: str, error: OSError) -> CommandError:
    if error.strerror:
        reason = error.strerror
    elif isinstance(error, FileNotFoundError):
        reason = "its folder does not exist"
    else:
        reason = type(error).__name__
    return CommandError(f"cannot write {path!r}: {reason}")


def _number(x: float, digits: int) -> str:
    return f"{(0.0 if x == 0 else x):.{digits}g}"  # no "-0" for a zero


def _assignments(items: Sequence[str]) -> dict:
    try:
        return parse_assignments(items)  # one parser of NAME=VALUE for every subcommand
    except PracticeError as e:
        raise InputError(str(e)) from None


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


def _cmd_trace(args: argparse.Namespace, out: TextIO, read_line: Callable[[], str]) -> int:
    from .trace import backward_steps, explain

    if args.html is not None:
        _check_output_dir(args.html)
    elif args.practice is not None:
        raise InputError("--practice makes the page of --html a practice page: give --html OUT.html too (or use "
                         "'autograd-core practice' for practice in the terminal)")
    wrt = None
    expression, root, leaves = _build(args)
    if args.wrt is not None:
        wrt = leaves.get(args.wrt)
        if wrt is None:
            raise InputError(f"--wrt {args.wrt[:40]!r} is not a declared variable (declared: "
                             f"{', '.join(leaves) or 'none'})")
    d = args.digits
    if args.html is not None:
        count = _write_page(root, args.html, expression.text, d, args.practice)
        print(f"wrote {args.html} ({_plural(count, 'step')})", file=out)
    elif args.interactive:
        wait = is_tty(sys.stdin)
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


def _write_page(root: Value, path: str, title: str, digits: int, practice: str | None = None) -> int:
    """``trace --html``: write the step-through page; returns the number of backward steps."""
    from .html import step_page

    if not path.lower().endswith((".html", ".htm")):
        raise InputError(f"--html writes a web page: give a file name ending in .html, got {path[:60]!r}")
    steps = sum(1 for v in topological_order(root) if not v.is_leaf)
    if steps > _HTML_MAX_STEPS:
        raise InputError(f"the backward pass has {steps} steps; --html shows one frame per step, at most "
                         f"{_HTML_MAX_STEPS}: trace a smaller expression, or leave out --html to print the steps as "
                         "text")
    try:
        return step_page(root, path, title=title, precision=digits, max_steps=_HTML_MAX_STEPS, practice=practice)
    except OSError as e:
        raise _cannot_write(path, e) from None


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
    size = len(topological_order(root))
    if size > args.max_nodes:
        raise InputError(f"the graph has {size} values, more than --max-nodes {args.max_nodes}; raise --max-nodes "
                         "(dot gets slow beyond a few thousand nodes)")
    if args.grads:
        root.backward()
    from .render import DotError, DotNotFoundError, draw, render_to

    drawing = draw(root, rankdir=args.rankdir, show_grads=args.grads, show_local=True, max_nodes=args.max_nodes)
    if args.output is None:
        out.write(drawing.source)
        return 0
    try:
        render_to(drawing, args.output, format=fmt)
    except DotNotFoundError:
        dot_file = os.path.splitext(args.output)[0] + ".dot"
        raise CommandError(f"writing {args.output} needs Graphviz's dot program, which was not found on PATH; "
                           f"{DotNotFoundError.install}. DOT source needs nothing: -o {dot_file}") from None
    except DotError as e:
        raise CommandError(f"Graphviz's dot could not draw {args.output}: {e.detail}") from None
    except OSError as e:
        raise _cannot_write(args.output, e) from None
    print(f"wrote {args.output}", file=out)
    return 0


_MAIN_HELP = """\
Value, gradient, backward pass and picture of a typed expression.

EXPR holds numbers, the variables given as NAME=VALUE, + - * / **, unary minus,
parentheses and the op table's functions (exp, log, tanh, sigmoid, relu,
leaky_relu(x, 0.1), sum(a, b, c), ...). It is parsed safely, never run as
Python. An EXPR that starts with '-' goes after '--'."""

_MAIN_EXAMPLES = """\
examples:
  autograd-core grad "x*y + 3*x**2" x=-2 y=-2 --hessian
  autograd-core trace "(x*w - y)**2" x=3 w=0.1 y=1
  autograd-core trace "x*y + 3*x**2" x=-2 y=-2 --html steps.html
  autograd-core draw "tanh(w*x + b)" w=-3 x=2 b=7 -o graph.svg
  autograd-core grad -- "-x*y" x=1 y=2

Each command has its own help and examples: autograd-core grad --help

exit codes: 0 ok, 2 rejected input, 1 runtime error (e.g. log of a negative
number), a file that cannot be written, or Graphviz's dot program missing"""

_GRAD_HELP = """\
Print f, df/dx for every declared variable and, with --hessian, the matrix of
second derivatives (by double backward)."""

_GRAD_EXAMPLES = """\
examples:
  autograd-core grad "x*y + 3*x**2" x=-2 y=-2
  autograd-core grad "x*y + 3*x**2" x=-2 y=-2 --hessian
  autograd-core grad "(x*w - y)**2" x=3 w=0.1 y=1 --digits 3
  autograd-core grad "leaky_relu(x, 0.1) + elu(x, alpha=1.0)" x=-1
  autograd-core grad -- "-x*y" x=1 y=2"""

_TRACE_HELP = """\
Print the stepper's table of the backward pass: per node its upstream
gradient, per input the local derivative, the contribution and the grad so
far. --wrt writes one derivative as a sum over paths; --html writes a
self-contained step-through page (its pictures need Graphviz's dot program)."""

_TRACE_EXAMPLES = """\
examples:
  autograd-core trace "(x*w - y)**2" x=3 w=0.1 y=1
  autograd-core trace "x*y + 3*x**2" x=-2 y=-2 --wrt x
  autograd-core trace "tanh(w*x + b)" w=-3 x=2 b=7 --interactive
  autograd-core trace "x*y + 3*x**2" x=-2 y=-2 --html steps.html"""

_DRAW_HELP = """\
Draw the graph with the gradients of a backward pass: one box per value (data,
grad), an ellipse per op, local derivatives on the edges. The format comes
from the suffix of -o: .dot and .gv (DOT source) need nothing; .svg, .png and
.pdf need Graphviz's dot program (apt-get install graphviz, brew install
graphviz). Without -o the DOT source goes to stdout."""

_DRAW_EXAMPLES = """\
examples:
  autograd-core draw "x*y" x=2 y=3
  autograd-core draw "tanh(w*x + b)" w=-3 x=2 b=7 -o graph.dot
  autograd-core draw "tanh(w*x + b)" w=-3 x=2 b=7 -o graph.svg --rankdir TB
  autograd-core draw "x*y + 3*x**2" x=-2 y=-2 --no-grads -o graph.png"""


def _parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog=PROG, description=_MAIN_HELP, epilog=_MAIN_EXAMPLES, formatter_class=raw)
    sub = parser.add_subparsers(dest="command", metavar="{grad,trace,draw,practice}")
    sub.required = True

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("expr", metavar="EXPR", help="the expression, e.g. 'x*y + 3*x**2' (quote it)")
        p.add_argument("assignments", metavar="NAME=VALUE", nargs="*", help="the variables and their values")
        p.add_argument("--digits", type=int, default=6, choices=range(1, 18), metavar="N",
                       help="significant digits of the numbers shown (1-17, default 6)")

    g = sub.add_parser("grad", help="value, gradient per variable, optionally the Hessian", description=_GRAD_HELP,
                       epilog=_GRAD_EXAMPLES, formatter_class=raw)
    common(g)
    g.add_argument("--hessian", action="store_true", help="also print the Hessian")

    t = sub.add_parser("trace", help="the backward pass, step by step", description=_TRACE_HELP,
                       epilog=_TRACE_EXAMPLES, formatter_class=raw)
    common(t)
    t.add_argument("--interactive", action="store_true",
                   help="one step at a time; waits for Enter between steps when stdin is a terminal (q quits)")
    t.add_argument("--wrt", metavar="NAME", help="show d f / d NAME as the sum over all paths")
    t.add_argument("--html", metavar="OUT.html", help="write a self-contained step-through page instead")
    t.add_argument("--practice", choices=("local", "grad", "both"),
                   help="with --html: a practice page, an answer box per question, mistakes named in the page")

    d = sub.add_parser("draw", help="the graph as DOT, SVG, PNG or PDF", description=_DRAW_HELP,
                       epilog=_DRAW_EXAMPLES, formatter_class=raw)
    common(d)
    d.add_argument("-o", "--output", metavar="FILE", help="output file (default: DOT source on stdout)")
    d.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR", help="layout direction")
    d.add_argument("--no-grads", dest="grads", action="store_false", help="do not run backward; no gradients")
    d.add_argument("--max-nodes", type=positive_int, default=500, metavar="N",
                   help="largest graph to draw (default 500)")
    add_practice_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code (0, 1 or 2)."""
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as e:  # the usage, the error, and for an EXPR starting with '-' how to pass it
        e.parser.print_usage(sys.stderr)
        print(f"{e.parser.prog}: error: {e.message}", file=sys.stderr)
        hint = _dash_hint(argv)
        if hint:
            print(f"{PROG}: hint: {hint}", file=sys.stderr)
        return 2
    except SystemExit as e:  # --help exits 0; main returns the code instead
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    out = sys.stdout
    try:
        if args.command == "grad":
            code = _cmd_grad(args, out)
        elif args.command == "trace":
            code = _cmd_trace(args, out, lambda: input("-- Enter: next step, q: quit -- "))
        elif args.command == "practice":
            code = run_practice(args, sys.stdin, out)
        else:
            code = _cmd_draw(args, out)
        out.flush()  # a reader that went away (`| head`) shows here, not at interpreter exit
        return code
    except (ExpressionError, InputError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except CommandError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except ImportError as e:  # an optional package, named with what to install
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except (ArithmeticError, ValueError) as e:
        # the engine's domain errors (ValueError, ZeroDivisionError, OverflowError, AnomalyError), as it words them
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`| head`): nothing more to say to it
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  # so the interpreter's final flush does not fail again
        return 1
    except OSError as e:
        print(f"{PROG}: error: {e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
