"""The command line: golden outputs, exit codes, hostile input, trace, draw and the files it writes."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograd_core.__main__ import main

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
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (CI installs it)")
    code, out, _ = run(capsys, "trace", "(x*w - y)**2", "x=3", "w=0.1", "y=1", "--html", "page.html")
    assert (code, out) == (0, "wrote page.html (3 steps)\n")
    assert [p.name for p in in_tmp.iterdir()] == ["page.html"]
    text = (in_tmp / "page.html").read_text(encoding="utf-8")
    assert text.count('data-kind="step"') == 3 and "<code>(x*w - y)**2</code>" in text


# ------------------------------------------------------------------------------------------ draw
def test_draw_dot_to_stdout_and_file_without_the_graphviz_binary(capsys, in_tmp, monkeypatch):
    pytest.importorskip("graphviz")
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
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", str(in_tmp))
    code, out, err = run(capsys, "draw", "x*y", "x=1", "y=2", "-o", "graph.svg")
    assert (code, out) == (1, "")
    assert "apt-get install graphviz" in err and "brew install graphviz" in err
    assert list(in_tmp.iterdir()) == []  # nothing half-written


@pytest.mark.parametrize("name, magic", [("graph.svg", b"<?xml"), ("graph.png", b"\x89PNG"), ("graph.pdf", b"%PDF")])
def test_draw_renders_with_dot(capsys, in_tmp, name, magic):
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (CI installs it)")
    code, out, _ = run(capsys, "draw", "tanh(w*x + b)", "w=-3", "x=2", "b=7", "-o", name, "--rankdir", "TB")
    assert (code, out) == (0, f"wrote {name}\n")
    data = (in_tmp / name).read_bytes()
    assert data.startswith(magic)
    if name.endswith(".svg"):
        assert b"grad" in data and b"tanh" in data
    assert [p.name for p in in_tmp.iterdir()] == [name]  # no temporary file left behind
