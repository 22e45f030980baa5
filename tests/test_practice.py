"""The practice tutor: the catalogue of mistakes on random graphs, the lectures' exercises, scripted sessions, the CLI.

Every mistake of the catalogue is *simulated* here by code independent of the tutor's (hand formulas for exp, tanh
and sigmoid, a backward pass written with ``=`` instead of ``+=``, two real ``backward()`` calls, ...), and the
tutor must name it; right answers (also within the tolerance) must never be diagnosed. :func:`diagnosis_rates`
measures how often each diagnosis is right; ``python tests/test_practice.py N`` prints the table for N graphs.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import io
import math
import random
import weakref
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings

import autograd_core as ag
from autograd_core import Value, backward_steps
from autograd_core.practice import (
    EXERCISES,
    MISTAKES,
    PracticeError,
    Summary,
    add_practice_command,
    evaluate_answer,
    exercise,
    practice,
    random_exercise,
    run_practice,
    shown_answer,
    worksheet,
)
from autograd_core.testing import expressions_and_inputs
from autograd_core.trace import node_names

ROOT = Path(__file__).resolve().parents[1]
EXP, TANH, SIGMOID, SIN, COS, MUL = (ag.OPS[n] for n in ("exp", "tanh", "sigmoid", "sin", "cos", "mul"))


# ------------------------------------------------------------------------------------------ simulated mistakes
def _sigma(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# the classic ops' derivatives written by hand, wrongly: input where the output belongs, and at the output
INPUT_FOR_OUTPUT = {EXP: lambda x: x, TANH: lambda x: 1.0 - x * x, SIGMOID: lambda x: x * (1.0 - x)}
OUTPUT_FOR_INPUT = {EXP: lambda a: math.exp(a), TANH: lambda a: 1.0 - math.tanh(a) ** 2,
                    SIGMOID: lambda a: _sigma(a) * (1.0 - _sigma(a)), SIN: lambda a: math.cos(a),
                    COS: lambda a: -math.sin(a)}


def overwriting_backward(root: Value) -> dict:
    """A backward pass with ``=`` instead of ``+=`` (micrograd's classic bug), written independently here."""
    order = ag.topological_order(root)
    grads = {root: 1.0}
    for v in reversed(order):
        if v.op_entry is None:
            continue
        locs = v.op_entry.local_derivatives(tuple(p.data for p in v.parents), v.data, v.arg)
        for p, d in zip(v.parents, locs):
            grads[p] = grads.get(v, 0.0) * d
    return grads


def simulate(build) -> tuple:
    """``(sheet, cases)``: the worksheet of a fresh graph, and every simulated mistake ``(question, kind, value)``
    plus the right answers ``(question, None, value)``. ``build()`` returns a fresh root each call."""
    root = build()
    sheet = worksheet(root, "both", nodes=[v for v in ag.topological_order(root)])
    names = node_names(root)
    steps = list(backward_steps(root))
    by_node = {s.node: s for s in steps}
    uses: dict = {}
    for s in steps:
        for u in s.updates:
            uses.setdefault(u.parent, []).append((s, u))
    grads = {v: v.grad for v in ag.topological_order(root)}
    wrong_pass = overwriting_backward(root)
    twice = build()
    twice.backward()
    twice.backward()
    twice_names = node_names(twice)  # the same structure, so the same names
    twice_grads = {twice_names[v]: v.grad for v in ag.topological_order(twice)}
    cases = []
    questions = {q.label: q for q in sheet.questions()}  # a prompt may be asked twice: as a local, as a gradient
    rname = names[root]
    for v in ag.topological_order(root):
        vn = names[v]
        q = questions.get(f"gradient d {rname} / d {vn}")
        if q is not None:
            right = grads[v]
            cases.append((q, None, right))
            here = uses.get(v, [])
            if len(here) >= 2:
                for _, u in here:
                    cases.append((q, "forgot_sum", u.contribution))
                cases.append((q, "overwrite", here[-1][1].contribution))
            cases.append((q, "overwrite", wrong_pass.get(v, 0.0)))
            cases.append((q, "dropped_upstream", math.fsum(u.local for _, u in here)))
            cases.append((q, "sign_error", -right))
            for s, u in here:
                if s.node.op_entry is MUL and s.node.parents[0] is not s.node.parents[1]:
                    other = s.updates[1 - u.position].local
                    cases.append((q, "wrong_operand", right - u.contribution + s.upstream * other))
            if v.op_entry is None:
                cases.append((q, "accumulated_twice", twice_grads[vn]))
        s = by_node.get(v)
        if s is None:
            continue
        pnames = [names[p] for p in v.parents]
        for u in s.updates:
            label = pnames[u.position] + (f" (input {u.position})" if pnames.count(pnames[u.position]) > 1 else "")
            q = questions.get(f"local derivative d {vn} / d {label}")
            if q is None:
                continue
            cases.append((q, None, u.local))
            cases.append((q, "sign_error", -u.local))
            cases.append((q, "upstream_in_local", u.local * s.upstream))
            if v.op_entry is MUL:
                cases.append((q, "wrong_operand", s.updates[1 - u.position].local))
            if v.op_entry in INPUT_FOR_OUTPUT:
                cases.append((q, "input_for_output", INPUT_FOR_OUTPUT[v.op_entry](v.parents[0].data)))
            if v.op_entry in OUTPUT_FOR_INPUT:
                cases.append((q, "output_for_input", OUTPUT_FOR_INPUT[v.op_entry](v.data)))
    return sheet, cases


def tally(sheet, cases, counts: dict) -> list:
    """Judge every case; add to ``counts[kind]`` (a Counter of outcomes); return the failures."""
    failures = []
    for q, kind, value in cases:
        c = counts.setdefault(kind or "right answer", Counter())
        c["cases"] += 1
        if kind is None:
            for answer in (value, value * (1 + 0.5 * sheet.rtol), float(f"{value:.4g}")):
                fb = sheet.diagnose(q, answer)
                if fb.verdict != "right":
                    failures.append(f"right answer {answer!r} to {q.prompt} judged {fb.verdict}: {fb.lines}")
                    c["misjudged"] += 1
            continue
        if not math.isfinite(value):
            c["not finite"] += 1
            continue
        fb = sheet.diagnose(q, value)
        if fb.verdict == "right":
            c["gives the right number"] += 1  # the mistake changes nothing here: nothing to diagnose
            continue
        precision = counts.setdefault("precision", Counter())
        for named in fb.mistakes:
            precision[f"{named} named"] += 1
            precision[f"{named} right"] += named == kind
        if kind in fb.mistakes:
            c["named"] += 1
            c["named alone" if len(fb.mistakes) == 1 else "named with others"] += 1
            for other in fb.mistakes:
                if other != kind:
                    c[f"also {other}"] += 1
        else:
            c["missed"] += 1
            failures.append(f"{kind} on {q.prompt}: answer {value!r} (right {q.answer!r}) judged {fb.verdict} "
                            f"{fb.mistakes}")
        # how often the tutor names this kind when it is not the simulated mistake (its precision)
    return failures


def random_wrong(sheet, rng: random.Random, counts: dict) -> None:
    """Wrong answers no mistake explains (the right one scaled and shifted at random): how often is one named?"""
    c = counts.setdefault("random wrong answer", Counter())
    for q in sheet.questions():
        value = q.answer * rng.uniform(-3, 3) + rng.uniform(-1, 1)
        if abs(value - q.answer) <= sheet.atol + sheet.rtol * abs(q.answer):
            continue
        c["cases"] += 1
        fb = sheet.diagnose(q, value)
        c["named (spurious)" if fb.verdict == "mistake" else "not named"] += 1


# ------------------------------------------------------------------------------------------ the properties
@settings(max_examples=40)
@given(expressions_and_inputs(n_vars=2, max_depth=4, max_ops=8))
def test_every_simulated_mistake_is_named_and_right_answers_never_are(pair):
    expr, inputs = pair
    sheet, cases = simulate(lambda: expr.build(list(inputs)))
    failures = tally(sheet, cases, {})
    assert not failures, f"{expr} at {inputs}:\n" + "\n".join(failures[:10])


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_exercises_simulated_mistakes(name):
    def build():
        root, _ = EXERCISES[name].build()
        return root

    sheet, cases = simulate(build)
    counts: dict = {}
    assert not tally(sheet, cases, counts)
    assert counts["right answer"]["misjudged"] == 0


def test_the_classic_mistakes_of_the_lectures_are_named():
    sheet = exercise("softmax-cross-entropy").worksheet("both")
    # e1 feeds p1 = e1 / s and s: forgetting the path through s gives d L / d e1 = (d L / d p1)(1 / s)
    q = sheet.question("d L / d e1")
    fb = sheet.diagnose(q, "-1.7328494543636388 * 0.09539137275043312")
    assert fb.mistakes == ("forgot_sum",) and "e1 is used 2 times (p1, s)" in fb.lines[0]
    # exp's derivative is its output e1 = e^1.8, not the input 1.8
    fb = sheet.diagnose("d e1 / d z1", "1.8")
    assert fb.verdict == "mistake" and fb.mistakes == ("input_for_output",)
    assert fb.lines == ("used the input where the derivative reuses the output: exp's derivative reuses its output "
                        "(e^x; derivative e^x (the output)): it is written with e1 = 6.05. Your 1.8 is the same "
                        "formula with the input z1 = 1.8 put where the output belongs.",)
    # d L / d z1 = p1 - 1; the path through the numerator alone gives -1, the one through s alone p1
    fb = sheet.diagnose("d L / d z1", "-1")
    assert "forgot_sum" in fb.mistakes
    assert sheet.diagnose("d L / d z1", "0.5771 - 1").verdict == "right"
    # the regression net: sigma'(a) for sigma'(z), the delta rule's classic
    net = exercise("regression-net").worksheet()
    q = net.question("d L / d z3")
    root, _ = EXERCISES["regression-net"].build()
    nodes = {node_names(root)[v]: v for v in ag.topological_order(root)}
    a, g = nodes["y"].data, net.question("d L / d y").answer
    fb = net.diagnose(q, g * _sigma(a) * (1 - _sigma(a)))
    assert fb.mistakes == ("output_for_input",)
    # the worked example: the minus of y_hat - y
    we = exercise("worked-example").worksheet()
    assert we.diagnose("d e / d y", "1").mistakes == ("sign_error",)
    assert we.question("d L / d w").answer == pytest.approx(-4.2)


def test_two_mistakes_with_the_same_number_are_both_named():
    sheet = exercise("used-twice").worksheet()
    fb = sheet.diagnose("d f / d a", "-6")  # the term through s alone, = also leaves it; -6 = 2 x -3 too
    assert fb.verdict == "mistake" and set(fb.mistakes) == {"forgot_sum", "overwrite", "accumulated_twice"}
    assert fb.lines[0] == "your -6 matches 3 classic mistakes (they give the same number here):"
    assert [ln[:4] for ln in fb.lines[1:]] == ["(1) ", "(2) ", "(3) "]


def test_lecture_answers():
    we = exercise("worked-example").worksheet()
    assert we.question("d L / d w").answer == pytest.approx(-4.2)
    lr = exercise("logistic-regression").worksheet()
    a = 1 / (1 + math.exp(0.8))  # z = 0.5 - 0.6 - 0.8 + 0.1
    assert lr.question("d L / d z").answer == pytest.approx(a - 1)
    assert lr.question("d L / d b").answer == pytest.approx(a - 1)
    assert lr.question("d L / d w2").answer == pytest.approx((a - 1) * 2)
    xy = exercise("gradient-xy").worksheet()
    assert (xy.question("d f / d x").answer, xy.question("d f / d y").answer) == (-14.0, -2.0)
    sm = exercise("softmax-cross-entropy").worksheet()
    e = [math.exp(z) for z in (1.8, 0.9, 0.68)]
    p = [v / sum(e) for v in e]
    assert [round(v, 2) for v in p] == [0.58, 0.23, 0.19]
    got = [sm.question(f"d L / d z{i}").answer for i in (1, 2, 3)]
    assert got == pytest.approx([p[0] - 1, p[1], p[2]])
    ut = exercise("used-twice").worksheet()
    assert (ut.question("d f / d a").answer, ut.question("d f / d b").answer) == (-3.0, -8.0)
    net = exercise("regression-net").worksheet()
    assert [q.prompt for q in net.questions()] == ["d L / d y", "d L / d z3", "d L / d z2_1", "d L / d z2_2",
                                                   "d L / d z1_1", "d L / d z1_2"]


def test_regression_net_deltas_follow_the_delta_rule():
    # delta[L] = -(t - y) sigma'(z); delta[l] = W[l+1]^T delta[l+1] * sigma'(z[l]), by hand, on the same numbers
    net = exercise("regression-net").worksheet()
    root, _ = EXERCISES["regression-net"].build()
    v = {node_names(root)[n]: n.data for n in ag.topological_order(root)}
    d3 = -(v["t"] - v["y"]) * v["y"] * (1 - v["y"])
    d2 = [v[f"w3_{j}"] * d3 * v[f"a2_{j}"] * (1 - v[f"a2_{j}"]) for j in (1, 2)]
    d1 = [sum(v[f"W2_{j}{k}"] * d2[j - 1] for j in (1, 2)) * v[f"a1_{k}"] * (1 - v[f"a1_{k}"]) for k in (1, 2)]
    got = [net.question(p).answer for p in ("d L / d z3", "d L / d z2_1", "d L / d z2_2", "d L / d z1_1",
                                            "d L / d z1_2")]
    assert got == pytest.approx([d3, *d2, *d1], rel=1e-12)


def test_answers_are_numbers_or_small_expressions():
    assert evaluate_answer("1/3") == 1 / 3
    assert evaluate_answer(" 2*(-0.7)*3 ") == pytest.approx(-4.2)
    assert evaluate_answer("exp(1)") == math.e
    for bad, why in (("x + 1", "'x' is not a number"), ("1/0", "cannot compute"), ("", "type a number"),
                     ("__import__('os')", "cannot read"), ("1e999", "too large")):
        with pytest.raises(PracticeError, match=why):
            evaluate_answer(bad)
    assert shown_answer("-1.4", -1.4) == "-1.4" and shown_answer("1/3", 1 / 3) == "1/3 = 0.333333"
    sheet = exercise("worked-example").worksheet()
    fb = sheet.diagnose("d L / d w", "two")
    assert fb.verdict == "invalid" and fb.mistakes == ()


def test_an_unexplained_wrong_answer_gets_the_chain_rule_step_with_the_numbers():
    sheet = exercise("worked-example").worksheet()
    fb = sheet.diagnose("d L / d w", "7")
    assert fb.lines == ("not right, and none of the classic mistakes gives 7.",
                        "the chain-rule step: d L / d w = (d L / d y_hat) x (d y_hat / d w) = (-1.4) x 3")
    fb = sheet.diagnose("d L / d w", "-4.25")  # near, not within the tolerance
    assert fb.lines[1] == "close to the right number, but not within the tolerance: keep more digits (4 significant " \
                          "digits)."


def test_worksheet_options_and_errors():
    x = Value(2.0, label="x")
    f = x * x + 3.0
    f.label = "f"
    assert [q.prompt for q in worksheet(f, "grad").questions()] == ["d f / d mul#1", "d f / d x"]
    assert [q.prompt for q in worksheet(f, "local").questions()] == ["d f / d mul#1", "d mul#1 / d x (input 0)",
                                                                   "d mul#1 / d x (input 1)"]
    assert [q.prompt for q in worksheet(f, "grad", nodes=["x"]).questions()] == ["d f / d x"]
    with pytest.raises(ValueError, match="ask must be one of"):
        worksheet(f, "all")
    with pytest.raises(ValueError, match="no node named 'z'"):
        worksheet(f, nodes=["z"])
    with pytest.raises(ValueError, match="not part of the graph"):
        worksheet(f, nodes=[Value(1.0, label="y")])
    with pytest.raises(TypeError, match="root must be a Value"):
        worksheet(3.0)
    with pytest.raises(PracticeError, match="no exercise 'nope'"):
        exercise("nope")
    assert x.grad == 0.0 and f.grad == 0.0  # a worksheet changes nothing in the graph


def test_accumulated_gradients_are_recognised_from_the_leaf_grad():
    x = Value(3.0, label="x")
    f = x * x
    f.label = "f"
    f.backward()  # the learner ran backward once already: x.grad = 6
    sheet = worksheet(f, "grad")
    f.backward()  # and again: x.grad = 12, the number a learner reads off .grad
    assert sheet.diagnose("d f / d x", x.grad).mistakes == ("accumulated_twice",)


def test_a_worksheet_holds_no_reference_to_the_graph():
    gc.disable()
    try:
        x = Value(0.5, label="x")
        y = (x * x).tanh() + x
        ref = weakref.ref(y)
        sheet = worksheet(y)
        del x, y
        assert ref() is None  # freed by reference counting alone
        assert sheet.questions()
    finally:
        gc.enable()


def test_seeded_random_exercises_are_reproducible():
    a, title_a = random_exercise(6, seed=4)
    b, title_b = random_exercise(6, seed=4)
    assert title_a == title_b and a.data == b.data
    assert sum(1 for v in ag.topological_order(a) if v.op_entry is not None) >= 6
    with pytest.raises(PracticeError, match="size must be an int >= 1"):
        random_exercise(0)


# ------------------------------------------------------------------------------------------ sessions
def _cli(argv: list, answers: str, *, expect: int = 0) -> tuple:
    parser = argparse.ArgumentParser(prog="autograd-core")
    add_practice_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["practice", *argv])
    out, err = io.StringIO(), io.StringIO()
    assert run_practice(args, io.StringIO(answers), out, err) == expect
    return out.getvalue(), err.getvalue()


WORKED_SESSION = """\
Practice backprop: the seed worked example: L = (w x - y)^2 at x = 3, y = 1, w = 0.1 (dL/dw = 2 (y_hat - y) x = -4.2)
forward pass (backward visits these nodes from the last to the first):
  y_hat = w * x = 0.3
  e = y_hat - y = -0.7
  L = e ** 2 = 0.49
10 questions, 2 tries each. Answer with a number or a small expression such as 1/3 or 2*(-0.7)*3. Type hint for a \
hint, show for the answer, quit to stop.

[0] L = e ** 2   (L = 0.49; e = -0.7)
  local derivative d L / d e = ? 2*(-0.7)
    right: d L / d e = -1.4

[1] e = y_hat - y   (e = -0.7; y_hat = 0.3, y = 1)
  gradient d L / d e = ? -1.4
    right: d L / d e = -1.4
  local derivative d e / d y_hat = ? 1
    right: d e / d y_hat = 1
  local derivative d e / d y = ? 1
    sign error: d e / d y for e = y_hat - y (x - y) is negative, and your 1 is not. A minus sign comes with the \
second input of x - y and x / y, and with -x and cos.
  local derivative d e / d y = ? (try 2 of 2) -1
    right: d e / d y = -1

[2] y_hat = w * x   (y_hat = 0.3; w = 0.1, x = 3)
  gradient d L / d y_hat = ? hint
    hint: y_hat is used once, by e: d L / d y_hat = (d L / d e) x (d e / d y_hat), upstream times local
  gradient d L / d y_hat = ? -1.4
    right: d L / d y_hat = -1.4
  local derivative d y_hat / d w = ? 0.1
    took the wrong operand: your 0.1 is d y_hat / d x, the derivative with respect to the other input of y_hat = w * \
x (x * y). For a product the derivative with respect to one factor is the other factor.
  local derivative d y_hat / d w = ? (try 2 of 2) 0.3
    not right, and none of the classic mistakes gives 0.3.
    the chain-rule step: d y_hat / d w for y_hat = w * x (mul: x * y), at w = 0.1, x = 3 (output 0.3)
    the answer: d y_hat / d w = 3 for y_hat = w * x (mul: x * y) at w = 0.1, x = 3
  local derivative d y_hat / d x = ? show
    the answer: d y_hat / d x = 0.1 for y_hat = w * x (mul: x * y) at w = 0.1, x = 3

gradients of the leaves   (x = 3, w = 0.1, y = 1)
  gradient d L / d x = ? two
    cannot read 'two': 'two' is not a number; an answer holds numbers, + - * / **, parentheses and functions such as \
exp(1)
  gradient d L / d x = ? -0.14
    right: d L / d x = -0.14
  gradient d L / d w = ? 3
    dropped the upstream factor: your 3 is the local derivative alone (d y_hat / d w); the chain rule multiplies \
each by its upstream gradient (d L / d y_hat = -1.4).
  gradient d L / d w = ? (try 2 of 2) -4.2
    right: d L / d w = -4.2
  gradient d L / d y = ? 1.4
    right: d L / d y = 1.4

summary: 10 questions: 6 right at the first try, 2 right at a retry, 2 shown, 0 not answered
mistakes named:
  dropped the upstream factor: 1 (d L / d w)
  sign error: 1 (d e / d y)
  took the wrong operand: 1 (d y_hat / d w)
wrong answers no classic mistake explains: 1
"""


def test_scripted_session_transcript():
    answers = "2*(-0.7)\n-1.4\n1\n1\n-1\nhint\n-1.4\n0.1\n0.3\nshow\ntwo\n-0.14\n3\n-4.2\n1.4\n"
    out, err = _cli(["--exercise", "worked-example"], answers)
    assert err == ""
    assert out == WORKED_SESSION


def test_session_stops_at_quit_and_at_end_of_input():
    out, _ = _cli(["x*y + 3*x**2", "x=-2", "y=-2", "--ask", "grad"], "1\nquit\n")
    assert out.endswith("summary: 5 questions: 1 right at the first try, 0 right at a retry, 0 shown, 4 not "
                        "answered\nmistakes named: none\nwrong answers no classic mistake explains: 0\n")
    out, _ = _cli(["x*y + 3*x**2", "x=-2", "y=-2", "--ask", "grad"], "1\n")  # input ends
    assert "1 right at the first try, 0 right at a retry, 0 shown, 4 not answered" in out


def test_cli_list_and_errors():
    out, _ = _cli(["--list"], "")
    assert [ln.split()[0] for ln in out.splitlines()] == [*EXERCISES, "random:"]
    _, err = _cli(["--exercise", "nope"], "", expect=2)
    assert err.startswith("autograd-core: error: no exercise 'nope'; the exercises are: worked-example")
    _, err = _cli(["x*", "x=1"], "", expect=2)
    assert err.startswith("autograd-core: error: column 3:")
    _, err = _cli(["x+1", "x"], "", expect=2)
    assert "is not an assignment" in err
    _, err = _cli(["x+1", "--exercise", "used-twice"], "", expect=2)
    assert "not EXPR and --exercise" in err
    _, err = _cli(["x", "x=1"], "", expect=2)
    assert "single leaf" in err
    _, err = _cli(["log(x)", "x=-1"], "", expect=1)
    assert err.startswith("ValueError: log: argument must be > 0")
    _, err = _cli([], "", expect=2)
    assert "give an expression" in err


def test_cli_random_exercise():
    out, _ = _cli(["--random", "5", "--seed", "2", "--ask", "grad"], "quit\n")
    assert out.startswith("Practice backprop: random exercise (size 5, seed 2): f = ")


def test_repl_practice_with_a_script():
    x, y = Value(-2.0, label="x"), Value(-2.0, label="y")
    f = x * y + 3 * x ** 2
    answers = iter(["hint", "-2", "-2", "-14"])  # y: a hint, then right; x: the path through x * y alone, then right
    out = io.StringIO()
    summary = practice(f, "grad", nodes=[x, y], read=lambda prompt: out.write(prompt) and next(answers), out=out)
    assert isinstance(summary, Summary)
    assert (summary.right_first, summary.right_retry, summary.mistakes) == (1, 1, {"forgot_sum": 1})
    text = out.getvalue()
    assert "hint: y is used once, by mul#1: d add#0 / d y = (d add#0 / d mul#1) x (d mul#1 / d y)" in text
    assert "forgot to sum over paths: x is used 2 times (mul#1, pow#3)" in text
    assert x.grad == 0.0  # practising changes no gradient


def test_catalogue_is_documented():
    doc = (ROOT / "docs" / "readme" / "practice.md").read_text(encoding="utf-8")
    for kind in MISTAKES:
        assert f"`{kind}`" in doc, kind


def _doc_runner():
    spec = importlib.util.spec_from_file_location("_docs_runner", ROOT / "tests" / "test_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tutorial_chapter_blocks_run_and_print_what_is_shown(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    assert _doc_runner()._run_file(ROOT / "docs" / "practice.md", check_output=True) >= 5


# ------------------------------------------------------------------------------------------ the rates table
def diagnosis_rates(n_graphs: int = 200, seed: int = 0) -> dict:
    """Simulate every mistake on ``n_graphs`` random graphs and inputs (seeded); return kind -> Counter of outcomes."""
    from hypothesis import HealthCheck, Phase
    from hypothesis import seed as hseed
    from hypothesis import settings as hsettings

    counts: dict = {}
    rng = random.Random(seed)
    seen = []

    @hseed(seed)
    @hsettings(phases=[Phase.generate], database=None, max_examples=n_graphs, deadline=None,
               suppress_health_check=list(HealthCheck))
    @given(expressions_and_inputs(n_vars=2, max_depth=4, max_ops=8))
    def run(pair):
        expr, inputs = pair
        seen.append(str(expr))
        sheet, cases = simulate(lambda: expr.build(list(inputs)))
        tally(sheet, cases, counts)
        random_wrong(sheet, rng, counts)

    run()
    counts["graphs"] = Counter(cases=len(seen), distinct=len(set(seen)))
    return counts


def _precision(p: Counter, kind: str) -> str:
    named = p[f"{kind} named"]
    return f"{100 * p[f'{kind} right'] / named:.1f}% of {named}" if named else "-"


def format_rates(counts: dict) -> str:
    kinds = [k for k in [*MISTAKES, "right answer", "random wrong answer"] if k in counts]
    g = counts.get("graphs", Counter())
    p = counts.get("precision", Counter())
    lines = [f"{g['cases']} random graphs ({g['distinct']} distinct expressions) from autograd_core.testing", "",
             "| simulated mistake | cases | gives the right number | distinguishable | named | named alone | named "
             "with others | missed | precision |", "|---|---|---|---|---|---|---|---|---|"]
    for k in kinds:
        c = counts[k]
        if k == "right answer":
            lines.append(f"| right answer (3 forms) | {3 * c['cases']} | | | misjudged {c['misjudged']} | | | |")
            continue
        if k == "random wrong answer":
            lines.append(f"| random wrong answer | {c['cases']} | | {c['cases']} | named {c['named (spurious)']} "
                         f"(spurious) | | | |")
            continue
        dist = c["cases"] - c["gives the right number"] - c["not finite"]
        pct = (lambda n, d=dist: f"{n} ({100 * n / d:.1f}%)") if dist else str
        others = ", ".join(f"{o[5:]} {n}" for o, n in c.most_common() if o.startswith("also "))
        lines.append(f"| {k} | {c['cases']} | {c['gives the right number']} | {dist} | {pct(c['named'])} | "
                     f"{pct(c['named alone'])} | {pct(c['named with others'])}{' (' + others + ')' if others else ''} "
                     f"| {c['missed']} | {_precision(p, k)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(format_rates(diagnosis_rates(int(sys.argv[1]) if len(sys.argv) > 1 else 200)))
