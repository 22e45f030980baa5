"""The teacher's kit: a student's custom-op derivatives and a student's hand-written MLP backprop, graded with the
practice tutor's mistake names; and a course's own pytest file using it."""

from __future__ import annotations

import math
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import autograd_core as ag
import nn
from autograd_core.grading import Check, Grade, GradingError, grade_op
from autograd_core.practice import MISTAKES
from nn.grading import grade_backprop, student_inputs

ROOT = Path(__file__).resolve().parents[1]
POINTS = [-1.5, -0.4, 0.3, 1.2]


# ------------------------------------------------------------------------------------------ custom ops
def test_a_right_custom_op_passes():
    my_tanh = ag.define_op("my_tanh", math.tanh, [lambda x, out: 1 - out * out])
    grade = grade_op(my_tanh, reference=[lambda x, out: 1 - out * out], points=POINTS)
    assert grade.ok and grade.score == 1.0 and grade.mistakes == {}
    grade.assert_correct()
    assert str(grade).startswith("my_tanh: local derivatives: 4 of 4 right (all right)")
    assert grade_op(my_tanh, points=POINTS).ok  # against central differences


@pytest.mark.parametrize("student, reference, forward, points, kind", [
    # tanh' = 1 - out^2 written with the input
    ([lambda x, out: 1 - x * x], [lambda x, out: 1 - out * out], math.tanh, POINTS, "input_for_output"),
    # sigmoid' = s (1 - s) written with the input
    ([lambda x, out: x * (1 - x)], [lambda x, out: out * (1 - out)], lambda x: 1 / (1 + math.exp(-x)), POINTS,
     "input_for_output"),
    # sin' evaluated at the output
    ([lambda x, out: math.cos(out)], [lambda x, out: math.cos(x)], math.sin, POINTS, "output_for_input"),
    # d(x / y)/dy without its minus
    ([lambda x, y, out: 1 / y, lambda x, y, out: out / y], [lambda x, y, out: 1 / y, lambda x, y, out: -out / y],
     lambda x, y: x / y, [(1.0, 2.0), (3.0, -0.5), (-2.0, 1.5)], "sign_error"),
    # d(x y)/dx answered with x
    ([lambda x, y, out: x, lambda x, y, out: y], [lambda x, y, out: y, lambda x, y, out: x], lambda x, y: x * y,
     [(1.0, 2.0), (3.0, -0.5)], "wrong_operand"),
])
def test_planted_mistakes_in_a_custom_op_are_named(student, reference, forward, points, kind):
    grade = grade_op(student, reference=reference, points=points, forward=forward, name="student_op")
    assert not grade.ok
    assert set(grade.mistakes) == {kind}, str(grade)
    for c in grade.failures:
        assert c.mistakes == (kind,) and c.message.startswith(MISTAKES[kind].title + ":")
    with pytest.raises(GradingError) as info:
        grade.assert_correct()
    assert isinstance(info.value, AssertionError) and info.value.grade is grade
    assert MISTAKES[kind].title in str(info.value)


def test_custom_op_report_reads_well():
    my_tanh = ag.define_op("my_tanh", math.tanh, [lambda x, out: 1 - x * x])
    report = str(grade_op(my_tanh, reference=[lambda x, out: 1 - out * out], points=[-1.5, 0.3]))
    assert report == (
        "my_tanh: local derivatives: 0 of 2 right\n"
        "  reference: the given derivatives; tolerance |got - right| <= 1e-09 + 1e-06 |right|\n"
        "d out / d x: 0 of 2 right; used the input where the derivative reuses the output x2\n"
        "  at x = -1.5: yours -1.25, right 0.180707: used the input where the derivative reuses the output: my_tanh's "
        "derivative reuses its output: it is written with out = -0.9051. Your -1.25 is the same formula with the "
        "input x = -1.5 put where the output belongs.\n"
        "  at x = 0.3: yours 0.91, right 0.915137: used the input where the derivative reuses the output (as above)")


def test_custom_op_with_a_parameter_and_against_numbers():
    student = [lambda x, out, a: 1.0 if x > 0 else -a]  # the slope's sign flipped
    grade = grade_op(student, reference=[lambda x, out, a: 1.0 if x > 0 else a], points=[-1.0, -0.5, 2.0],
                     forward=lambda x, a: x if x > 0 else a * x, arg=0.1, name="leaky")
    assert [c.ok for c in grade.checks] == [False, False, True]
    assert grade.mistakes == {"sign_error": 2}
    # no formula: central differences still catch the sign, not the input-for-output form
    numeric = grade_op([lambda x, out: -math.cos(x)], points=[0.5], forward=math.sin)
    assert numeric.mistakes == {"sign_error": 1} and "central differences" in numeric.notes[0]


def test_custom_op_forward_and_failures_are_reported():
    ref = ag.define_op("ref_sq", lambda x: x * x, [lambda x, out: 2 * x])
    wrong_forward = ag.define_op("stud_sq", lambda x: x * x + 1, [lambda x, out: 2 * x])
    grade = grade_op(wrong_forward, reference=ref, points=[1.0])
    assert [(c.group, c.ok) for c in grade.checks] == [("forward", False), ("d out / d x", True)]

    def boom(x, out):
        raise ZeroDivisionError("oops")

    grade = grade_op([boom], reference=[lambda x, out: 2 * x], forward=lambda x: x * x, points=[1.0])
    assert grade.checks[0].got is None and "raised ZeroDivisionError: oops" in grade.checks[0].message
    with pytest.raises(TypeError, match="forward="):
        grade_op([lambda x, out: 1.0], points=[1.0])
    with pytest.raises(ValueError, match="point 0 has 1 input"):
        grade_op([lambda x, y, out: 1.0, lambda x, y, out: 1.0], forward=lambda x, y: x + y, points=[1.0])
    with pytest.raises(TypeError, match="must be an Op"):
        grade_op("tanh", forward=math.tanh, points=[1.0])


def test_grade_helpers():
    g = Grade("x", (Check("g", "a", 1.0, 1.0, True), Check("g", "b", 2.0, -2.0, False, ("sign_error",), "m")))
    assert not g.ok and g.score == 0.5 and g.mistakes == {"sign_error": 1} and len(g.failures) == 1
    assert not Grade("empty", ()).ok


# ------------------------------------------------------------------------------------------ MLP backprop
def _sigma(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def make_student(bug: str | None = None, loss: str = "half_mse"):
    """A hand-written backprop for sigmoid MLPs, as a student writes it, with one bug switched on."""

    def backprop(W, b, X, Y):
        L = len(W)
        dW = [[[0.0] * len(row) for row in Wl] for Wl in W]
        db = [[0.0] * len(bl) for bl in b]
        for x, t in zip(X, Y):
            a, zs = [list(x)], [None]
            for layer in range(L):
                z = [sum(w * ak for w, ak in zip(row, a[-1])) + bj for row, bj in zip(W[layer], b[layer])]
                zs.append(z)
                a.append([_sigma(v) for v in z])
            t = t if isinstance(t, list) else [t]
            n_out = len(a[-1])

            def gp(layer, i, a=a, zs=zs):
                if bug == "g_of_a":
                    s = _sigma(a[layer][i])
                    return s * (1 - s)
                if bug == "z_form":
                    return zs[layer][i] * (1 - zs[layer][i])
                return a[layer][i] * (1 - a[layer][i])

            sign = -1 if bug == "sign" else 1
            if loss == "binary_cross_entropy":
                delta_out = [sign * (a[L][i] - t[i]) / n_out for i in range(n_out)]
            else:
                delta_out = [sign * (a[L][i] - t[i]) / n_out * gp(L, i) for i in range(n_out)]
            delta = [None] * L + [delta_out]
            for layer in range(L - 1, 0, -1):
                if bug == "one_term":
                    back = [W[layer][0][k] * delta[layer + 1][0] for k in range(len(a[layer]))]
                elif bug == "transposed" and len(W[layer]) == len(W[layer][0]):  # shapes allow it
                    back = [sum(W[layer][k][j] * delta[layer + 1][j] for j in range(len(W[layer])))
                            for k in range(len(a[layer]))]
                else:
                    back = [sum(W[layer][j][k] * delta[layer + 1][j] for j in range(len(W[layer])))
                            for k in range(len(a[layer]))]
                delta[layer] = [back[k] * gp(layer, k) for k in range(len(a[layer]))]
            for layer in range(1, L + 1):
                for j in range(len(W[layer - 1])):
                    for k in range(len(a[layer - 1])):
                        term = delta[layer][j] * (W[layer - 1][j][k] if bug == "weight" else a[layer - 1][k])
                        if bug == "overwrite":
                            dW[layer - 1][j][k] = term
                        else:
                            dW[layer - 1][j][k] += term
                    db[layer - 1][j] += delta[layer][j]
        if bug != "sum":
            n = len(X)
            dW = [[[v / n for v in row] for row in Wl] for Wl in dW]
            db = [[v / n for v in bl] for bl in db]
        if bug == "twice":
            dW = [[[2 * v for v in row] for row in Wl] for Wl in dW]
            db = [[2 * v for v in bl] for bl in db]
        return dW, db

    return backprop


@pytest.fixture
def regression():
    # notes 001's 1-2-2-1 regression net (sigmoid units) on the first data points
    model = nn.MLP(1, [2, 2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    return model, [[-4.8], [-4.5], [-4.3]], [0.0, 0.5, 0.3]


def test_a_right_backprop_passes(regression):
    model, X, y = regression
    grade = grade_backprop(make_student(), model, X, y, "half_mse")
    assert grade.ok and len(grade.checks) == 13, str(grade)
    grade.assert_correct()
    assert "nn.delta's hand-derived delta rule agrees to" in grade.notes[0]


@pytest.mark.parametrize("bug, kind, layers", [
    ("g_of_a", "output_for_input", {1, 2, 3}),
    ("z_form", "input_for_output", {1, 2, 3}),
    ("one_term", "forgot_sum", {1}),  # layer 2's δ comes from a single neuron anyway
    ("transposed", "wrong_operand", {1}),
    ("weight", "wrong_operand", {1, 2, 3}),
    ("sign", "sign_error", {1, 2, 3}),
    ("overwrite", "overwrite", {1, 2, 3}),
    ("sum", "forgot_average", {1, 2, 3}),
    ("twice", "accumulated_twice", {1, 2, 3}),
])
def test_planted_backprop_bugs_are_named_per_layer(regression, bug, kind, layers):
    model, X, y = regression
    grade = grade_backprop(make_student(bug), model, X, y, "half_mse")
    wrong_layers = {int(c.group.split()[1]) for c in grade.failures}
    assert wrong_layers == layers, str(grade)
    assert all(kind in c.mistakes for c in grade.failures), str(grade)
    assert MISTAKES[kind].title in str(grade)


def test_backprop_report_names_the_layer_and_the_element(regression):
    model, X, y = regression
    report = str(grade_backprop(make_student("one_term"), model, X, y, "half_mse"))
    lines = report.split("\n")
    assert lines[0] == "backprop: 9 of 13 right"
    assert lines[3] == "layer 1 (W 2x1, b 2): 0 of 4 right; forgot to sum over paths x4"
    assert lines[4].startswith("  dW[0][0]: yours ") and "δ[1] takes only the term of neuron 0 of layer 2" in lines[4]
    assert lines[5].endswith("forgot to sum over paths (as above)")
    assert "layer 2 (W 2x2, b 2): 6 of 6 right" in lines and "layer 3 (W 1x2, b 1): 3 of 3 right" in lines


def test_backprop_with_cross_entropy_and_l2():
    model = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=1)
    X, y = [[0.5, -1.0], [1.5, 0.2]], [1.0, 0.0]
    right = make_student(loss="binary_cross_entropy")

    def with_l2(W, b, X, Y):
        dW, db = right(W, b, X, Y)
        return [[[g + 0.01 * w for g, w in zip(gr, wr)] for gr, wr in zip(gl, Wl)] for gl, Wl in zip(dW, W)], db

    assert grade_backprop(with_l2, model, X, y, "binary_cross_entropy", l2=0.01).ok
    assert not grade_backprop(right, model, X, y, "binary_cross_entropy", l2=0.01).ok  # forgot λ W
    grade = grade_backprop(make_student("g_of_a", loss="binary_cross_entropy"), model, X, y, "binary_cross_entropy")
    assert set(grade.mistakes) == {"output_for_input"} and {c.group[:7] for c in grade.failures} == {"layer 1"}


def test_a_broken_submission_fails_with_a_clear_message(regression):
    model, X, y = regression

    def wrong_shape(W, b, X, Y):
        return [[[0.0]] for _ in W], [[0.0] for _ in b]

    grade = grade_backprop(wrong_shape, model, X, y, "half_mse")
    assert not grade.ok and "dW[0] (layer 1) must be 2x1" in grade.checks[0].message

    def crash(W, b, X, Y):
        return 1 / 0

    grade = grade_backprop(crash, model, X, y, "half_mse")
    assert "backprop(W, b, X, y) failed: ZeroDivisionError: division by zero" in str(grade)
    with pytest.raises(TypeError, match="student must be a function"):
        grade_backprop(None, model, X, y, "half_mse")
    with pytest.raises(ValueError, match="no hand-derived rule"):
        grade_backprop(crash, model, X, y, "nope")
    W, b = student_inputs(model)
    assert [len(w) for w in W] == [2, 2, 1] and [len(v) for v in b] == [2, 2, 1]


# ------------------------------------------------------------------------------------------ a course's test file
def test_a_course_test_file_runs_under_pytest(tmp_path):
    (tmp_path / "student.py").write_text(textwrap.dedent("""
        import math
        import autograd_core as ag

        my_tanh = ag.define_op("my_tanh", math.tanh, [lambda x, out: 1 - x * x])  # the bug: x for out
        my_exp = ag.define_op("my_exp", math.exp, [lambda x, out: out])
    """), encoding="utf-8")
    (tmp_path / "test_assignment.py").write_text(textwrap.dedent("""
        from autograd_core.grading import grade_op
        import student

        def test_my_exp():
            grade_op(student.my_exp, reference=[lambda x, out: out], points=[-1.0, 0.5, 2.0]).assert_correct()

        def test_my_tanh():
            grade_op(student.my_tanh, reference=[lambda x, out: 1 - out * out], points=[-1.0, 0.5]).assert_correct()
    """), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_assignment.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"})
    assert "1 failed, 1 passed" in done.stdout, done.stdout + done.stderr
    assert "GradingError: my_tanh: local derivatives: 0 of 2 right" in done.stdout
    assert "used the input where the derivative reuses the output" in done.stdout


BUGS = {"g_of_a": "output_for_input", "z_form": "input_for_output", "one_term": "forgot_sum",
        "transposed": "wrong_operand", "weight": "wrong_operand", "sign": "sign_error", "overwrite": "overwrite",
        "sum": "forgot_average", "twice": "accumulated_twice"}


def test_planted_bugs_are_named_on_random_networks():
    # random shapes (1-3 inputs, 1-2 hidden layers of 1-3 units, 1-2 outputs), 1-3 examples: every wrong element of
    # every planted bug is named with the bug's kind (and a right backprop is right)
    rng = random.Random(0)
    for trial in range(25):
        nin = rng.randint(1, 3)
        sizes = [rng.randint(1, 3) for _ in range(rng.randint(1, 2))] + [rng.randint(1, 2)]
        model = nn.MLP(nin, sizes, activation="sigmoid", output_activation="sigmoid", seed=trial)
        n = rng.randint(1, 3)
        X = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(n)]
        y = [[rng.random() for _ in range(sizes[-1])] for _ in range(n)]
        assert grade_backprop(make_student(), model, X, y, "half_mse").ok
        for bug, kind in BUGS.items():
            grade = grade_backprop(make_student(bug), model, X, y, "half_mse")
            assert all(kind in c.mistakes for c in grade.failures), (trial, sizes, n, bug, str(grade))
