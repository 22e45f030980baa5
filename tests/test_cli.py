"""The command line: golden outputs, exit codes, hostile input, trace, draw and the files it writes."""

from __future__ import annotations

import ast
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import autograd_core
from autograd_core import __main__ as cli
from autograd_core.__main__ import main
from autograd_core.ops import OPS

GRAD_LECTURE = """\
f(x, y) = x*y + 3*x**2
at x = -2, y = -2
f = 16
df/dx = -14
df/dy = -2
hessian (d2f / d row d column):
     x  y
  x  6  1
  y  1  0
"""

GRAD_REGRESSION = """\
f(x, w, y) = (x*w - y)**2
at x = 3, w = 0.1, y = 1
f = 0.49
df/dx = -0.14
df/dw = -4.2
df/dy = 1.4
"""


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    # every test runs in an empty directory, so "no side effect" can be checked by listing it
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------------------ grad
def test_grad_lecture_example_with_hessian(capsys, in_tmp):
    assert run(capsys, "grad", "x*y + 3*x**2", "x=-2", "y=-2", "--hessian") == (0, GRAD_LECTURE, "")


def test_grad_regression_example(capsys, in_tmp):
    assert run(capsys, "grad", "(x*w - y)**2", "x=3", "w=0.1", "y=1") == (0, GRAD_REGRESSION, "")


def test_grad_through_a_real_subprocess(in_tmp):
    done = subprocess.run([sys.executable, "-m", "autograd_core", "grad", "(x*w - y)**2", "x=3", "w=0.1", "y=1"],
                          capture_output=True, text=True, timeout=60, cwd=in_tmp)
    assert (done.returncode, done.stdout, done.stderr) == (0, GRAD_REGRESSION, "")
    done = subprocess.run([sys.executable, "-m", "autograd_core", "grad", "x*y + 3*x**2", "x=-2", "y=-2",
                           "--hessian"], capture_output=True, text=True, timeout=60, cwd=in_tmp)
    assert (done.returncode, done.stdout) == (0, GRAD_LECTURE)


def test_console_script(in_tmp):
    script = Path(sys.executable).with_name("autograd-core")
    if not script.exists():
        pytest.skip(f"the console script is not installed next to {sys.executable} (pip install -e . installs it)")
    done = subprocess.run([str(script), "grad", "x*y + 3*x**2", "x=-2", "y=-2", "--hessian"], capture_output=True,
                          text=True, timeout=60, cwd=in_tmp)
    assert (done.returncode, done.stdout) == (0, GRAD_LECTURE)


def test_grad_unused_variable_and_leading_minus(capsys, in_tmp):
    code, out, _ = run(capsys, "grad", "--", "-x", "x=1", "z=3")
    assert code == 0
    assert "df/dx = -1\n" in out and "df/dz = 0   (f does not use z)\n" in out


def test_grad_digits(capsys, in_tmp):
    code, out, _ = run(capsys, "grad", "x / 3", "x=1", "--digits", "3")
    assert code == 0 and "f = 0.333\n" in out


def test_grad_hessian_of_a_function_op(capsys, in_tmp):
    code, out, _ = run(capsys, "grad", "sin(x) * y", "x=0", "y=2", "--hessian")
    assert code == 0
    assert out.endswith("     x  y\n  x  0  1\n  y  1  0\n")


# ------------------------------------------------------------------------------------------ exit codes
def test_domain_error_is_reported_as_the_engine_reports_it(capsys, in_tmp):
    assert run(capsys, "grad", "log(x)", "x=-2") == (1, "", "ValueError: log: argument must be > 0, got -2.0 "
                                                            "(Value 'x')\n")
    code, out, err = run(capsys, "trace", "x / (y - y)", "x=1", "y=2")
    assert (code, out) == (1, "") and err.startswith("ZeroDivisionError: div: division by zero")


@pytest.mark.parametrize("argv, fragment", [
    (["grad", "x*y", "x=1"], "column 3: unknown variable 'y'; declare it as y=VALUE"),
    (["grad", "x", "x=abc"], "the value of x must be a number"),
    (["grad", "x", "x=nan"], "must be a finite number"),
    (["grad", "x", "x=inf"], "must be a finite number"),
    (["grad", "x", "x"], "is not an assignment"),
    (["grad", "x", "x=1", "x=2"], "given twice"),
    (["grad", "x", "1x=2"], "not a valid name"),
    (["grad", "x", "exp=2"], "name of an op"),
    (["trace", "x", "x=1", "--wrt", "q"], "--wrt 'q' is not a declared variable"),
    (["draw", "x", "x=1", "-o", "graph.jpg"], "cannot tell the format"),
    (["draw", "x", "x=1", "-o", "no/such/dir/graph.svg"], "does not exist"),
    (["trace", "x", "x=1", "--html", "no/such/dir/page.html"], "does not exist"),
])
def test_rejected_input_exits_2(capsys, in_tmp, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("autograd-core: error: ") and fragment in err and err.count("\n") == 1
    assert list(in_tmp.iterdir()) == []


@pytest.mark.parametrize("argv", [[], ["grad"], ["frobnicate", "x"], ["grad", "x", "--digits", "0"],
                                  ["draw", "x", "x=1", "--max-nodes", "0"], ["grad", "x", "--bogus"]])
def test_usage_errors_exit_2(capsys, in_tmp, argv):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "") and "usage: autograd-core" in err


def test_help_exits_0(capsys, in_tmp):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "grad" in out and "trace" in out and "draw" in out
    code, out, _ = run(capsys, "grad", "--help")
    assert code == 0 and "--hessian" in out


def help_examples(text: str) -> list:
    """The command lines of the ``examples:`` section of a --help text, as argv lists (without the program)."""
    section = text[text.index("\nexamples:\n"):]
    return [shlex.split(line.strip())[1:] for line in section.splitlines() if line.startswith("  autograd-core ")]


@pytest.mark.parametrize("command", [None, "grad", "trace", "draw"])
def test_help_ends_with_examples_that_work(capsys, in_tmp, monkeypatch, command):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # trace --interactive: not a terminal, so it never waits
    code, out, _ = run(capsys, *([command] if command else []), "--help")
    assert code == 0
    examples = help_examples(out)
    assert len(examples) >= 4
    if command is None:
        assert {e[0] for e in examples} == {"grad", "trace", "draw"}  # the program's help shows every command
        assert "autograd-core grad -- \"-x*y\" x=1 y=2" in out and "exit codes:" in out
    else:
        assert all(e[0] == command for e in examples)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    for argv in examples:
        if any(a.endswith((".svg", ".png", ".pdf")) for a in argv) and shutil.which("dot") is None:
            continue  # these examples need Graphviz's dot program
        code, _, err = run(capsys, *argv)
        assert (code, err) == (0, ""), argv


# ------------------------------------------------------------------------------------------ hostile input
HOSTILE = [
    "__import__('os').system('touch {pwned}')",
    "().__class__.__bases__",
    "().__class__.__bases__[0].__subclasses__()",
    "open('f')",
    "open('{pwned}', 'w')",
    "exec('import os')",
    "x.__dict__",
    "lambda: 1",
    "[x for x in y]",
    "9**9**9",
    "x" * 1_000_000,
    "(" * 10_000 + "x" + ")" * 10_000,
    "(" * 33 + "x" + ")" * 33,
    "-" * 1500 + "x",
    "undeclared + x",
    "x; import os",
    "f'{{x}}'",
    "getattr(x, 'data')",
    "x if x else y",
    "'\\x00'",
]


@pytest.mark.parametrize("command", ["grad", "trace", "draw"])
@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:25]) for t in HOSTILE])
def test_hostile_input_exits_2_without_side_effects(capsys, in_tmp, command, text):
    pwned = in_tmp.parent / f"pwned_{os.getpid()}_{command}"
    code, out, err = run(capsys, command, "--", text.format(pwned=pwned), "x=1", "y=2")
    assert (code, out) == (2, "")
    assert err.startswith("autograd-core: error: column ") and err.count("\n") == 1 and len(err) < 500
    assert not pwned.exists()
    assert list(in_tmp.iterdir()) == []


def test_hostile_input_in_a_subprocess_runs_nothing(in_tmp):
    pwned = in_tmp / "pwned_subprocess"
    for text in (f"__import__('os').system('touch {pwned}')", f"open('{pwned}', 'w')"):
        done = subprocess.run([sys.executable, "-m", "autograd_core", "grad", text, "x=1"], capture_output=True,
                              text=True, timeout=60, cwd=in_tmp)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.startswith("autograd-core: error: column ")
        assert not pwned.exists()
    assert list(in_tmp.iterdir()) == []


# ------------------------------------------------------------------------------------------ trace
def test_trace_table(capsys, in_tmp):
    code, out, err = run(capsys, "trace", "(x*w - y)**2", "x=3", "w=0.1", "y=1")
    assert (code, err) == (0, "")
    assert out.startswith("backward pass of f = ")
    row = next(line for line in out.splitlines() if line.split()[:2] == ["w", "3"])
    assert row.split() == ["w", "3", "-4.2", "-4.2"]
    assert "  w: -4.2" in out


def test_trace_wrt_lists_the_paths(capsys, in_tmp):
    code, out, _ = run(capsys, "trace", "x*y + 3*x**2", "x=-2", "y=-2", "--wrt", "x")
    assert code == 0
    assert "2 paths" in out and "= -14" in out


def test_trace_interactive_without_a_tty_does_not_wait(capsys, in_tmp, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a tty: reading would raise EOFError at once
    code, out, _ = run(capsys, "trace", "x*y + 3*x**2", "x=-2", "y=-2", "--interactive")
    assert code == 0
    assert [line[:3] for line in out.splitlines() if line.startswith("[")] == ["[0]", "[1]", "[2]", "[3]"]
    assert out.endswith("x.grad = -14\ny.grad = -2\n")
    assert "Enter" not in out


class _FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_trace_interactive_on_a_tty_waits_between_steps(capsys, in_tmp, monkeypatch):
    monkeypatch.setattr(sys, "stdin", _FakeTty("\n\n\n"))
    code, out, _ = run(capsys, "trace", "x*y + 3*x**2", "x=-2", "y=-2", "--interactive")
    assert code == 0
    assert out.count("-- Enter: next step, q: quit --") == 3  # between the 4 steps, not after the last
    assert out.endswith("x.grad = -14\ny.grad = -2\n")
    monkeypatch.setattr(sys, "stdin", _FakeTty("\nq\n"))
    code, out, _ = run(capsys, "trace", "x*y + 3*x**2", "x=-2", "y=-2", "--interactive")
    assert code == 0
    assert re.findall(r"\[(\d)\] \w", out) == ["0", "1"]  # stopped after q
    assert ".grad =" not in out


def test_trace_html_writes_one_page(capsys, in_tmp):
    code, out, _ = run(capsys, "trace", "(x*w - y)**2", "x=3", "w=0.1", "y=1", "--html", "page.html")
    assert (code, out) == (0, "wrote page.html (3 steps)\n")
    assert [p.name for p in in_tmp.iterdir()] == ["page.html"]
    text = (in_tmp / "page.html").read_text(encoding="utf-8")
    assert text.count('data-kind="step"') == 3 and "<code>(x*w - y)**2</code>" in text


# ------------------------------------------------------------------------------------------ draw
def test_draw_dot_to_stdout_and_file_without_the_graphviz_binary(capsys, in_tmp, monkeypatch):
    monkeypatch.setenv("PATH", str(in_tmp))  # no dot on PATH: .dot must not need it
    code, out, _ = run(capsys, "draw", "x*y + 3*x**2", "x=-2", "y=-2")
    assert code == 0 and out.startswith("digraph") and "grad -14" in out
    code, out, _ = run(capsys, "draw", "x*y + 3*x**2", "x=-2", "y=-2", "-o", "graph.dot")
    assert (code, out) == (0, "wrote graph.dot\n")
    source = (in_tmp / "graph.dot").read_text()
    assert source.startswith("digraph") and "grad -14" in source and "data 16" in source
    code, _, _ = run(capsys, "draw", "x*y", "x=1", "y=2", "--no-grads", "-o", "plain.gv")
    assert code == 0 and "grad" not in (in_tmp / "plain.gv").read_text()


def test_draw_svg_without_dot_says_how_to_install_it(capsys, in_tmp, monkeypatch):
    monkeypatch.setenv("PATH", str(in_tmp))
    code, out, err = run(capsys, "draw", "x*y", "x=1", "y=2", "-o", "graph.svg")
    assert (code, out) == (1, "")
    assert "apt-get install graphviz" in err and "brew install graphviz" in err
    assert list(in_tmp.iterdir()) == []  # nothing half-written


@pytest.mark.parametrize("name, magic", [("graph.svg", b"<?xml"), ("graph.png", b"\x89PNG"), ("graph.pdf", b"%PDF")])
def test_draw_renders_with_dot(capsys, in_tmp, name, magic):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (CI installs it)")
    code, out, _ = run(capsys, "draw", "tanh(w*x + b)", "w=-3", "x=2", "b=7", "-o", name, "--rankdir", "TB")
    assert (code, out) == (0, f"wrote {name}\n")
    data = (in_tmp / name).read_bytes()
    assert data.startswith(magic)
    if name.endswith(".svg"):
        assert b"grad" in data and b"tanh" in data
    assert [p.name for p in in_tmp.iterdir()] == [name]  # no temporary file left behind


# ------------------------------------------------------------------------------------------ a plain `pip install .`
# sitecustomize runs at startup of every Python process that has its folder on PYTHONPATH: here it makes
# `import graphviz` fail, as in an environment where the package was never installed
BLOCK_GRAPHVIZ = "import sys\nsys.modules['graphviz'] = None\n"


def test_draw_dot_needs_no_graphviz_package_and_no_dot_program(in_tmp):
    site = in_tmp.parent / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCK_GRAPHVIZ)
    empty = in_tmp.parent / "empty"
    empty.mkdir()
    paths = [str(site)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PATH": str(empty)}
    check = subprocess.run([sys.executable, "-c", "import graphviz"], capture_output=True, text=True, env=env)
    assert check.returncode == 1 and "import of graphviz halted" in check.stderr  # the package really is hidden
    argv = [sys.executable, "-m", "autograd_core", "draw", "x*y + 3*x**2", "x=-2", "y=-2"]
    done = subprocess.run(argv + ["-o", "g.dot"], capture_output=True, text=True, timeout=60, cwd=in_tmp, env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "wrote g.dot\n", "")
    assert (in_tmp / "g.dot").read_text(encoding="utf-8").startswith("digraph computation_graph {")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=in_tmp, env=env)
    assert done.returncode == 0 and done.stdout == (in_tmp / "g.dot").read_text(encoding="utf-8")
    done = subprocess.run(argv + ["-o", "g.svg"], capture_output=True, text=True, timeout=60, cwd=in_tmp, env=env)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "apt-get install graphviz" in done.stderr and "-o g.dot" in done.stderr
    assert sorted(p.name for p in in_tmp.iterdir()) == ["g.dot"]


# ------------------------------------------------------------------------------------------ an EXPR starting with -
@pytest.mark.parametrize("argv, fixed", [
    (["grad", "-x*y", "x=1", "y=2"], "autograd-core grad -- '-x*y' x=1 y=2"),
    (["grad", "-x*y", "x=1", "--hessian", "y=2", "--digits", "3"],
     "autograd-core grad --hessian --digits 3 -- '-x*y' x=1 y=2"),
    (["trace", "x=1", "-x", "--wrt", "x"], "autograd-core trace --wrt x -- -x x=1"),
    (["draw", "-(x+1)", "x=2", "-o", "g.dot"], "autograd-core draw -o g.dot -- '-(x+1)' x=2"),
    (["grad", "-2*x"], "autograd-core grad -- '-2*x'"),
])
def test_expression_starting_with_minus_gets_a_hint_to_use_double_dash(capsys, in_tmp, argv, fixed):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0].startswith("usage: autograd-core")
    assert lines[-1].startswith("autograd-core: hint: ") and lines[-1].endswith(fixed)
    assert "goes after '--'" in lines[-1]
    # the command it proposes works
    assert run(capsys, *shlex.split(fixed)[1:])[0] in (0, 2)  # 2 only for the missing x=... of '-2*x'
    assert list(in_tmp.iterdir()) in ([], [in_tmp / "g.dot"])


def test_proposed_double_dash_command_runs(capsys, in_tmp):
    code, out, err = run(capsys, "grad", "-x*y", "x=1", "y=2")
    fixed = err.splitlines()[-1].rsplit("): ", 1)[1]
    code, out, err = run(capsys, *shlex.split(fixed)[1:])
    assert (code, err) == (0, "") and "df/dx = -2\n" in out


@pytest.mark.parametrize("argv", [["grad", "x", "x=1", "--hesian"], ["grad", "x", "x=1", "--digits", "0"],
                                  ["frobnicate", "-x"], ["grad", "--", "x", "-y"]])
def test_no_double_dash_hint_for_other_usage_errors(capsys, in_tmp, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and "hint" not in err


# ------------------------------------------------------------------------------------------ plurals
def test_trace_html_counts_steps_in_words(capsys, in_tmp):
    assert run(capsys, "trace", "exp(x)", "x=1", "--html", "one.html")[:2] == (0, "wrote one.html (1 step)\n")
    assert run(capsys, "trace", "x", "x=1", "--html", "none.html")[:2] == (0, "wrote none.html (0 steps)\n")
    assert run(capsys, "trace", "x*y", "x=1", "y=2", "--html", "two.html")[1] == "wrote two.html (1 step)\n"
    assert run(capsys, "trace", "x*y+x", "x=1", "y=2", "--html", "two.html")[1] == "wrote two.html (2 steps)\n"


# ------------------------------------------------------------------------------------------ messages for the command
def test_trace_html_needs_no_dot(capsys, in_tmp, monkeypatch):
    # the page lays its graph out in the browser (the vendored WebAssembly Graphviz): no dot on PATH needed
    monkeypatch.setenv("PATH", str(in_tmp))
    code, out, err = run(capsys, "trace", "x*y", "x=1", "y=2", "--html", "page.html")
    assert (code, err) == (0, "")
    assert (in_tmp / "page.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_draw_svg_without_dot_proposes_the_dot_file(capsys, in_tmp, monkeypatch):
    monkeypatch.setenv("PATH", str(in_tmp))
    (in_tmp / "pics").mkdir()
    code, out, err = run(capsys, "draw", "x*y", "x=1", "y=2", "-o", "pics/graph.svg")
    assert (code, out) == (1, "")
    assert err.startswith("autograd-core: error: writing pics/graph.svg needs Graphviz's dot program")
    assert err.rstrip().endswith("DOT source needs nothing: -o pics/graph.dot") and "render_to" not in err
    assert list((in_tmp / "pics").iterdir()) == []


@pytest.mark.skipif(os.name == "nt", reason="the stand-in dot is a shell script")
def test_a_failing_dot_is_reported_for_the_file(capsys, in_tmp, monkeypatch):
    bin_dir = in_tmp.parent / "bin"
    bin_dir.mkdir()
    (bin_dir / "dot").write_text('#!/bin/sh\nwhile read -r line; do :; done\necho "Error: boom" >&2\nexit 1\n')
    (bin_dir / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    code, out, err = run(capsys, "draw", "x*y", "x=1", "y=2", "-o", "graph.png")
    assert (code, out, err) == (1, "", "autograd-core: error: Graphviz's dot could not draw graph.png: Error: boom\n")
    assert list(in_tmp.iterdir()) == []


def test_too_many_nodes_and_steps_name_the_options(capsys, in_tmp, monkeypatch):
    code, out, err = run(capsys, "draw", "x*y + x", "x=1", "y=2", "--max-nodes", "3")
    assert (code, out) == (2, "")
    assert err == ("autograd-core: error: the graph has 4 values, more than --max-nodes 3; raise --max-nodes (dot "
                   "gets slow beyond a few thousand nodes)\n")
    assert run(capsys, "draw", "x*y + x", "x=1", "y=2", "--max-nodes", "4")[0] == 0
    monkeypatch.setattr(cli, "_HTML_MAX_STEPS", 1)
    code, out, err = run(capsys, "trace", "x*y + x", "x=1", "y=2", "--html", "p.html")
    assert (code, out) == (2, "")
    assert "the backward pass has 2 steps; --html shows one frame per step, at most 1" in err
    assert "leave out --html" in err and "max_steps" not in err
    assert list(in_tmp.iterdir()) == []


def test_unwritable_output_is_one_line(capsys, in_tmp):
    (in_tmp / "taken.dot").mkdir()
    code, out, err = run(capsys, "draw", "x*y", "x=1", "y=2", "-o", "taken.dot")
    assert (code, out) == (1, "")
    assert err.startswith("autograd-core: error: cannot write 'taken.dot': ") and err.count("\n") == 1


def _library_names() -> set:
    """Every function and class defined in autograd_core, except the op names a user types in an expression."""
    names = set()
    for path in Path(autograd_core.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
    return {n for n in names if n not in OPS and not (n.startswith("__") and n.endswith("__"))}


FAILING = [
    ["grad", "log(x)", "x=-2"],
    ["grad", "x / (y - y)", "x=1", "y=2"],
    ["grad", "x*y", "x=1"],
    ["grad", "x", "x=abc"],
    ["grad", "x.__class__", "x=1"],
    ["trace", "x", "x=1", "--wrt", "q"],
    ["trace", "x*y", "x=1", "y=2", "--html", "no/such/dir/page.html"],
    ["draw", "x*y", "x=1", "y=2", "-o", "graph.svg"],
    ["draw", "x*y", "x=1", "y=2", "-o", "graph.jpg"],
    ["draw", "x*y + x", "x=1", "y=2", "--max-nodes", "2"],
    ["draw", "x", "x=1", "-o", "no/such/dir/g.dot"],
    ["grad", "-x*y", "x=1", "y=2"],
    ["grad", "x", "--digits", "99"],
]


@pytest.mark.parametrize("argv", FAILING, ids=[" ".join(a) for a in FAILING])
def test_error_messages_never_show_internal_function_names(capsys, in_tmp, monkeypatch, argv):
    monkeypatch.setenv("PATH", str(in_tmp))  # no dot: the .svg cases fail on that
    code, out, err = run(capsys, *argv)
    assert code in (1, 2) and out == "" and err
    assert "Traceback" not in err
    text = re.sub(r"(?m)^autograd-core[\w ]*: (error|hint): ", "", err)  # the program's own prefixes
    internal = {n for n in _library_names() if re.search(rf"(?<![\w.-]){re.escape(n)}(:|\()", text)}
    assert not internal, f"{internal} in {err!r}"
    assert "max_nodes" not in err and "max_steps" not in err and ".scope(" not in err


def test_internal_name_check_finds_them():
    found = {n for n in _library_names() if re.search(rf"(?<![\w.-]){re.escape(n)}(:|\()",
                                                        "to_svg: rendering needs dot; step_page(...) failed")}
    assert found == {"to_svg", "step_page"}


# ------------------------------------------------------------------------------------------ the guide's sessions
CLI_GUIDE = Path(__file__).resolve().parents[1] / "docs" / "readme" / "cli.md"


def console_sessions(text: str) -> list:
    """(command argv, expected output) for every ``$ autograd-core ...`` line of the ```console blocks."""
    sessions, block = [], None
    for line in text.splitlines():
        if line.startswith("```console"):
            block = []
            continue
        if block is None:
            continue
        if line.startswith("```"):
            sessions.extend(block)
            block = None
        elif line.startswith("$ "):
            block.append([shlex.split(line[2:], comments=True), []])
        elif block:
            block[-1][1].append(line)
    return [(argv[1:], "".join(out_line + "\n" for out_line in out)) for argv, out in sessions
            if argv and argv[0] == "autograd-core"]


def test_the_guides_sessions_print_what_the_guide_shows(capsys, in_tmp, monkeypatch):
    sessions = console_sessions(CLI_GUIDE.read_text(encoding="utf-8"))
    assert len(sessions) >= 15
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    path = os.environ["PATH"]
    ran = 0
    for argv, expected in sessions:
        without_dot = "was not found on PATH" in expected
        if not without_dot and shutil.which("dot") is None and \
                any(a.endswith((".svg", ".png", ".pdf", ".html")) for a in argv):
            continue  # needs Graphviz's dot program
        monkeypatch.setenv("PATH", str(in_tmp) if without_dot else path)
        code, out, err = run(capsys, *argv)
        assert out + err == expected, argv
        ran += 1
    assert ran >= 12


def test_a_reader_that_goes_away_ends_quietly(in_tmp):
    # `autograd-core trace ... | head -1`: the pipe closes before the output is written
    proc = subprocess.Popen([sys.executable, "-m", "autograd_core", "trace", "x*y + 3*x**2", "x=-2", "y=-2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=in_tmp)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 1 and err == b""
